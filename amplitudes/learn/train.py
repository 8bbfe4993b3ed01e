"""Training the regression surrogate: LM-JEPA pretraining of the Encoder on amplitude tokens,
fine-tuning on log10 |M|^2, and the presets behind the shipped default model (generate → dataset →
pretrain → fine-tune → evaluate against the baseline → write the model)."""

from __future__ import annotations

import logging
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import torch
from torch import Tensor, nn

from amplitudes.generate import generate
from amplitudes.learn.dataset import AmplitudeDataset, DatasetConfig, build_dataset
from amplitudes.learn.evaluate import Evaluation, evaluate_model, gradient_boosting_baseline, table, write_plots
from amplitudes.learn.model import (
    KIND,
    AmplitudeRegressor,
    RegressorConfig,
    Standardizer,
    collate,
    make_items,
    regression_loss,
    with_attention,
)
from amplitudes.learn.onnx_export import export_regressor
from symtok import tokenize
from symtok.config import Config
from symtok.errors import SymtokError
from symtok.io import BadRow, read_rows
from symtok.nn.checkpoint import load_context_encoder, save_checkpoint
from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.jepa import JEPA, JEPAConfig, JEPAOutput, pretrain_jepa
from symtok.nn.masks import subtree_mask
from symtok.nn.train import StepInfo, TrainConfig, fit
from symtok.prefix import subtree_ends
from symtok.vocab import Vocab

log = logging.getLogger(__name__)
PRETRAINED_KIND = "jepa-encoder"


@dataclass(frozen=True)
class Preset(Config):
    """Everything the default model is trained with; `symtok amplitudes train --preset NAME`."""

    theories: tuple[str, ...] = ("qed", "qcd")
    # SYMBA rows are single diagrams: the model learns per-diagram |M_d|^2 and process totals
    modes: tuple[Literal["diagram", "process"], ...] = ("diagram", "process")
    offshell: bool = True  # diagram rows in every pattern of OffShell legs (evaluated on shell)
    dataset: DatasetConfig = field(default_factory=lambda: DatasetConfig(points_per_row=32, sqrt_s_span=1000.0))
    regressor: RegressorConfig = field(
        default_factory=lambda: RegressorConfig(
            encoder=EncoderConfig(dim=96, depth=2, heads=4, nb_features=64, dropout=0.0), hidden=256
        )
    )
    pretrain_steps: int = 300
    finetune_steps: int = 30000
    batch_rows: int = 16
    lr: float = 2e-3
    seed: int = 0
    max_pretrain_tokens: int = 512  # longer sequences (big QCD squared amplitudes) are left out of pretraining


