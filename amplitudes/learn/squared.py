"""The SYMBA task: amplitude tokens in, squared-amplitude tokens out, with the shared Encoder in an
encoder–decoder (symtok.nn.seq2seq), grammar-constrained decoding (symtok.constrain) and a
numerical-equivalence check (symtok.equivalence).

Data: any file symtok.io reads with a squared amplitude per row (SYMBA raw rows or ``amp,sqamp``
CSV). Both sides are canonical prefix tokens (symtok.tokenize), so index names and term order
never count as errors.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

import symtok
from amplitudes.learn.squared_data import (  # noqa: F401  (re-exported: the task's public API)
    ExpressionPrediction,
    Pair,
    PairSet,
    SquaredPrediction,
    SquaredRow,
    default_squared_dir,
    encode_sources,
    predict_squared_one,
    predict_squared_rows,
    predict_texts,
    prediction_of,
    read_pairs,
    source_tokens,
    write_errors,
)
from symtok.config import Config
from symtok.constrain import PrefixGrammar
from symtok.errors import SymtokError
from symtok.io import BadRow, Row, read_rows
from symtok.nn.checkpoint import CheckpointError, load_context_encoder, load_model, register_model
from symtok.nn.decode import beam_search
from symtok.nn.seq2seq import Seq2Seq, Seq2SeqConfig
from symtok.nn.train import StepInfo, TrainConfig, fit
from symtok.vocab import Vocab

KIND = "squared-seq2seq"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SquaredConfig(Config):
    """Everything a squared-amplitude model is trained with (saved in its config.json)."""

    model: Seq2SeqConfig = field(default_factory=Seq2SeqConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=6000, batch_size=1, lr=1e-3, warmup_steps=200))
    tokens_per_batch: int = 8192  # source + target tokens per batch, padding included
    label_smoothing: float = 0.0
    label_fraction: float = 1.0  # a seeded fraction of the training pairs (label-efficiency studies)
    source_order: bool = False  # append the input's own index order to the source (see source_tokens)


def pad(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> Tensor:
    """(B, max length) long tensor of the sequences, right-padded."""
    out = torch.full((len(sequences), max(1, max(map(len, sequences)))), pad_id, dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out


def length_batches(pairs: Sequence[Pair], tokens_per_batch: int, eos_id: int) -> list[tuple[Tensor, Tensor]]:
    """Batches of similar lengths (sorted by target then source length) within a token budget:
    (source ids, target ids + <eos>) padded tensors."""
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i].target), len(pairs[i].source)))
    batches: list[tuple[Tensor, Tensor]] = []
    current: list[int] = []
    widest = 0
    for i in order:
        width = len(pairs[i].source) + len(pairs[i].target) + 1
        if current and max(widest, width) * (len(current) + 1) > tokens_per_batch:
            batches.append(_batch([pairs[j] for j in current], eos_id))
            current, widest = [], 0
        current.append(i)
        widest = max(widest, width)
    if current:
        batches.append(_batch([pairs[j] for j in current], eos_id))
    return batches


def _batch(pairs: list[Pair], eos_id: int) -> tuple[Tensor, Tensor]:
    return pad([p.source for p in pairs]), pad([(*p.target, eos_id) for p in pairs])


def seq2seq_loss(label_smoothing: float):
    """The fit() loss of a Seq2Seq on (source, target) batches."""

    def loss(model: nn.Module, batch: tuple[Tensor, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
        source, target = batch
        value, accuracy = (model.module if hasattr(model, "module") else model).loss(source, target, label_smoothing)
        return value, {"token_accuracy": float(accuracy)}

    return loss


def _build(config: dict[str, Any]) -> Seq2Seq:
    return Seq2Seq(Seq2SeqConfig.from_dict(config["model"]))


register_model(KIND, "a squared-amplitude model (encoder-decoder)", _build)


def subsample(pairs: list[Pair], fraction: float, seed: int) -> list[Pair]:
    """A seeded fraction of ``pairs`` (at least one)."""
    if fraction >= 1.0:
        return pairs
    keep = max(1, round(fraction * len(pairs)))
    order = np.random.default_rng(seed).permutation(len(pairs))[:keep]
    return [pairs[i] for i in sorted(order)]


def train_squared(
    pairs: list[Pair],
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    vocab: Vocab | None = None,
    pretrained: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> Seq2Seq:
    """Train an encoder–decoder on ``pairs``; writes a ``squared-seq2seq`` checkpoint under out_dir/checkpoint.

    ``pretrained``: a JEPA checkpoint whose context encoder initialises the encoder."""
    config = config or SquaredConfig()
    vocab = vocab or Vocab.default()
    if len(vocab) != config.model.vocab_size:
        raise SymtokError(f"the vocabulary has {len(vocab)} tokens but the model config says {config.model.vocab_size}")
    torch.manual_seed(config.model.seed)
    model = Seq2Seq(config.model)
    if pretrained is not None:
        load_context_encoder(model.encoder, pretrained, "jepa-encoder")
    chosen = subsample(pairs, config.label_fraction, config.train.seed)
    batches = length_batches(chosen, config.tokens_per_batch, config.model.eos_id)
    fit(
        model,
        seq2seq_loss(config.label_smoothing),
        batches,
        config.train,
        collate=lambda items: items[0],
        out_dir=out_dir,
        checkpoint_config={
            "kind": KIND,
            **asdict(config),
            "pairs": len(chosen),
            "longest_target": max(len(p.target) for p in chosen),
        },
        vocab_json=vocab.to_json(),
        resume=resume,
    )
    model.eval()
    return model


def load_squared(directory: str | os.PathLike[str]) -> tuple[Seq2Seq, Vocab, SquaredConfig]:
    """Load a squared-amplitude model directory (or a training run's directory)."""
    model, ckpt = load_model(directory, KIND)
    vocab_path = ckpt.path / "vocab.json"
    vocab = Vocab.load(vocab_path) if vocab_path.exists() else Vocab.default()
    data = {k: v for k, v in ckpt.config.items() if k in SquaredConfig.__dataclass_fields__}
    try:
        config = SquaredConfig.from_dict(data)
    except SymtokError as err:
        raise CheckpointError(f"{ckpt.path / 'config.json'}: {err}") from None
    if len(vocab) != config.model.vocab_size:
        raise CheckpointError(f"{vocab_path} has {len(vocab)} tokens; the model expects {config.model.vocab_size}")
    longest = ckpt.config.get("longest_target")
    if isinstance(longest, int) and longest > 0:
        model.decode_budget = decode_budget(longest, config.model.max_target_len)
    return model, vocab, config


def decode_budget(longest_target: int, max_target_len: int) -> int:
    """Tokens a decoded squared amplitude may have: 1.5 times the longest training target plus 16,
    at most the model's maximum. A prediction far longer than anything seen in training is wrong
    anyway, and the budget bounds decoding time on rows the model has no answer for."""
    return min(max_target_len, longest_target + longest_target // 2 + 16)


def decode_ids(
    model: Seq2Seq,
    sources: Sequence[Sequence[int]],
    *,
    beam: int = 1,
    max_length: int | None = None,
    batch_size: int = 32,
    constrained: bool = True,
    vocab: Vocab | None = None,
    progress: bool = False,
) -> list[tuple[tuple[int, ...], float]]:
    """Best decoded target ids and log-probability per source (batched, longest first)."""
    vocab = vocab or Vocab.default()
    limit = max_length or getattr(model, "decode_budget", None) or model.config.max_target_len
    grammar = PrefixGrammar(vocab, limit) if constrained else None
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))
    results: list[tuple[tuple[int, ...], float]] = [((), float("-inf"))] * len(sources)
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    from symtok.files import progress_bar

    with torch.inference_mode():
        for chunk in progress_bar(chunks, enabled=progress, desc="decoding"):
            hyps = beam_search(model, pad([sources[i] for i in chunk]), beam=beam, max_length=limit, grammar=grammar)
            for i, h in zip(chunk, hyps, strict=True):
                results[i] = (h[0].ids, h[0].log_prob) if h else ((), float("-inf"))
    return results


