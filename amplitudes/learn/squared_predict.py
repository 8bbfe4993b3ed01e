"""Prediction of squared amplitudes from a model directory with either backend: torch (the
checkpoint, through amplitudes.learn.squared, imported only then) or the exported ONNX graphs run
by onnxruntime (symtok.onnx_seq2seq), which never import torch."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import symtok
from amplitudes.learn.squared_data import (
    SquaredPrediction,
    default_squared_dir,
    encode_sources,
    prediction_of,
    row_legs,
)
from symtok.errors import SymtokError
from symtok.io import BadRow, Row, read_rows
from symtok.vocab import Vocab


def predict_onnx(
    model_dir: str | os.PathLike[str],
    amplitudes: Sequence[str],
    *,
    batch_size: int = 32,
    beam: int = 1,
    legs: Sequence[Sequence[int]] | None = None,
    verify: bool = False,
) -> list[SquaredPrediction]:
    """Greedy (or ``beam``-search) predictions with the exported graphs of ``model_dir`` (onnxruntime,
    no torch); ``legs`` as in predict_texts. ``verify``: verified decoding as the torch backend does
    it, the first of the ``beam`` hypotheses that passes the numeric check against its amplitude
    (under ``legs`` when given), and each prediction says whether it passed."""
    from amplitudes.learn.squared_verify import amplitude_check, choose
    from symtok.onnx_seq2seq import OnnxSeq2Seq

    directory = Path(model_dir)
    graphs = OnnxSeq2Seq(directory)
    vocab = Vocab.load(directory / "vocab.json") if (directory / "vocab.json").exists() else Vocab.default()
    meta = graphs.meta
    sources, where, out = encode_sources(
        vocab,
        amplitudes,
        order=bool(meta.get("source_order")),
        legs=model_legs(bool(meta.get("source_legs")), legs, len(amplitudes)),
        max_source_len=int(meta["max_source_len"]),
    )
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = [sources[i] for i in chunk]
        if not verify:  # only the best hypothesis is needed (beam 1: greedy decoding)
            decoded = graphs.beam_search(batch, beam=beam, max_length=int(meta["decode_budget"]), vocab=vocab)
            for i, ids in zip(chunk, decoded, strict=True):
                out[where[i]] = prediction_of(vocab, ids)
            continue
        found = graphs.hypotheses(batch, beam=beam, max_length=int(meta["decode_budget"]), vocab=vocab)
        for i, hyps in zip(chunk, found, strict=True):
            row = where[i]
            c = choose(vocab, hyps, amplitude_check(amplitudes[row], None if legs is None else legs[row]))
            out[row] = prediction_of(vocab, c.ids, c.log_prob, verified=c.verified)
    return [p for p in out if p is not None]


def model_legs(uses_legs: bool, legs: Sequence[Sequence[int]] | None, count: int) -> Sequence[Sequence[int]] | None:
    """The OffShell legs a model reads: none for a model trained without them; for one trained with
    them the given legs, or every external leg on shell when none are given."""
    if not uses_legs:
        return None
    return legs if legs is not None else [()] * count


def predict_texts(
    model_dir: str | os.PathLike[str] | None,
    amplitudes: Sequence[str],
    *,
    beam: int = 1,
    batch_size: int = 32,
    backend: str = "torch",
    progress: bool = False,
    legs: Sequence[Sequence[int]] | None = None,
    verify: bool = False,
) -> list[SquaredPrediction]:
    """One prediction (or error) per amplitude with the model in ``model_dir`` (default: the shipped
    model for each amplitude, see default_squared_dir). ``legs``: each amplitude's OffShell external
    legs (SYMBA rows' interaction field), read by a model trained with them (``source_legs``);
    without them every external leg is on shell. ``verify``: verified decoding (the first beam
    hypothesis that passes the numeric check against its amplitude, under ``legs`` when given, else
    the legs its s_ii show; amplitudes.learn.squared_verify), and each prediction says whether it passed."""
    if model_dir is None:
        groups: dict[Path, list[int]] = {}
        for i, text in enumerate(amplitudes):
            groups.setdefault(default_squared_dir(text), []).append(i)
        out: list[SquaredPrediction | None] = [None] * len(amplitudes)
        for directory, where in groups.items():
            found = predict_texts(
                directory,
                [amplitudes[i] for i in where],
                beam=beam,
                batch_size=batch_size,
                backend=backend,
                progress=progress,
                legs=None if legs is None else [legs[i] for i in where],
                verify=verify,
            )
            for i, p in zip(where, found, strict=True):
                out[i] = p
        return [p for p in out if p is not None]
    directory = Path(model_dir)
    if backend == "onnx":
        return predict_onnx(directory, amplitudes, batch_size=batch_size, beam=beam, legs=legs, verify=verify)
    if backend != "torch":
        raise SymtokError(f"backend must be torch or onnx, got {backend!r}")
    if not (directory / "config.json").exists() and not (directory / "checkpoint" / "config.json").exists():
        raise SymtokError(f"no model at {directory}; train one with `symtok amplitudes squared train`")
    from amplitudes.learn.squared import load_squared, predict_squared

    model, vocab, config = load_squared(directory)
    return predict_squared(
        model,
        vocab,
        amplitudes,
        beam=beam,
        batch_size=batch_size,
        order=config.source_order,
        legs=model_legs(config.source_legs, legs, len(amplitudes)),
        progress=progress,
        verify=verify,
        offshell=legs,
    )


@dataclass(frozen=True)
class SquaredRow:
    """One row of ``predict --file``: the prediction, and how it compares with the row's own
    squared amplitude when the row has one; or the reason it has no prediction."""

    line: int
    squared_amplitude: str | None = None
    exact_match: bool | None = None
    equivalent: bool | None = None
    error: str | None = None
    #: at a point (``point=``): the predicted expression's value, the row's own, their relative
    #: difference, or why the row has no value there (below threshold, unknown particle, ...)
    prediction: float | None = None
    exact: float | None = None
    rel_error: float | None = None
    value_error: str | None = None
    #: with ``verify``: the prediction passed the numeric check against the row's amplitude
    verified: bool | None = None


def predict_squared_rows(
    model_dir: str | os.PathLike[str] | None,
    path: str,
    *,
    beam: int = 1,
    batch_size: int = 32,
    backend: str = "torch",
    progress: bool = False,
    point: tuple[float, float] | None = None,
    verify: bool = False,
) -> list[SquaredRow]:
    """Predict every row of a file (SYMBA rows, ``amp,sqamp`` CSV or one amplitude per line); a row
    that fails gets its error, the others their prediction; in = out. With ``point`` (√s in GeV,
    cos θ) each prediction is also evaluated there, and the row's own squared amplitude too; a row
    that cannot be evaluated there keeps its prediction and gets ``value_error``. ``verify``: verified
    decoding (see predict_texts), under the OffShell legs each row's header states."""
    from amplitudes.learn.predict import check_point
    from symtok.equivalence import equivalent

    if point is not None:
        check_point(*point)  # a bad point is the caller's error, before any work

    rows: list[Row | BadRow] = list(read_rows(path))
    legs = model_dir is None or _reads_legs(Path(model_dir))  # the shipped default reads them
    if legs:
        rows = [_with_legs(r) for r in rows]
    good = [r for r in rows if isinstance(r, Row)]
    stated = [_stated_legs(r) for r in good] if verify else None
    predictions = iter(
        predict_texts(
            model_dir,
            [r.amplitude for r in good],
            beam=beam,
            batch_size=batch_size,
            backend=backend,
            progress=progress,
            legs=[row_legs(r) for r in good] if legs else stated,  # unreadable fields are BadRows above
            verify=verify,
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
        result = SquaredRow(row.line, p.text, exact, same, verified=p.verified)
        out.append(result if point is None else _at_point(result, row, point))
    return out


def _reads_legs(directory: Path) -> bool:
    """Whether the model in ``directory`` was trained with OffShell legs in its input (its config.json
    says; a missing or broken one is reported by the loader)."""
    import json

    for path in (directory / "config.json", directory / "checkpoint" / "config.json"):
        try:
            return bool(json.loads(path.read_text(encoding="utf-8")).get("source_legs"))
        except (OSError, ValueError, AttributeError):
            continue
    return False


def _stated_legs(row: Row) -> tuple[int, ...] | None:
    """The OffShell legs a row's header states, None when it has none (or one that cannot be read)."""
    if not row.process:
        return None
    try:
        return row_legs(row)
    except SymtokError:
        return None


def _with_legs(row: Row | BadRow) -> Row | BadRow:
    """The row, or a BadRow when its interaction field cannot be read for its OffShell legs."""
    if isinstance(row, BadRow):
        return row
    try:
        row_legs(row)
    except SymtokError as err:
        return BadRow(row.line, f"the interaction field: {str(err).splitlines()[0]}", row.amplitude[:500])
    return row


def _at_point(result: SquaredRow, row: Row, point: tuple[float, float]) -> SquaredRow:
    """``result`` with its value at ``point`` (and the row's own value and the relative difference)."""
    from dataclasses import replace

    from amplitudes.learn.predict import evaluate_expression

    try:
        value = evaluate_expression(row.amplitude, result.squared_amplitude or "", *point)
        own = (
            None if row.squared_amplitude is None else evaluate_expression(row.amplitude, row.squared_amplitude, *point)
        )
    except (KeyboardInterrupt, MemoryError):
        raise
    except SymtokError as err:
        return replace(result, value_error=str(err).splitlines()[0])
    except Exception as err:  # one row's failure, typed; the batch goes on
        return replace(result, value_error=f"{type(err).__name__}: {err}")
    rel = None if own is None else abs(value - own) / max(abs(own), 1e-300)
    return replace(result, prediction=value, exact=own, rel_error=rel)


@dataclass(frozen=True)
class ExpressionPrediction:
    """``symtok predict``'s answer for one amplitude: the amplitude, its predicted squared amplitude
    and, when asked, the generator's exact one and whether the two are numerically equal."""

    amplitude: str
    squared_amplitude: str
    tokens: list[str]
    model: str
    beam: int
    exact: str | None = None
    equivalent: bool | None = None
    verified: bool | None = None  # with verify: passed the numeric check against the amplitude


def generator_squared(amplitude: str) -> str:
    """The generator's squared amplitude of the diagram whose amplitude is ``amplitude`` (equal up to
    index names and factor order); SymtokError if the generator has no such diagram."""
    from amplitudes.generate import process_rows
    from amplitudes.learn.predict import process_of_amplitude
    from amplitudes.physics.theory import infer_theory

    proc = process_of_amplitude(symtok.parse(amplitude))
    wanted = symtok.tokenize(amplitude)
    for row in process_rows(proc, infer_theory(proc), mode="diagram"):
        if symtok.tokenize(row.amplitude) == wanted:
            return row.squared_amplitude
    raise SymtokError(f"the generator has no diagram of {proc} with this amplitude (its conventions may differ)")


def predict_squared_one(
    amplitude: str | None,
    *,
    process: str | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    beam: int = 1,
    backend: str = "torch",
    exact: bool = False,
    legs: Sequence[int] | None = None,
    verify: bool = False,
) -> ExpressionPrediction:
    """Predict the squared amplitude of one amplitude (or of a process's first diagram, built by the
    generator); with ``exact`` also compare it with the generator's. ``legs``: the amplitude's
    OffShell external legs (default: a process's own, else none), for a model that reads them.
    ``verify``: verified decoding (see predict_texts). SymtokError when the amplitude cannot be read
    or the model cannot decode it."""
    if (amplitude is None) == (process is None):
        raise SymtokError("give an amplitude or a process, not both")
    truth = None
    if process is not None:
        from amplitudes.generate import process_rows
        from amplitudes.physics.process import Process
        from amplitudes.physics.theory import infer_theory

        proc = Process.parse(process)
        row = process_rows(proc, infer_theory(proc), mode="diagram")[0]
        amplitude, truth = row.amplitude, row.squared_amplitude
        legs = sorted(proc.offshell) if legs is None else legs
    if model_dir is not None:
        directory = Path(model_dir)
    else:  # a generated amplitude goes to the model trained on generated rows
        directory = default_squared_dir(None if process is not None else amplitude)
    (p,) = predict_texts(
        directory,
        [amplitude or ""],
        beam=beam,
        backend=backend,
        legs=None if legs is None else [tuple(legs)],
        verify=verify,
    )
    if p.text is None:
        raise SymtokError(p.error or "no prediction")
    same = None
    if exact:
        from symtok.equivalence import equivalent

        truth = truth or generator_squared(amplitude or "")
        same = equivalent(symtok.detokenize(list(p.tokens or ())), symtok.normalize(symtok.parse(truth)))
    return ExpressionPrediction(
        amplitude or "", p.text, list(p.tokens or ()), str(directory), beam, truth if exact else None, same, p.verified
    )
