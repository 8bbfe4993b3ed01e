"""End-to-end amplitude prediction: generate → dataset → JEPA pretraining → fine-tuning →
evaluation against baselines, and the shipped default model."""

from __future__ import annotations

import logging
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from amplitudes.dataset import AmplitudeDataset, DatasetConfig, build_dataset
from amplitudes.evaluate import Evaluation, evaluate_model, gradient_boosting_baseline, table, write_plots
from amplitudes.generate import generate
from amplitudes.regression import RegressorConfig, finetune, json_dump, pretrain, with_attention
from symtok import tokenize
from symtok.datafiles import BadRow, read_rows
from symtok.errors import SymtokError
from symtok.nn.checkpoint import save_checkpoint
from symtok.nn.encoder import EncoderConfig
from symtok.nn.train import TrainConfig
from symtok.vocab import Vocab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preset:
    """Everything the default model is trained with; `symtok amplitudes train --preset NAME`."""

    theories: tuple[str, ...] = ("qed", "qcd")
    mode: str = "process"
    dataset: DatasetConfig = field(default_factory=lambda: DatasetConfig(points_per_row=64))
    regressor: RegressorConfig = field(default_factory=lambda: RegressorConfig(hidden=256))
    pretrain_steps: int = 300
    finetune_steps: int = 10000
    batch_rows: int = 16
    lr: float = 2e-3
    seed: int = 0
    max_pretrain_tokens: int = 512  # longer sequences (big QCD squared amplitudes) are left out of pretraining


PRESETS: dict[str, Preset] = {
    "default": Preset(),
    # the comparison study: same data and model, fewer fine-tuning steps per run (six runs)
    "study": Preset(finetune_steps=2000),
    # a few minutes of CPU: used by the tests and for trying the pipeline
    "smoke": Preset(
        theories=("qed",),
        dataset=DatasetConfig(points_per_row=8),
        regressor=RegressorConfig(encoder=EncoderConfig(dim=32, depth=1, heads=2, nb_features=32, dropout=0.0)),
        pretrain_steps=20,
        finetune_steps=40,
        batch_rows=8,
    ),
}


def preset(name: str) -> Preset:
    if name not in PRESETS:
        raise SymtokError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def generate_data(p: Preset, out: Path, progress: bool = False) -> Path:
    """One SYMBA-format file with the rows of every theory of the preset."""
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for theory in p.theories:
        part = out.with_name(f"{out.stem}.{theory}.txt")
        generate(theory, part, mode=p.mode, seed=p.seed, progress=progress)
        parts.append(part)
    out.write_text("".join(part.read_text() for part in parts))
    return out


def pretraining_sequences(path: Path, vocab: Vocab, max_tokens: int = 512) -> list[list[int]]:
    """Token ids of every amplitude and squared amplitude of a file (no labels), up to ``max_tokens``."""
    seqs, dropped = [], 0
    for row in read_rows(str(path), "symba"):
        if isinstance(row, BadRow):
            continue
        for text in (row.amplitude, row.squared_amplitude):
            if text:
                ids = vocab.encode(tokenize(text))
                if len(ids) <= max_tokens:
                    seqs.append(ids)
                else:
                    dropped += 1
    log.info("pretraining on %d sequences; %d longer than %d tokens left out", len(seqs), dropped, max_tokens)
    return seqs


