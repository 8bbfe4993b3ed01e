"""The torch-free data side of the SYMBA task: (amplitude, squared amplitude) rows as token ids,
the model's input tokens, decoded ids back to checked expressions, where the shipped model lives."""

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
    offshell: tuple[int, ...] | None = None  # the OffShell legs the row states (its header); None: unstated


@dataclass
class PairSet:
    """The rows of a file that tokenized, and the ones that did not (in = pairs + errors)."""

    pairs: list[Pair]
    errors: list[BadRow]


_NUMBER = re.compile(r"(\d+)")
MAX_LEG = 8  # the vocabulary has s_ij for i, j <= 8


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER.split(name))


def source_tokens(text: str, *, order: bool = False, legs: Sequence[int] | None = None) -> list[str]:
    """The model input of an amplitude: its canonical tokens, then (``legs``, the numbers of its
    OffShell external legs, possibly none) ``<sep> s_ii ... <sep>``, then (``order``) ``<sep>`` and,
    per canonical index, the rank of its original name among the input's names of that kind.

    ``legs`` says what the amplitude text cannot: an OffShell external leg keeps p_i^2 = s_ii in the
    squared amplitude (an on-shell one has m_i^2), but it shows in the amplitude only where it
    enters a propagator. In the generated 2->2 QED+QCD corpus with every OffShell pattern, 990 of
    15,740 distinct amplitudes have more than one squared amplitude, which caps a text-only model at
    94.6 % exact match (``benchmarks/symba2025_ceiling.py --legs``).

    Canonical tokens forget how the generator named and ordered things. On the 2025 benchmark that
    loses information the target depends on: rows whose amplitudes are equal up to renaming
    have different squared amplitudes (an OffShell leg, written only in the dropped process
    header, adds its s_ii terms), and MARTY's naming order differs between them. The ranks keep
    that order without keeping any name, so the input stays independent of the naming scheme.
    """
    normed, renaming = symtok.normalize_indices(symtok.parse(text))
    tokens = symtok.encode(normed)
    if legs is not None:
        if any(not 1 <= n <= MAX_LEG for n in legs):
            raise SymtokError(f"OffShell legs must be numbered 1..{MAX_LEG}, got {sorted(legs)}")
        tokens += [SEP, *(f"s_{n}{n}" for n in sorted(set(legs))), SEP]
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


def row_legs(row: Row) -> tuple[int, ...]:
    """The OffShell external legs of a row: from its SYMBA interaction field (or a process written
    ``e- a > e- a*``), none without one (an amplitude given alone is read with every leg on shell)."""
    if not row.process:
        return ()
    if " > " in row.process:
        from amplitudes.physics.process import Process

        return tuple(sorted(Process.parse(row.process).offshell))
    from amplitudes.symba import offshell_legs

    return offshell_legs(row.process)


def _tokenize_row(
    row: Row | BadRow, order: bool = False, legs: bool = False
) -> tuple[int, list[str], list[str], str, tuple[int, ...] | None] | BadRow:
    if isinstance(row, BadRow):
        return row
    if row.squared_amplitude is None:
        return BadRow(row.line, "the row has no squared amplitude", row.amplitude[:500])
    try:
        source = source_tokens(row.amplitude, order=order, legs=row_legs(row) if legs else None)
        target = symtok.tokenize(row.squared_amplitude)
    except SymtokError as err:
        return BadRow(row.line, str(err).splitlines()[0], row.amplitude[:500])
    try:
        stated = row_legs(row) if row.process else None
    except SymtokError:
        stated = None  # a header that cannot be read states nothing (an error only for a model reading legs)
    return row.line, source, target, row.amplitude, stated


