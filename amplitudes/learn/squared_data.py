"""The torch-free side of the SYMBA task: reading (amplitude, squared amplitude) rows as token ids,
the model's input tokens, turning decoded ids into expressions, and prediction from a model
directory with either backend: torch (amplitudes.learn.squared, imported only then) or the
exported ONNX graphs run by onnxruntime (symtok.onnx_seq2seq), which never import torch.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import symtok
from symtok.diagnostics import check_result
from symtok.errors import SymtokError
from symtok.io import BadRow, Row, read_rows
from symtok.tokens import INDEX_PREFIX, INDEX_SLOTS, SEP
from symtok.vocab import Vocab


@dataclass(frozen=True)
class Pair:
    """One training or evaluation row: ids of both sides (no <bos>/<eos>) and its line number."""

    line: int
    source: tuple[int, ...]
    target: tuple[int, ...]
    amplitude: str


@dataclass
class PairSet:
    """The rows of a file that tokenized, and the ones that did not (in = pairs + errors)."""

    pairs: list[Pair]
    errors: list[BadRow]


_NUMBER = re.compile(r"(\d+)")


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER.split(name))


def source_tokens(text: str, *, order: bool = False) -> list[str]:
    """The model input of an amplitude: its canonical tokens, then (``order``) ``<sep>`` and, per
    canonical index, the rank of its original name among the input's names of that kind.

    Canonical tokens forget how the generator named and ordered things. On the 2025 benchmark that
    loses information the target depends on: rows whose amplitudes are equal up to renaming
    have different squared amplitudes (an OffShell leg, written only in the dropped process
    header, adds its s_ii terms), and MARTY's naming order differs between them. The ranks keep
    that order without keeping any name, so the input stays independent of the naming scheme.
    """
    normed, renaming = symtok.normalize_indices(symtok.parse(text))
    tokens = symtok.encode(normed)
    if not order:
        return tokens
    tokens.append(SEP)
    by_kind: dict[str, list[tuple[int, str]]] = {}
    for (name, kind), canonical_name in renaming.items():
        by_kind.setdefault(kind, []).append((int(canonical_name.rsplit("_", 1)[1]), name))
    for kind, items in by_kind.items():
        ranks = {name: r for r, name in enumerate(sorted((n for _, n in items), key=_natural))}
        tokens.extend(f"{INDEX_PREFIX[kind]}{min(ranks[name], INDEX_SLOTS[kind] - 1)}" for _, name in sorted(items))
    return tokens


def _tokenize_row(row: Row | BadRow, order: bool = False) -> tuple[int, list[str], list[str], str] | BadRow:
    if isinstance(row, BadRow):
        return row
    if row.squared_amplitude is None:
        return BadRow(row.line, "the row has no squared amplitude", row.amplitude[:500])
    try:
        source = source_tokens(row.amplitude, order=order)
        return row.line, source, symtok.tokenize(row.squared_amplitude), row.amplitude
    except SymtokError as err:
        return BadRow(row.line, str(err).splitlines()[0], row.amplitude[:500])


def read_pairs(
    path: str | os.PathLike[str],
    vocab: Vocab,
    *,
    max_source_len: int = 1024,
    max_target_len: int = 1024,
    order: bool = False,
    workers: int | None = None,
) -> PairSet:
    """Tokenize every row of ``path`` that has a squared amplitude; rows that fail or are longer than
    the limits become errors with the reason."""
    rows = list(read_rows(str(path)))
    workers = workers or min(len(rows) // 500 + 1, os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(partial(_tokenize_row, order=order), rows, chunksize=64))
    else:
        results = [_tokenize_row(r, order) for r in rows]
    pairs, errors = [], []
    for result in results:
        if isinstance(result, BadRow):
            errors.append(result)
            continue
        line, source, target, amplitude = result
        if len(source) > max_source_len or len(target) > max_target_len:
            errors.append(
                BadRow(
                    line,
                    f"{len(source)} / {len(target)} tokens exceed the limits {max_source_len} / {max_target_len}",
                    amplitude[:500],
                )
            )
            continue
        try:
            pairs.append(Pair(line, tuple(vocab.encode(source)), tuple(vocab.encode(target)), amplitude))
        except SymtokError as err:
            errors.append(BadRow(line, str(err), amplitude[:500]))
    return PairSet(pairs, errors)


@dataclass(frozen=True)
class SquaredPrediction:
    """The predicted squared amplitude of one amplitude: canonical tokens and MARTY text, or an error."""

    tokens: tuple[str, ...] | None
    text: str | None
    log_prob: float | None = None
    error: str | None = None


def prediction_of(vocab: Vocab, ids: Sequence[int], log_prob: float | None = None) -> SquaredPrediction:
    """The expression of decoded ids, checked so that its text parses again."""
    tokens = tuple(vocab.decode(list(ids)))
    try:
        text = symtok.to_string(check_result(symtok.detokenize(list(tokens))))
    except SymtokError as err:
        return SquaredPrediction(tokens, None, log_prob, f"the decoded tokens are not an expression: {err}")
    return SquaredPrediction(tokens, text, log_prob)


def encode_sources(
    vocab: Vocab, amplitudes: Sequence[str], *, order: bool, max_source_len: int
) -> tuple[list[list[int]], list[int], list[SquaredPrediction | None]]:
    """Source ids of the amplitudes that can be read and fit the model (with their positions); the
    others get their error in the returned list."""
    sources: list[list[int]] = []
    where: list[int] = []
    out: list[SquaredPrediction | None] = [None] * len(amplitudes)
    for i, text in enumerate(amplitudes):
        try:
            ids = vocab.encode(source_tokens(text, order=order))
        except SymtokError as err:
            out[i] = SquaredPrediction(None, None, error=str(err).splitlines()[0])
            continue
        if len(ids) > max_source_len:
            out[i] = SquaredPrediction(
                None, None, error=f"{len(ids)} tokens: longer than the model's maximum {max_source_len}"
            )
            continue
        sources.append(ids)
        where.append(i)
    return sources, where, out


def predict_onnx(
    model_dir: str | os.PathLike[str], amplitudes: Sequence[str], *, batch_size: int = 32
) -> list[SquaredPrediction]:
    """Greedy predictions with the exported graphs of ``model_dir`` (onnxruntime, no torch)."""
    from symtok.onnx_seq2seq import OnnxSeq2Seq

    directory = Path(model_dir)
    graphs = OnnxSeq2Seq(directory)
    vocab = Vocab.load(directory / "vocab.json") if (directory / "vocab.json").exists() else Vocab.default()
    meta = graphs.meta
    sources, where, out = encode_sources(
        vocab, amplitudes, order=bool(meta.get("source_order")), max_source_len=int(meta["max_source_len"])
    )
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        decoded = graphs.greedy([sources[i] for i in chunk], max_length=int(meta["decode_budget"]), vocab=vocab)
        for i, ids in zip(chunk, decoded, strict=True):
            out[where[i]] = prediction_of(vocab, ids)
    return [p for p in out if p is not None]


def predict_texts(
    model_dir: str | os.PathLike[str] | None,
    amplitudes: Sequence[str],
    *,
    beam: int = 1,
    batch_size: int = 32,
    backend: str = "torch",
    progress: bool = False,
) -> list[SquaredPrediction]:
    """One prediction (or error) per amplitude with the model in ``model_dir`` (default: the shipped one)."""
    directory = Path(model_dir) if model_dir is not None else default_squared_dir()
    if backend == "onnx":
        if beam != 1:
            raise SymtokError("the ONNX backend decodes greedily: use --beam 1 or the torch backend")
        return predict_onnx(directory, amplitudes, batch_size=batch_size)
    if backend != "torch":
        raise SymtokError(f"backend must be torch or onnx, got {backend!r}")
    if not (directory / "config.json").exists() and not (directory / "checkpoint" / "config.json").exists():
        raise SymtokError(f"no model at {directory}; train one with `symtok amplitudes squared train`")
    from amplitudes.learn.squared import load_squared, predict_squared

    model, vocab, config = load_squared(directory)
    return predict_squared(
        model, vocab, amplitudes, beam=beam, batch_size=batch_size, order=config.source_order, progress=progress
    )


def default_squared_dir() -> Path:
    """The shipped squared-amplitude model: squared-default if present, else squared-symba2025."""
    from symtok.files import data_path

    for name in ("squared-default", "squared-symba2025"):
        path = Path(data_path("models")) / name
        if (path / "config.json").exists():
            return path
    return Path(data_path("models")) / "squared-default"


def write_errors(errors: Sequence[BadRow], path: str | os.PathLike[str]) -> None:
    """One JSON object per unreadable row (line, reason, text), atomically."""

    from symtok.files import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(asdict(e)) + "\n" for e in errors))


@dataclass(frozen=True)
class SquaredRow:
    """One row of ``predict --file``: the prediction, and how it compares with the row's own
    squared amplitude when the row has one; or the reason it has no prediction."""

    line: int
    squared_amplitude: str | None = None
    exact_match: bool | None = None
    equivalent: bool | None = None
    error: str | None = None


def predict_squared_rows(
    model_dir: str | os.PathLike[str] | None,
    path: str,
    *,
    beam: int = 1,
    batch_size: int = 32,
    backend: str = "torch",
    progress: bool = False,
) -> list[SquaredRow]:
    """Predict every row of a file (SYMBA rows, ``amp,sqamp`` CSV or one amplitude per line); a row
    that fails gets its error, the others their prediction; in = out."""
    from symtok.equivalence import equivalent

    rows = list(read_rows(path))
    good = [r for r in rows if isinstance(r, Row)]
    predictions = iter(
        predict_texts(
            model_dir,
            [r.amplitude for r in good],
            beam=beam,
            batch_size=batch_size,
            backend=backend,
            progress=progress,
        )
    )
    out: list[SquaredRow] = []
    for row in rows:
        if isinstance(row, BadRow):
            out.append(SquaredRow(row.line, error=row.reason))
            continue
        p = next(predictions)
        if p.text is None:
            out.append(SquaredRow(row.line, error=p.error))
            continue
        exact = same = None
        if row.squared_amplitude is not None:
            try:
                truth = symtok.tokenize(row.squared_amplitude)
            except SymtokError as err:
                out.append(
                    SquaredRow(row.line, p.text, error=f"the row's squared amplitude: {str(err).splitlines()[0]}")
                )
                continue
            exact = list(p.tokens or ()) == truth
            same = exact or equivalent(symtok.detokenize(list(p.tokens or ())), symtok.detokenize(truth))
        out.append(SquaredRow(row.line, p.text, exact, same))
    return out


@dataclass(frozen=True)
class ExpressionPrediction:
    """``symtok predict``'s answer for one amplitude: the amplitude and its predicted squared amplitude."""

    amplitude: str
    squared_amplitude: str
    tokens: list[str]
    model: str
    beam: int


def predict_squared_one(
    amplitude: str | None,
    *,
    process: str | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    beam: int = 1,
    backend: str = "torch",
) -> ExpressionPrediction:
    """Predict the squared amplitude of one amplitude (or of a process's first diagram, built by the
    generator); SymtokError when the amplitude cannot be read or the model cannot decode it."""
    if (amplitude is None) == (process is None):
        raise SymtokError("give an amplitude or a process, not both")
    if process is not None:
        from amplitudes.generate import process_rows
        from amplitudes.physics.process import Process
        from amplitudes.physics.theory import infer_theory

        proc = Process.parse(process)
        amplitude = process_rows(proc, infer_theory(proc), mode="diagram")[0].amplitude
    directory = Path(model_dir) if model_dir is not None else default_squared_dir()
    (p,) = predict_texts(directory, [amplitude or ""], beam=beam, backend=backend)
    if p.text is None:
        raise SymtokError(p.error or "no prediction")
    return ExpressionPrediction(amplitude or "", p.text, list(p.tokens or ()), str(directory), beam)
