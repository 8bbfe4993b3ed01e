"""Training workflows of the squared-amplitude model over files: train (and evaluate on held-out
rows), JEPA-pretrain the encoder on unlabelled amplitudes, and the default model from generated
data only (generate, split by rows or processes, train, evaluate, publish)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import symtok
from amplitudes.learn.squared import KIND, SquaredConfig, load_squared, train_squared
from amplitudes.learn.squared_data import read_pairs, write_errors
from amplitudes.learn.squared_eval import evaluate_pairs
from symtok.errors import SymtokError
from symtok.files import atomic_write_text
from symtok.io import BadRow, read_rows
from symtok.nn.checkpoint import load_model
from symtok.nn.train import TrainConfig, is_main_process
from symtok.vocab import Vocab


def publish(
    run_dir: str | os.PathLike[str],
    model_dir: str | os.PathLike[str],
    metrics: dict[str, Any],
    extra_config: dict[str, Any] | None = None,
) -> Path:
    """Write a training run's final model (no optimizer state) with its metrics as a model directory,
    and its ONNX graphs beside it (``--backend onnx`` works on every published model)."""
    from amplitudes.learn.onnx_export import export_squared
    from symtok.nn.checkpoint import save_checkpoint

    model, ckpt = load_model(run_dir, KIND)
    vocab_path = ckpt.path / "vocab.json"
    config = {k: v for k, v in ckpt.config.items() if k not in ("format", "version")}
    out = save_checkpoint(
        model_dir,
        model,
        {**config, **(extra_config or {})},
        metrics=metrics,
        vocab_json=vocab_path.read_text(encoding="utf-8") if vocab_path.exists() else None,
    )
    export_squared(out, out)
    return out


@dataclass
class TrainReport:
    """What train_squared_file did: rows used, rows refused, where the model is, held-out metrics."""

    pairs: int
    errors: int
    model_dir: Path
    metrics: dict[str, Any]
    seconds: float


def evaluate_on(
    model: Any,
    vocab: Vocab,
    path: str | os.PathLike[str],
    config: SquaredConfig,
    *,
    beam: int = 1,
    seen: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Held-out metrics of ``model`` on the rows of ``path``, read as ``config``'s model reads them
    (``seen``: the training pairs, for the unseen-amplitude figures)."""
    limits = {"max_source_len": config.model.max_source_len, "max_target_len": config.model.max_target_len}
    rows = read_pairs(path, vocab, order=config.source_order, legs=config.source_legs, **limits)
    found, _ = evaluate_pairs(
        model, vocab, rows.pairs, beam=beam, seen_amplitudes=None if seen is None else [p.amplitude for p in seen]
    )
    return {"path": str(path), "errors": len(rows.errors), **found}


def train_squared_file(
    train_path: str,
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    valid_path: str | None = None,
    pretrained: str | os.PathLike[str] | None = None,
    init_from: str | os.PathLike[str] | None = None,
    beam: int = 1,
    resume: bool = False,
) -> TrainReport:
    """Train on the rows of ``train_path``; the run goes to out_dir/run, the model to out_dir/model,
    unreadable rows to out_dir/errors.jsonl. With ``valid_path`` the model is evaluated there
    (metrics.json beside the model, never trained on)."""
    started = time.perf_counter()
    config = config or SquaredConfig()
    vocab = Vocab.default()
    out = Path(out_dir)
    limits = {"max_source_len": config.model.max_source_len, "max_target_len": config.model.max_target_len}
    data = read_pairs(train_path, vocab, order=config.source_order, legs=config.source_legs, **limits)
    if not data.pairs:
        raise SymtokError(f"{train_path} has no row with an amplitude and a squared amplitude that tokenizes")
    if is_main_process():
        write_errors(data.errors, out / "errors.jsonl")
    train_squared(
        data.pairs, out / "run", config, vocab=vocab, pretrained=pretrained, init_from=init_from, resume=resume
    )
    metrics: dict[str, Any] = {"train_rows": len(data.pairs), "train_errors": len(data.errors)}
    if not is_main_process():  # under torchrun rank 0 alone evaluates and writes the model
        return TrainReport(len(data.pairs), len(data.errors), out / "model", metrics, time.perf_counter() - started)
    if valid_path is not None:
        model, _, _ = load_squared(out / "run")
        metrics["valid"] = evaluate_on(model, vocab, valid_path, config, beam=beam, seen=data.pairs)
    model_dir = publish(out / "run", out / "model", metrics)
    return TrainReport(len(data.pairs), len(data.errors), model_dir, metrics, time.perf_counter() - started)