def read_pairs(
    path: str | os.PathLike[str],
    vocab: Vocab,
    *,
    max_source_len: int = 1024,
    max_target_len: int = 1024,
    order: bool = False,
    legs: bool = False,
    workers: int | None = None,
) -> PairSet:
    """Tokenize every row of ``path`` that has a squared amplitude (``legs``: with its OffShell legs,
    see source_tokens); rows that fail or are longer than the limits become errors with the reason."""
    rows = list(read_rows(str(path)))
    workers = workers or min(len(rows) // 500 + 1, os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(partial(_tokenize_row, order=order, legs=legs), rows, chunksize=64))
    else:
        results = [_tokenize_row(r, order, legs) for r in rows]
    pairs, errors = [], []
    for result in results:
        if isinstance(result, BadRow):
            errors.append(result)
            continue
        line, source, target, amplitude, stated = result
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
            pairs.append(Pair(line, tuple(vocab.encode(source)), tuple(vocab.encode(target)), amplitude, stated))
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
    verified: bool | None = None  # passed the numeric check against its amplitude; None: not checked


def prediction_of(
    vocab: Vocab, ids: Sequence[int], log_prob: float | None = None, *, verified: bool | None = None
) -> SquaredPrediction:
    """The expression of decoded ids, checked so that its text parses again."""
    tokens = tuple(vocab.decode(list(ids)))
    try:
        text = symtok.to_string(check_result(symtok.detokenize(list(tokens))))
    except SymtokError as err:
        return SquaredPrediction(tokens, None, log_prob, f"the decoded tokens are not an expression: {err}")
    return SquaredPrediction(tokens, text, log_prob, verified=verified)


def encode_sources(
    vocab: Vocab,
    amplitudes: Sequence[str],
    *,
    order: bool,
    max_source_len: int,
    legs: Sequence[Sequence[int]] | None = None,
) -> tuple[list[list[int]], list[int], list[SquaredPrediction | None]]:
    """Source ids of the amplitudes that can be read and fit the model (with their positions); the
    others get their error in the returned list. ``legs``: each amplitude's OffShell legs, for a
    model whose input has them (see source_tokens)."""
    if legs is not None and len(legs) != len(amplitudes):
        raise SymtokError(f"{len(legs)} OffShell-leg lists for {len(amplitudes)} amplitudes")
    sources: list[list[int]] = []
    where: list[int] = []
    out: list[SquaredPrediction | None] = [None] * len(amplitudes)
    for i, text in enumerate(amplitudes):
        try:
            ids = vocab.encode(source_tokens(text, order=order, legs=None if legs is None else legs[i]))
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


#: The shipped squared-amplitude models, best first for amplitudes without colour (QED): the one
#: trained on real MARTY rows (2025 benchmark, QED only), then the one trained on generated QED+QCD.
QED_MODELS = ("squared-symba2025", "squared-default")
COLOUR_MODELS = ("squared-default",)


def has_colour(amplitude: str) -> bool:
    """Whether an amplitude has colour (gluons, quark colour indices, the strong coupling g): a
    QCD or mixed amplitude, which only a model trained on QCD rows can square. False for text that
    does not parse (the model reports that error itself)."""
    from symtok.indices import ADJOINT, FUNDAMENTAL
    from symtok.tokens import INDEX_PREFIX

    try:
        tokens = symtok.tokenize(amplitude)
    except SymtokError:
        return False
    prefixes = (INDEX_PREFIX[ADJOINT], INDEX_PREFIX[FUNDAMENTAL])
    return any(t == "g" or t.startswith(prefixes) for t in tokens)


def default_squared_dir(amplitude: str | None = None) -> Path:
    """The shipped squared-amplitude model for ``amplitude``: squared-symba2025 (real MARTY rows,
    QED only) for one without colour, squared-default (generated QED+QCD rows) for one with colour
    (see has_colour) and when no amplitude is given; whichever of them is present."""
    from symtok.files import data_path

    names = QED_MODELS if amplitude is not None and not has_colour(amplitude) else (*COLOUR_MODELS, *QED_MODELS)
    for name in names:
        path = Path(data_path("models")) / name
        if (path / "config.json").exists():
            return path
    return Path(data_path("models")) / names[0]


def write_errors(errors: Sequence[BadRow], path: str | os.PathLike[str]) -> None:
    """One JSON object per unreadable row (line, reason, text), atomically."""

    from symtok.files import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(asdict(e)) + "\n" for e in errors))
