"""``symtok predict``: |M|^2 of an amplitude, a process or every row of a file with a trained model."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer

from cli.render import EXPR_COMMAND, json_line, read_expr, say, warn


def _line(r) -> str:  # r: amplitudes.learn.predict.Prediction
    text = f"{r.process}  sqrt(s) = {r.sqrt_s} GeV, cos(theta) = {r.cos_theta}: predicted |M|^2 = {r.prediction:.6g}"
    if r.exact is not None:
        text += f", exact {r.exact:.6g}, relative error {100 * (r.rel_error or 0):.2f}%"
    if not r.in_training_range:
        text += "  (outside the model's training range: extrapolation)"
    return text


def predict(
    amplitude: Annotated[str | None, typer.Argument(help="Amplitude in the MARTY form; '-' reads stdin")] = None,
    sqrt_s: Annotated[float, typer.Option("--sqrt-s", help="centre-of-mass energy, GeV")] = 10.0,
    cos_theta: Annotated[float, typer.Option("--cos-theta", help="cosine of the angle between p_1 and p_3")] = 0.0,
    process: Annotated[
        str | None, typer.Option("--process", help='build the amplitude with the generator, e.g. "e+ e- > mu+ mu-"')
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: the shipped model)")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="also compute the exact |M|^2 and the relative error")] = False,
    file: Annotated[str | None, typer.Option("--file", help="SYMBA rows: predict each row at the given point")] = None,
    backend: Annotated[
        Literal["torch", "onnx"], typer.Option(help="torch | onnx (model.onnx from `symtok export onnx`)")
    ] = "torch",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Predict |M|^2 (e = g = 1) of an amplitude at a centre-of-mass point with a trained model."""
    from amplitudes.learn.predict import predict as run_predict
    from amplitudes.learn.predict import predict_file

    if file is None:
        text = read_expr(amplitude) if amplitude is not None else None
        r = run_predict(
            sqrt_s, cos_theta, amplitude=text, process=process, model_dir=model, exact=exact, backend=backend
        )
        json_line(asdict(r)) if as_json else say(_line(r))
        return
    done = failed = 0
    for row in predict_file(file, sqrt_s, cos_theta, model_dir=model, exact=exact, backend=backend):
        if row.prediction is None:
            failed += 1
            json_line({"line": row.line, "error": row.error}) if as_json else warn(f"line {row.line}: {row.error}")
            continue
        done += 1
        json_line({"line": row.line, **asdict(row.prediction)}) if as_json else say(_line(row.prediction))
    warn(f"{done + failed} rows: {done} predicted, {failed} errors")
    raise typer.Exit(0 if done else 1)


def register(app: typer.Typer) -> None:
    """Add ``predict`` to the app."""
    app.command(**EXPR_COMMAND)(predict)