#: train-generated without --config or --steps: a first model of the generated corpus (the shipped
#: squared-default continued from such a run with more steps; see README).
GENERATED_STEPS = 1200


def configure(
    path: str | os.PathLike[str] | None = None,
    *,
    base: SquaredConfig | None = None,
    steps: int | None = None,
    attention: str | None = None,
    label_fraction: float | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    source_order: bool | None = None,
    source_legs: bool | None = None,
) -> SquaredConfig:
    """A SquaredConfig from a JSON file (strict), or from a trained model's config.json (its training
    config: retrain like it), with command-line overrides applied."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise SymtokError(f"cannot read config {path}: {err}") from None
        if isinstance(data, dict) and data.get("kind") == KIND:  # a model directory's config.json
            data = {k: v for k, v in data.items() if k in SquaredConfig.__dataclass_fields__}
    config = SquaredConfig.from_dict(data) if path is not None or base is None else base
    train, model = config.train, config.model
    if steps is not None:
        train = dataclasses.replace(train, steps=steps)
    if progress is not None:
        train = dataclasses.replace(train, progress=progress)
    if seed is not None:
        train, model = dataclasses.replace(train, seed=seed), dataclasses.replace(model, seed=seed)
    if attention is not None:
        model = dataclasses.replace(model, attention=attention)
    if label_fraction is not None:
        config = dataclasses.replace(config, label_fraction=label_fraction)
    if source_order is not None:
        config = dataclasses.replace(config, source_order=source_order)
    if source_legs is not None:
        config = dataclasses.replace(config, source_legs=source_legs)
    return dataclasses.replace(config, train=train, model=model)


def pretrain_squared_file(
    paths: Sequence[str],
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    steps: int = 1000,
    batch_size: int = 32,
    max_tokens: int = 512,
) -> tuple[int, Path]:
    """LM-JEPA pretraining of the encoder of ``config`` on the amplitudes of ``paths`` (labels are not
    read: any rows with amplitudes will do); returns the number of distinct sequences and the
    ``jepa-encoder`` checkpoint that ``train_squared(pretrained=...)`` starts from."""
    from amplitudes.learn.train import pretrain

    config = config or SquaredConfig()
    vocab = Vocab.default()
    seen: dict[tuple[int, ...], None] = {}
    for path in paths:
        for row in read_rows(str(path)):
            if isinstance(row, BadRow):
                continue
            try:
                ids = tuple(vocab.encode(symtok.tokenize(row.amplitude)))
            except SymtokError:
                continue
            if len(ids) <= max_tokens:
                seen[ids] = None
    if len(seen) < batch_size:
        raise SymtokError(f"only {len(seen)} distinct amplitudes in {', '.join(map(str, paths))}; need {batch_size}")
    train = TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=1e-3,
        warmup_steps=max(1, steps // 20),
        log_every=max(1, steps // 50),
        seed=config.train.seed,
        progress=config.train.progress,
    )
    checkpoint = pretrain([list(s) for s in seen], out_dir, config.model.encoder_config(), train, vocab=vocab)
    return len(seen), Path(checkpoint)


def split_generated(
    out_dir: str | os.PathLike[str],
    *,
    theories: Sequence[str] = ("qed", "qcd"),
    split: str = "rows",
    test_fraction: float = 0.05,
    seed: int = 0,
    workers: int = 1,
    offshell: bool = True,
    orderings: str = "all",
) -> tuple[Path, Path]:
    """Build the generated corpus of ``theories`` (every diagram row, each leg ordering and, with
    ``offshell``, every pattern of OffShell legs: MARTY's rows) and split it into train.txt / test.txt
    (SYMBA rows, whose interaction field keeps the OffShell legs) by ``rows`` (a seeded hash of each
    row, SYMBA's protocol) or by ``processes`` (every ordering and OffShell variant of a held-out
    process is in test). With ``processes`` the row hash also holds out rows of the training
    processes, in test_rows.txt beside them, so one model measures both: unseen rows of seen
    processes and rows of unseen processes."""
    from amplitudes.corpus import CorpusConfig, build_corpus, family, read_corpus
    from symtok.files import atomic_path

    if split not in ("rows", "processes"):
        raise SymtokError(f"split must be rows or processes, got {split!r}")
    out = Path(out_dir)
    config = CorpusConfig(
        theories=tuple(theories),
        offshell=offshell,
        orderings=orderings,  # type: ignore[arg-type]
        seed=seed,
        test_fraction=test_fraction,
        valid_fraction=0.0,
    )
    build_corpus(config, out / "corpus", workers=workers)
    fields = ["interaction", "vertices", "amplitude", "squared_amplitude"]
    table = read_corpus(out / "corpus", [*fields, "process", "split_row", "split_process"]).to_pylist()
    trained = {family(r["process"]) for r in table if r["split_process"] == r["split_row"] == "train"}

    def part(r: dict[str, Any]) -> str:
        if split == "rows":
            return r["split_row"]
        if r["split_process"] == "test":
            return "test"
        # a held-out row of a process whose every row the hash held out would be an unseen process
        return "test_rows" if r["split_row"] == "test" and family(r["process"]) in trained else "train"

    parts = ("train", "test") if split == "rows" else ("train", "test", "test_rows")
    for want in parts:
        with atomic_path(out / f"{want}.txt") as tmp, open(tmp, "w", encoding="utf-8") as fh:
            for r in table:
                if part(r) == want:
                    fh.write(
                        f"Interaction:  {r['interaction']} : {r['vertices']} : {r['amplitude']} : {r['squared_amplitude']}\n"
                    )
    return out / "train.txt", out / "test.txt"


def train_generated(
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    theories: Sequence[str] = ("qed", "qcd"),
    split: str = "rows",
    test_fraction: float = 0.05,
    seed: int = 0,
    publish_to: str | os.PathLike[str] | None = None,
    workers: int = 1,
    offshell: bool = True,
) -> TrainReport:
    """The default model from generated data only: build the corpus, split, train, evaluate on the
    test split, and (``publish_to``) write the model directory there. The model reads each row's
    OffShell legs (``source_legs``): generated rows always carry them, and without them the text
    alone does not determine the squared amplitude (see source_tokens)."""
    config = dataclasses.replace(config or SquaredConfig(), source_legs=True)
    train_path, test_path = split_generated(
        Path(out_dir) / "data",
        theories=theories,
        split=split,
        test_fraction=test_fraction,
        seed=seed,
        workers=workers,
        offshell=offshell,
    )
    report = train_squared_file(str(train_path), out_dir, config, valid_path=str(test_path))
    if split == "processes" and is_main_process():
        model, vocab, _ = load_squared(report.model_dir)
        rows_path = Path(out_dir) / "data" / "test_rows.txt"
        report.metrics["valid_seen_processes"] = evaluate_on(model, vocab, rows_path, config)
        atomic_write_text(report.model_dir / "metrics.json", json.dumps(report.metrics, indent=1) + "\n")
    report.metrics["split"] = {
        "by": split,
        "test_fraction": test_fraction,
        "seed": seed,
        "theories": list(theories),
        "offshell": offshell,
        "orderings": "all",
    }
    if publish_to is not None and is_main_process():
        publish(Path(out_dir) / "run", publish_to, report.metrics)
    return report