def train_config(p: Preset, steps: int, progress: bool) -> TrainConfig:
    return TrainConfig(
        steps=steps,
        batch_size=p.batch_rows,
        lr=p.lr,
        warmup_steps=max(1, steps // 20),
        log_every=max(1, steps // 50),
        seed=p.seed,
        progress=progress,
    )


def prepare(p: Preset, work: Path, vocab: Vocab, progress: bool) -> tuple[AmplitudeDataset, Path]:
    """Generate the preset's data into ``work``, build the dataset and pretrain the encoder (JEPA)."""
    data_file = generate_data(p, work / "data.txt", progress)
    dataset = build_dataset(str(data_file), p.dataset, vocab)
    sequences = pretraining_sequences(data_file, vocab, p.max_pretrain_tokens)
    encoder_ckpt = pretrain(
        sequences, work / "pretrain", p.regressor.encoder, train_config(p, p.pretrain_steps, progress), vocab=vocab
    )
    return dataset, encoder_ckpt


@dataclass
class TrainReport:
    model_dir: Path
    evaluations: list[Evaluation]
    seconds: float


def train_preset(
    name: str, out_dir: str | Path, *, work_dir: str | Path | None = None, progress: bool = True
) -> TrainReport:
    """Train the preset's model into ``out_dir`` (config.json, model.safetensors, vocab.json, metrics.json)."""
    p = preset(name)
    started = time.perf_counter()
    out = Path(out_dir)
    work = Path(work_dir) if work_dir else out.with_name(out.name + ".work")
    vocab = Vocab.default()
    dataset, encoder_ckpt = prepare(p, work, vocab, progress)
    model, scale = finetune(
        dataset,
        work / "finetune",
        p.regressor,
        train_config(p, p.finetune_steps, progress),
        pretrained=encoder_ckpt,
        vocab=vocab,
    )
    ours, predictions = evaluate_model("symtok LM-JEPA (FAVOR+), pretrained", model, scale, dataset)
    baseline = gradient_boosting_baseline(dataset, scale, len(vocab), p.seed)
    seconds = time.perf_counter() - started
    metrics = _metrics_json(name, p, dataset, [ours, baseline], seconds)
    model.encoder.fix_features()
    checkpoint_config = {
        "kind": "amplitude-regressor",
        "regressor": asdict(p.regressor),
        "scale": asdict(scale),
        "label_fraction": 1.0,
        "pretrained": "JEPA (this run)",
        "dataset": asdict(p.dataset),
    }
    tmp = out.with_name(out.name + ".new")
    if tmp.exists():
        shutil.rmtree(tmp)
    save_checkpoint(tmp, model, checkpoint_config, metrics=metrics, vocab_json=vocab.to_json())
    write_plots(tmp, dataset, predictions, "default model, all splits")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return TrainReport(out, [ours, baseline], seconds)


def _metrics_json(
    name: str, p: Preset, dataset: AmplitudeDataset, evaluations: list[Evaluation], seconds: float
) -> dict[str, Any]:
    return {
        "preset": name,
        "command": f"symtok amplitudes train --preset {name}",
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs, Python {platform.python_version()}",
        "train_seconds": round(seconds, 1),
        "splits": {"train": dataset.processes("train"), "test": dataset.processes("test_processes")},
        "skipped_rows": len(dataset.skipped),
        "evaluations": [asdict(e) for e in evaluations],
        "table": table(evaluations),
        "preset_config": asdict(p),
    }


def study(name: str, out_dir: str | Path, *, progress: bool = False) -> list[Evaluation]:
    """Label efficiency and baselines in one run: pretrained vs scratch at 10% and 100% labels,
    softmax attention, and gradient boosting; writes study.json and study.md."""
    p = preset(name)
    out = Path(out_dir)
    vocab = Vocab.default()
    dataset, encoder_ckpt = prepare(p, out, vocab, progress)
    runs = [
        ("FAVOR+ pretrained, 100% labels", p.regressor, encoder_ckpt, 1.0),
        ("FAVOR+ from scratch, 100% labels", p.regressor, None, 1.0),
        ("FAVOR+ pretrained, 10% labels", p.regressor, encoder_ckpt, 0.1),
        ("FAVOR+ from scratch, 10% labels", p.regressor, None, 0.1),
        ("softmax from scratch, 100% labels", with_attention(p.regressor, "softmax"), None, 1.0),
    ]
    evaluations = []
    for n, (label, config, pretrained, fraction) in enumerate(runs):
        model, scale = finetune(
            dataset,
            out / f"run{n}",
            config,
            train_config(p, p.finetune_steps, progress),
            pretrained=pretrained,
            label_fraction=fraction,
            vocab=vocab,
        )
        evaluations.append(evaluate_model(label, model, scale, dataset)[0])
    evaluations.append(gradient_boosting_baseline(dataset, scale, len(vocab), p.seed))
    json_dump(out / "study.json", [asdict(e) for e in evaluations])
    (out / "study.md").write_text(table(evaluations) + "\n")
    return evaluations


__all__ = ["PRESETS", "Preset", "replace", "study", "train_preset"]