def predict_squared(
    model: Seq2Seq,
    vocab: Vocab,
    amplitudes: Sequence[str],
    *,
    beam: int = 1,
    batch_size: int = 32,
    order: bool = False,
    progress: bool = False,
) -> list[SquaredPrediction]:
    """Predicted squared amplitude of each amplitude text; a row that cannot be read or is longer than
    the model's limit gets an error, the others are decoded in batches."""
    sources, where, out = encode_sources(vocab, amplitudes, order=order, max_source_len=model.config.max_source_len)
    decoded = decode_ids(model, sources, beam=beam, batch_size=batch_size, vocab=vocab, progress=progress)
    for i, (ids, log_prob) in zip(where, decoded, strict=True):
        out[i] = prediction_of(vocab, ids, log_prob)
    return [p for p in out if p is not None]


# ------------------------------------------------------------------------------- evaluation


@dataclass
class RowResult:
    line: int
    target_len: int
    valid: bool
    exact: bool
    equivalent: bool
    seen: bool | None


def evaluate_pairs(
    model: Seq2Seq,
    vocab: Vocab,
    pairs: Sequence[Pair],
    *,
    beam: int = 1,
    batch_size: int = 32,
    points: int = 3,
    seen_amplitudes: Iterable[str] | None = None,
    progress: bool = False,
) -> tuple[dict[str, Any], list[RowResult]]:
    """Token accuracy (teacher forced), exact match of canonical tokens, numerical equivalence at
    ``points`` random points, valid-syntax rate, and the same on rows whose amplitude is unseen."""
    from symtok.equivalence import equivalent

    started = time.perf_counter()
    seen = set(seen_amplitudes) if seen_amplitudes is not None else None
    correct = total = 0
    with torch.inference_mode():
        for source, target in length_batches(list(pairs), 16384, model.config.eos_id):
            logits = model(source, torch.cat([torch.full_like(target[:, :1], model.config.bos_id), target[:, :-1]], 1))
            real = target != model.config.pad_id
            correct += int((logits.argmax(-1)[real] == target[real]).sum())
            total += int(real.sum())
    decode_start = time.perf_counter()
    decoded = decode_ids(
        model, [p.source for p in pairs], beam=beam, batch_size=batch_size, vocab=vocab, progress=progress
    )
    decode_seconds = time.perf_counter() - decode_start
    rows: list[RowResult] = []
    for pair, (ids, _) in zip(pairs, decoded, strict=True):
        exact = tuple(ids) == pair.target
        valid, same = True, exact
        if not exact:
            try:
                predicted = symtok.detokenize(vocab.decode(list(ids)))
            except SymtokError:
                valid = False
            else:
                same = equivalent(predicted, symtok.detokenize(vocab.decode(list(pair.target))), points=points)
        rows.append(
            RowResult(pair.line, len(pair.target), valid, exact, same, None if seen is None else pair.amplitude in seen)
        )
    n = max(1, len(rows))
    metrics: dict[str, Any] = {
        "rows": len(rows),
        "beam": beam,
        "token_accuracy": correct / max(1, total),
        "exact_match": sum(r.exact for r in rows) / n,
        "equivalent": sum(r.equivalent for r in rows) / n,
        "valid": sum(r.valid for r in rows) / n,
        "decode_rows_per_s": len(rows) / max(decode_seconds, 1e-9),
        "seconds": time.perf_counter() - started,
    }
    if seen is not None:
        unseen = [r for r in rows if not r.seen]
        metrics["unseen_rows"] = len(unseen)
        metrics["unseen_exact_match"] = sum(r.exact for r in unseen) / max(1, len(unseen))
        metrics["unseen_equivalent"] = sum(r.equivalent for r in unseen) / max(1, len(unseen))
    metrics["by_length"] = length_buckets(rows)
    return metrics, rows


