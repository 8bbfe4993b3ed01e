"""Evaluation of a squared-amplitude model: token accuracy (teacher forced), exact match of
canonical tokens, numerical equivalence, valid-syntax rate, accuracy by target length (plot), and
the same on rows whose amplitude was not in training."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import symtok
from amplitudes.learn.squared import batch_tensors, decode_beams, length_batch_indices, load_squared
from amplitudes.learn.squared_data import Pair, read_pairs, write_errors
from amplitudes.learn.squared_verify import amplitude_check, choose
from symtok.errors import SymtokError
from symtok.io import Row, read_rows
from symtok.nn.device import inference_autocast
from symtok.nn.seq2seq import Seq2Seq
from symtok.vocab import Vocab


@dataclass
class RowResult:
    line: int
    target_len: int
    valid: bool
    exact: bool
    equivalent: bool
    seen: bool | None
    verified: bool | None = None  # with verify: the output passed the numeric check (None: not checkable)
    # equal to the reference at random physical points (momentum conservation relating the s_ij): as
    # a function of the momenta, the same squared amplitude; None when the amplitude cannot be checked
    physical: bool | None = None
    rank: int = 0  # with verify: which beam hypothesis was returned (0: the model's best)


def teacher_forced(model: Seq2Seq, pairs: Sequence[Pair], tokens_per_batch: int = 16384) -> tuple[float, list[bool]]:
    """Token accuracy of the target + <eos> with the true prefix fed (teacher forcing), and per pair
    whether every token's argmax is right. Such a row is exactly the one unconstrained greedy
    decoding returns (each greedy step sees the true prefix and picks the true token, <eos> last), so
    the share of right rows is the greedy exact match without decoding anything: cheap enough for
    studies whose half-trained models would decode to the maximum length."""
    cfg = model.config
    right = [False] * len(pairs)
    correct = total = 0
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.inference_mode(), inference_autocast(device):
        for batch in length_batch_indices(pairs, tokens_per_batch):
            source, target = (t.to(device) for t in batch_tensors([pairs[i] for i in batch], cfg.eos_id))
            logits = model(source, torch.cat([torch.full_like(target[:, :1], cfg.bos_id), target[:, :-1]], 1))
            real = target != cfg.pad_id
            hit = (logits.argmax(-1) == target) | ~real
            correct += int(hit[real].sum())
            total += int(real.sum())
            for i, ok in zip(batch, hit.all(dim=1).tolist(), strict=True):
                right[i] = bool(ok)
    model.train(was_training)
    return correct / max(1, total), right


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
    verify: bool = False,
) -> tuple[dict[str, Any], list[RowResult]]:
    """Token accuracy (teacher forced), exact match of canonical tokens, numerical equivalence at
    ``points`` random points, valid-syntax rate, and the same on rows whose amplitude is unseen.
    ``verify``: each row's output is the first beam hypothesis that passes the numeric check against
    the row's amplitude (amplitudes.learn.squared_verify) under the OffShell legs the row states
    (read from s_ii where it states none), else the model's best."""
    from symtok.equivalence import equivalent

    started = time.perf_counter()
    seen = set(seen_amplitudes) if seen_amplitudes is not None else None
    token_accuracy, _ = teacher_forced(model, pairs)
    decode_start = time.perf_counter()
    beams = decode_beams(
        model, [p.source for p in pairs], beam=beam, batch_size=batch_size, vocab=vocab, progress=progress
    )
    checks = [amplitude_check(p.amplitude, p.offshell) for p in pairs]  # also for phase_space_equal below
    choices = [choose(vocab, b, c if verify else None) for b, c in zip(beams, checks, strict=True)]
    decode_seconds = time.perf_counter() - decode_start
    rows: list[RowResult] = []
    for pair, choice, check in zip(pairs, choices, checks, strict=True):
        ids = choice.ids
        exact = tuple(ids) == pair.target
        valid, same = True, exact
        physical: bool | None = None if check is None else exact
        if not exact:
            try:
                predicted = symtok.detokenize(vocab.decode(list(ids)))
            except SymtokError:
                valid = False
            else:
                reference = symtok.detokenize(vocab.decode(list(pair.target)))
                same = equivalent(predicted, reference, points=points)
                if check is not None:
                    physical = same or check.same(predicted, reference)
        rows.append(
            RowResult(
                pair.line,
                len(pair.target),
                valid,
                exact,
                same,
                None if seen is None else pair.amplitude in seen,
                verified=choice.verified,
                physical=physical,
                rank=choice.rank,
            )
        )
    n = max(1, len(rows))
    metrics: dict[str, Any] = {
        "rows": len(rows),
        "beam": beam,
        "token_accuracy": token_accuracy,
        "exact_match": sum(r.exact for r in rows) / n,
        "equivalent": sum(r.equivalent for r in rows) / n,
        "valid": sum(r.valid for r in rows) / n,
        "decode_rows_per_s": len(rows) / max(decode_seconds, 1e-9),
        "verify": verify,
        "seconds": time.perf_counter() - started,
    }
    if seen is not None:
        unseen = [r for r in rows if not r.seen]
        metrics["unseen_rows"] = len(unseen)
        metrics["unseen_exact_match"] = sum(r.exact for r in unseen) / max(1, len(unseen))
        metrics["unseen_equivalent"] = sum(r.equivalent for r in unseen) / max(1, len(unseen))
    checked = [r for r in rows if r.physical is not None]
    metrics["phase_space_equal"] = sum(bool(r.physical) for r in checked) / max(1, len(checked))
    metrics["phase_space_rows"] = len(checked)  # rows whose amplitude can be checked
    if verify:
        metrics["verified"] = sum(r.verified is True for r in rows) / n  # outputs that passed the check
        metrics["uncheckable"] = sum(r.verified is None for r in rows)  # rows whose amplitude cannot be checked
        metrics["reranked"] = sum(r.rank > 0 for r in rows)  # outputs that are not the model's best hypothesis
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


def evaluate_squared_file(
    model_dir: str | os.PathLike[str],
    path: str,
    *,
    beam: int = 1,
    seen_path: str | None = None,
    limit: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
    verify: bool = False,
) -> dict[str, Any]:
    """Evaluate a squared-amplitude model on the rows of ``path`` (metrics.json, rows.jsonl and
    by_length.png in out_dir). ``seen_path``: the training file, to report rows whose amplitude
    was not in it separately."""

    from symtok.files import write_json

    model, vocab, config = load_squared(model_dir)
    limits = {"max_source_len": config.model.max_source_len, "max_target_len": config.model.max_target_len}
    data = read_pairs(path, vocab, order=config.source_order, legs=config.source_legs, **limits)
    pairs = data.pairs[:limit] if limit else data.pairs
    seen = None
    if seen_path is not None:
        seen = [r.amplitude for r in read_rows(seen_path) if isinstance(r, Row)]
    metrics, rows = evaluate_pairs(
        model, vocab, pairs, beam=beam, seen_amplitudes=seen, progress=progress, verify=verify
    )
    metrics = {"path": str(path), "model": str(model_dir), "errors": len(data.errors), **metrics}
    if out_dir is not None:
        out = Path(out_dir)
        write_json(out / "metrics.json", metrics)
        from symtok.files import atomic_write_text

        atomic_write_text(out / "rows.jsonl", "".join(json.dumps(asdict(r)) + "\n" for r in rows))
        write_errors(data.errors, out / "errors.jsonl")
        plot_buckets(metrics, out / "by_length.png")
    return metrics