PRESETS: dict[str, Preset] = {
    "default": Preset(),
    # the comparison study (README): process-level rows, the first model shape, fewer fine-tuning
    # steps per run (six runs)
    "study": Preset(
        modes=("process",),
        offshell=False,
        dataset=DatasetConfig(points_per_row=64),
        regressor=RegressorConfig(hidden=256),
        finetune_steps=2000,
    ),
    # a few minutes of CPU: used by the tests and for trying the pipeline
    "smoke": Preset(
        theories=("qed",),
        modes=("process",),
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


def generate_data(p: Preset, out: Path, progress: bool = False, extra_rows: tuple[str, ...] = ()) -> Path:
    """One SYMBA-format file with the rows of every theory and mode of the preset, and the rows of
    the ``extra_rows`` files (real SYMBA rows) after them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for theory in p.theories:
        for mode in p.modes:
            part = out.with_name(f"{out.stem}.{theory}.{mode}.txt")
            offshell = p.offshell and mode == "diagram"
            generate(
                theory, part, mode=mode, seed=p.seed, progress=progress, offshell=offshell, workers=os.cpu_count() or 1
            )
            parts.append(part)
    texts = [part.read_text() for part in parts]
    for path in extra_rows:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise SymtokError(f"cannot read {path}: {err}") from None
        texts.append(text if text.endswith("\n") or not text else text + "\n")
    out.write_text("".join(texts))
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


def prepare(
    p: Preset, work: Path, vocab: Vocab, progress: bool, extra_rows: tuple[str, ...] = ()
) -> tuple[AmplitudeDataset, Path]:
    """Generate the preset's data into ``work`` (with ``extra_rows``), build the dataset and pretrain
    the encoder (JEPA)."""
    data_file = generate_data(p, work / "data.txt", progress, extra_rows)
    dataset = build_dataset(str(data_file), p.dataset, vocab)
    sequences = pretraining_sequences(data_file, vocab, p.max_pretrain_tokens)
    encoder_ckpt = pretrain(
        sequences, work / "pretrain", p.regressor.encoder, train_config(p, p.pretrain_steps, progress), vocab=vocab
    )
    return dataset, encoder_ckpt


def pretrain(
    sequences: list[list[int]],
    out_dir: str | Path,
    encoder_config: EncoderConfig,
    train: TrainConfig,
    jepa: JEPAConfig | None = None,
    vocab: Vocab | None = None,
) -> Path:
    """LM-JEPA pretraining of an Encoder on token sequences (whole subtrees are the targets); writes a
    ``jepa-encoder`` checkpoint and returns its directory."""
    vocab = vocab or Vocab.default()
    torch.manual_seed(train.seed)  # the initial weights too: every process (torchrun rank) builds the same model
    model = JEPA(Encoder(encoder_config), jepa or default_jepa_config(encoder_config))
    data = [(torch.tensor(s), subtree_ends(vocab.decode(s))) for s in sequences]

    def collate_seq(items: list[tuple[Tensor, list[int]]]) -> tuple[Tensor, list[list[int]]]:
        return nn.utils.rnn.pad_sequence([t for t, _ in items], batch_first=True), [e for _, e in items]

    def masker(batch: tuple[Tensor, list[list[int]]], generator: torch.Generator) -> Tensor:
        tokens, subtree = batch
        return subtree_mask(subtree, tokens.shape[1], target_frac=0.3, generator=generator)

    def forward(m: nn.Module, batch: tuple[Tensor, list[list[int]]], mask: Tensor, info: StepInfo) -> JEPAOutput:
        return m(batch[0], mask, progress=info.progress, generator=info.generator)

    config = {"kind": PRETRAINED_KIND, "encoder": asdict(encoder_config), "jepa": asdict(model.config)}
    return pretrain_jepa(
        model,
        data,
        train,
        forward,
        collate=collate_seq,
        masker=masker,
        out_dir=out_dir,
        checkpoint_config=config,
        vocab_json=vocab.to_json(),
    )


def default_jepa_config(encoder: EncoderConfig, **overrides: Any) -> JEPAConfig:
    """The amplitude JEPA's defaults: a one-block predictor half as wide as the encoder."""
    return JEPAConfig(predictor_dim=max(16, encoder.dim // 2), predictor_depth=1, **overrides)


def load_pretrained_encoder(model: AmplitudeRegressor, checkpoint_dir: str | Path) -> None:
    """Copy the context encoder of a JEPA checkpoint into the regressor's encoder."""
    load_context_encoder(model.encoder, checkpoint_dir, PRETRAINED_KIND)


def finetune(
    dataset: AmplitudeDataset,
    out_dir: str | Path,
    config: RegressorConfig,
    train: TrainConfig,
    *,
    pretrained: str | Path | None = None,
    label_fraction: float = 1.0,
    vocab: Vocab | None = None,
) -> tuple[AmplitudeRegressor, Standardizer]:
    """Train the regressor on the train split (a seeded fraction of its rows); writes a checkpoint."""
    vocab = vocab or Vocab.default()
    if tuple(dataset.config.kin_features) != config.kin_features:
        raise SymtokError(
            f"the dataset's kinematic features {dataset.config.kin_features} are not the model's {config.kin_features}"
        )
    torch.manual_seed(train.seed)
    scale = Standardizer.fit(dataset.examples)
    items = make_items(dataset.examples, "train", scale)
    if label_fraction < 1.0:
        order = torch.randperm(len(items), generator=torch.Generator().manual_seed(train.seed + 17)).tolist()
        items = [items[i] for i in order[: max(train.batch_size, round(label_fraction * len(items)))]]
    if not items:
        raise SymtokError("the training split is empty: nothing to fine-tune on")
    if len(items) < train.batch_size:
        log.warning("only %d training rows: batch size lowered from %d", len(items), train.batch_size)
        train = replace(train, batch_size=len(items))
    model = AmplitudeRegressor(config)
    if pretrained is not None:
        load_pretrained_encoder(model, pretrained)
    checkpoint = {
        "kind": KIND,
        "regressor": asdict(config),
        "scale": asdict(scale),
        "label_fraction": label_fraction,
        "pretrained": str(pretrained) if pretrained else None,
        "dataset": asdict(dataset.config),
    }
    fit(
        model,
        regression_loss,
        items,
        train,
        collate=collate,
        out_dir=out_dir,
        checkpoint_config=checkpoint,
        vocab_json=vocab.to_json(),
    )
    return model, scale


@dataclass
class TrainReport:
    model_dir: Path
    evaluations: list[Evaluation]
    seconds: float


def train_preset(
    name: str,
    out_dir: str | Path,
    *,
    work_dir: str | Path | None = None,
    progress: bool = True,
    extra_rows: tuple[str, ...] = (),
) -> TrainReport:
    """Train the preset's model into ``out_dir`` (config.json, model.safetensors, vocab.json, metrics.json);
    ``extra_rows``: SYMBA files of real rows trained on beside the generated ones (whole process
    families are held out of both alike)."""
    p = preset(name)
    started = time.perf_counter()
    out = Path(out_dir)
    work = Path(work_dir) if work_dir else out.with_name(out.name + ".work")
    vocab = Vocab.default()
    dataset, encoder_ckpt = prepare(p, work, vocab, progress, tuple(extra_rows))
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
    metrics = _metrics_json(name, p, dataset, [ours, baseline], seconds, tuple(extra_rows))
    model.encoder.fix_features()
    checkpoint_config = {
        "kind": KIND,
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
    export_regressor(tmp, tmp / "model.onnx")  # shipped with its ONNX graph: --backend onnx works as is
    write_plots(tmp, dataset, predictions, "default model, all splits")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return TrainReport(out, [ours, baseline], seconds)


def _metrics_json(
    name: str,
    p: Preset,
    dataset: AmplitudeDataset,
    evaluations: list[Evaluation],
    seconds: float,
    extra_rows: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "preset": name,
        "command": f"symtok amplitudes train --preset {name}" + "".join(f" --rows {r}" for r in extra_rows),
        "extra_rows": [Path(r).name for r in extra_rows],
        "test_families": dataset.families("test_processes"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "train_seconds": round(seconds, 1),
        "splits": {"train": dataset.processes("train"), "test": dataset.processes("test_processes")},
        "skipped_rows": len(dataset.skipped),
        "evaluations": [asdict(e) for e in evaluations],
        "table": table(evaluations),
        "preset_config": asdict(p),
    }


def pretrain_file(
    data: str | Path,
    output: str | Path,
    *,
    preset_name: str = "default",
    steps: int | None = None,
    jepa_lambda: float = 0.0,
    jepa_start_frac: float = 0.0,
    progress: bool = True,
) -> tuple[int, Path]:
    """LM-JEPA pretraining on every amplitude and squared amplitude of a SYMBA file, with the preset's
    encoder shape and steps; returns (sequences, checkpoint directory)."""
    p = preset(preset_name)
    vocab = Vocab.default()
    sequences = pretraining_sequences(Path(data), vocab, p.max_pretrain_tokens)
    if not sequences:
        raise SymtokError(f"{data} has no expression short enough to pretrain on")
    jepa = default_jepa_config(p.regressor.encoder, jepa_lambda=jepa_lambda, jepa_start_frac=jepa_start_frac)
    ckpt = pretrain(
        sequences, output, p.regressor.encoder, train_config(p, steps or p.pretrain_steps, progress), jepa, vocab=vocab
    )
    return len(sequences), ckpt


def finetune_file(
    data: str,
    output: str | Path,
    *,
    pretrained: str | Path | None = None,
    label_fraction: float = 1.0,
    attention: str = "fast",
    preset_name: str = "default",
    steps: int | None = None,
    progress: bool = True,
) -> Evaluation:
    """Fine-tune the regressor on the rows of a SYMBA file (from a JEPA checkpoint or from scratch)
    with the preset's shape, points and steps; returns its evaluation on every split."""
    p = preset(preset_name)
    dataset = build_dataset(data, p.dataset)
    model, scale = finetune(
        dataset,
        output,
        with_attention(p.regressor, attention),
        train_config(p, steps or p.finetune_steps, progress),
        pretrained=pretrained,
        label_fraction=label_fraction,
    )
    return evaluate_model(str(output), model, scale, dataset)[0]


__all__ = ["PRESETS", "Preset", "finetune", "finetune_file", "pretrain", "pretrain_file", "train_preset"]