LENGTH_EDGES = (0, 50, 100, 200, 400, 800, 1600)


def length_buckets(rows: Sequence[RowResult]) -> list[dict[str, Any]]:
    """Exact-match and equivalence rates per target-length bucket."""
    out = []
    for lo, hi in zip(LENGTH_EDGES, (*LENGTH_EDGES[1:], 10**9), strict=True):
        inside = [r for r in rows if lo <= r.target_len < hi]
        if inside:
            out.append(
                {
                    "tokens": f"{lo}-{hi - 1}" if hi < 10**9 else f">={lo}",
                    "rows": len(inside),
                    "exact_match": sum(r.exact for r in inside) / len(inside),
                    "equivalent": sum(r.equivalent for r in inside) / len(inside),
                }
            )
    return out


def plot_buckets(metrics: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Bar plot of exact match and equivalence by target length."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buckets = metrics["by_length"]
    x = np.arange(len(buckets))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(x - 0.2, [100 * b["exact_match"] for b in buckets], 0.4, label="exact match")
    ax.bar(x + 0.2, [100 * b["equivalent"] for b in buckets], 0.4, label="numerically equivalent")
    ax.set_xticks(x, [f"{b['tokens']}\n({b['rows']})" for b in buckets])
    ax.set_xlabel("target length, tokens (rows)")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower left")
    fig.tight_layout()
    from symtok.files import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


# ------------------------------------------------------------------------------- files and models
def publish(
    run_dir: str | os.PathLike[str],
    model_dir: str | os.PathLike[str],
    metrics: dict[str, Any],
    extra_config: dict[str, Any] | None = None,
) -> Path:
    """Write a training run's final model (no optimizer state) with its metrics as a model directory."""
    from symtok.nn.checkpoint import save_checkpoint

    model, ckpt = load_model(run_dir, KIND)
    vocab_path = ckpt.path / "vocab.json"
    config = {k: v for k, v in ckpt.config.items() if k not in ("format", "version")}
    return save_checkpoint(
        model_dir,
        model,
        {**config, **(extra_config or {})},
        metrics=metrics,
        vocab_json=vocab_path.read_text(encoding="utf-8") if vocab_path.exists() else None,
    )


@dataclass
class TrainReport:
    """What train_squared_file did: rows used, rows refused, where the model is, held-out metrics."""

    pairs: int
    errors: int
    model_dir: Path
    metrics: dict[str, Any]
    seconds: float


def train_squared_file(
    train_path: str,
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    valid_path: str | None = None,
    pretrained: str | os.PathLike[str] | None = None,
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
    data = read_pairs(train_path, vocab, order=config.source_order, **limits)
    if not data.pairs:
        raise SymtokError(f"{train_path} has no row with an amplitude and a squared amplitude that tokenizes")
    write_errors(data.errors, out / "errors.jsonl")
    train_squared(data.pairs, out / "run", config, vocab=vocab, pretrained=pretrained, resume=resume)
    metrics: dict[str, Any] = {"train_rows": len(data.pairs), "train_errors": len(data.errors)}
    if valid_path is not None:
        model, _, _ = load_squared(out / "run")
        valid = read_pairs(valid_path, vocab, order=config.source_order, **limits)
        found, _ = evaluate_pairs(
            model, vocab, valid.pairs, beam=beam, seen_amplitudes=[p.amplitude for p in data.pairs]
        )
        metrics["valid"] = {"path": str(valid_path), "errors": len(valid.errors), **found}
    model_dir = publish(out / "run", out / "model", metrics)
    return TrainReport(len(data.pairs), len(data.errors), model_dir, metrics, time.perf_counter() - started)


def evaluate_squared_file(
    model_dir: str | os.PathLike[str],
    path: str,
    *,
    beam: int = 1,
    seen_path: str | None = None,
    limit: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate a squared-amplitude model on the rows of ``path`` (metrics.json, rows.jsonl and
    by_length.png in out_dir). ``seen_path``: the training file, to report rows whose amplitude
    was not in it separately."""
    import json

    from symtok.files import write_json

    model, vocab, config = load_squared(model_dir)
    limits = {"max_source_len": config.model.max_source_len, "max_target_len": config.model.max_target_len}
    data = read_pairs(path, vocab, order=config.source_order, **limits)
    pairs = data.pairs[:limit] if limit else data.pairs
    seen = None
    if seen_path is not None:
        seen = [r.amplitude for r in read_rows(seen_path) if isinstance(r, Row)]
    metrics, rows = evaluate_pairs(model, vocab, pairs, beam=beam, seen_amplitudes=seen, progress=progress)
    metrics = {"path": str(path), "model": str(model_dir), "errors": len(data.errors), **metrics}
    if out_dir is not None:
        out = Path(out_dir)
        write_json(out / "metrics.json", metrics)
        from symtok.files import atomic_write_text

        atomic_write_text(out / "rows.jsonl", "".join(json.dumps(asdict(r)) + "\n" for r in rows))
        write_errors(data.errors, out / "errors.jsonl")
        plot_buckets(metrics, out / "by_length.png")
    return metrics


def configure(
    path: str | os.PathLike[str] | None = None,
    *,
    steps: int | None = None,
    attention: str | None = None,
    label_fraction: float | None = None,
    seed: int | None = None,
    progress: bool | None = None,
) -> SquaredConfig:
    """A SquaredConfig from a JSON file (strict) with command-line overrides applied."""
    import dataclasses
    import json

    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise SymtokError(f"cannot read config {path}: {err}") from None
    config = SquaredConfig.from_dict(data)
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
    test_fraction: float = 0.1,
    seed: int = 0,
    workers: int = 1,
) -> tuple[Path, Path]:
    """Generate every diagram row of ``theories`` and split it into train.csv / test.csv (``amp,sqamp``):
    by ``rows`` (a seeded random row split, SYMBA's protocol) or by ``processes`` (every row of a
    held-out process is in test)."""
    import csv

    from amplitudes.generate import generate
    from symtok.files import atomic_path

    if split not in ("rows", "processes"):
        raise SymtokError(f"split must be rows or processes, got {split!r}")
    out = Path(out_dir)
    rows: list[Row] = []
    for theory in theories:
        path = out / f"{theory}.txt"
        generate(theory, path, mode="diagram", workers=workers, seed=seed)
        rows += [r for r in read_rows(str(path)) if isinstance(r, Row) and r.squared_amplitude]
    rng = np.random.default_rng(seed)
    if split == "rows":
        test = set(rng.permutation(len(rows))[: max(1, round(test_fraction * len(rows)))].tolist())
        is_test = [i in test for i in range(len(rows))]
    else:
        processes = sorted({str(r.process) for r in rows})
        held = set(rng.permutation(len(processes))[: max(1, round(test_fraction * len(processes)))].tolist())
        held_names = {processes[i] for i in held}
        is_test = [str(r.process) in held_names for r in rows]
    paths = (out / "train.csv", out / "test.csv")
    for path, want in zip(paths, (False, True), strict=True):
        with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["amp", "sqamp"])
            writer.writerows(
                [r.amplitude, r.squared_amplitude] for r, t in zip(rows, is_test, strict=True) if t == want
            )
    return paths


def train_generated(
    out_dir: str | os.PathLike[str],
    config: SquaredConfig | None = None,
    *,
    theories: Sequence[str] = ("qed", "qcd"),
    split: str = "rows",
    test_fraction: float = 0.1,
    seed: int = 0,
    publish_to: str | os.PathLike[str] | None = None,
) -> TrainReport:
    """The default model from generated data only: generate, split, train, evaluate on the test split,
    and (``publish_to``) write the model directory there."""
    train_path, test_path = split_generated(
        Path(out_dir) / "data", theories=theories, split=split, test_fraction=test_fraction, seed=seed
    )
    report = train_squared_file(str(train_path), out_dir, config, valid_path=str(test_path))
    report.metrics["split"] = {"by": split, "test_fraction": test_fraction, "seed": seed, "theories": list(theories)}
    if publish_to is not None:
        publish(Path(out_dir) / "run", publish_to, report.metrics)
    return report
