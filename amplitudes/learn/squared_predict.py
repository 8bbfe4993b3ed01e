"""Prediction of squared amplitudes from a model directory with either backend: torch (the
checkpoint, through amplitudes.learn.squared, imported only then) or the exported ONNX graphs run
by onnxruntime (symtok.onnx_seq2seq), which never import torch."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import symtok
from amplitudes.learn.squared_data import SquaredPrediction, default_squared_dir, encode_sources, prediction_of
from symtok.errors import SymtokError
from symtok.io import BadRow, Row, read_rows
from symtok.vocab import Vocab


def predict_onnx(
    model_dir: str | os.PathLike[str], amplitudes: Sequence[str], *, batch_size: int = 32, beam: int = 1
) -> list[SquaredPrediction]:
    """Greedy (or ``beam``-search) predictions with the exported graphs of ``model_dir`` (onnxruntime, no torch)."""
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
        decoded = graphs.beam_search(
            [sources[i] for i in chunk], beam=beam, max_length=int(meta["decode_budget"]), vocab=vocab
        )
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
        return predict_onnx(directory, amplitudes, batch_size=batch_size, beam=beam)
    if backend != "torch":
        raise SymtokError(f"backend must be torch or onnx, got {backend!r}")
    if not (directory / "config.json").exists() and not (directory / "checkpoint" / "config.json").exists():
        raise SymtokError(f"no model at {directory}; train one with `symtok amplitudes squared train`")
    from amplitudes.learn.squared import load_squared, predict_squared

    model, vocab, config = load_squared(directory)
    return predict_squared(
        model, vocab, amplitudes, beam=beam, batch_size=batch_size, order=config.source_order, progress=progress
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


def predict_squared_rows(
    model_dir: str | os.PathLike[str] | None,
    path: str,
    *,
    beam: int = 1,
    batch_size: int = 32,
    backend: str = "torch",
    progress: bool = False,
    point: tuple[float, float] | None = None,
) -> list[SquaredRow]:
    """Predict every row of a file (SYMBA rows, ``amp,sqamp`` CSV or one amplitude per line); a row
    that fails gets its error, the others their prediction; in = out. With ``point`` (√s in GeV,
    cos θ) each prediction is also evaluated there, and the row's own squared amplitude too; a row
    that cannot be evaluated there keeps its prediction and gets ``value_error``."""
    from amplitudes.learn.predict import check_point
    from symtok.equivalence import equivalent

    if point is not None:
        check_point(*point)  # a bad point is the caller's error, before any work

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
        result = SquaredRow(row.line, p.text, exact, same)
        out.append(result if point is None else _at_point(result, row, point))
    return out


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
) -> ExpressionPrediction:
    """Predict the squared amplitude of one amplitude (or of a process's first diagram, built by the
    generator); with ``exact`` also compare it with the generator's. SymtokError when the amplitude
    cannot be read or the model cannot decode it."""
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
    directory = Path(model_dir) if model_dir is not None else default_squared_dir()
    (p,) = predict_texts(directory, [amplitude or ""], beam=beam, backend=backend)
    if p.text is None:
        raise SymtokError(p.error or "no prediction")
    same = None
    if exact:
        from symtok.equivalence import equivalent

        truth = truth or generator_squared(amplitude or "")
        same = equivalent(symtok.detokenize(list(p.tokens or ())), symtok.normalize(symtok.parse(truth)))
    return ExpressionPrediction(
        amplitude or "", p.text, list(p.tokens or ()), str(directory), beam, truth if exact else None, same
    )
