"""``symtok predict``: the squared amplitude of an amplitude (the SYMBA task), or |M|^2 at a point.

The default model predicts the squared-amplitude expression; ``--model`` may also name an
amplitude regressor, which predicts the number |M|^2 at ``--sqrt-s``/``--cos-theta``.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer

from cli.options import DeviceOption, PrecisionOption, on_device
from cli.render import EXPR_COMMAND, json_line, read_expr, say, warn


def _line(r) -> str:  # r: amplitudes.learn.predict.Prediction
    text = f"{r.process}  sqrt(s) = {r.sqrt_s} GeV, cos(theta) = {r.cos_theta}: predicted |M|^2 = {r.prediction:.6g}"
    if r.exact is not None:
        text += f", exact {r.exact:.6g}, relative error {100 * (r.rel_error or 0):.2f}%"
    if not r.in_training_range:
        text += "  (outside the model's training range: extrapolation)"
    return text


def _regressor(amplitude, sqrt_s, cos_theta, process, model, exact, file, backend, as_json) -> None:
    from amplitudes.learn.predict import predict as run_predict
    from amplitudes.learn.predict import predict_file

    sqrt_s = 10.0 if sqrt_s is None else sqrt_s
    cos_theta = 0.0 if cos_theta is None else cos_theta
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


def _value_text(row) -> str:  # row: amplitudes.learn.squared_predict.SquaredRow
    if row.value_error is not None:
        return f"  [no value at the point: {row.value_error}]"
    if row.prediction is None:
        return ""
    text = f"  = {row.prediction:.6g}"
    if row.exact is not None:
        text += f" (row's own {row.exact:.6g}, relative difference {100 * (row.rel_error or 0):.2g}%)"
    return text


def _legs(text: str | None) -> list[int] | None:
    if text is None:
        return None
    from amplitudes.learn.squared_data import MAX_LEG

    try:
        legs = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"--offshell expects leg numbers such as 3,4; got {text!r}") from None
    if any(not 1 <= n <= MAX_LEG for n in legs):
        raise typer.BadParameter(f"--offshell legs are numbered 1..{MAX_LEG}; got {text!r}")
    return legs


def _squared(
    amplitude,
    sqrt_s,
    cos_theta,
    process,
    model,
    beam,
    exact,
    file,
    backend,
    as_json,
    progress,
    offshell=None,
    verify=True,
) -> None:
    from amplitudes.learn.predict import evaluate_expression
    from amplitudes.learn.squared_predict import predict_squared_one, predict_squared_rows

    if file is None:
        text = read_expr(amplitude) if amplitude is not None else None
        r = predict_squared_one(
            text,
            process=process,
            model_dir=model,
            beam=beam,
            backend=backend,
            exact=exact,
            legs=_legs(offshell),
            verify=verify,
        )
        value = None
        if sqrt_s is not None or cos_theta is not None:
            value = evaluate_expression(r.amplitude, r.squared_amplitude, sqrt_s or 10.0, cos_theta or 0.0)
        if as_json:
            json_line({**asdict(r), "value": value})
            return
        say(r.squared_amplitude)
        if verify:
            warn(
                "not checked: no process can be read from the amplitude's wave functions, or it is too large"
                if r.verified is None
                else "verified: the amplitude's own |A|^2 equals it at random points"
                if r.verified
                else "NOT verified: no hypothesis equals the amplitude's own |A|^2 at random points"
            )
        if r.equivalent is not None:
            warn(
                f"the generator's exact squared amplitude {'equals' if r.equivalent else 'DIFFERS FROM'} the prediction"
            )
        if value is not None:
            warn(f"at sqrt(s) = {sqrt_s or 10.0} GeV, cos(theta) = {cos_theta or 0.0} (e = g = 1): {value:.12g}")
        return
    point = None if sqrt_s is None and cos_theta is None else (sqrt_s or 10.0, cos_theta or 0.0)
    rows = predict_squared_rows(model, file, beam=beam, backend=backend, progress=progress, point=point, verify=verify)
    done = failed = matched = compared = evaluated = verified = 0
    for row in rows:
        if row.error is not None:
            failed += 1
            json_line({"line": row.line, "error": row.error}) if as_json else warn(f"line {row.line}: {row.error}")
            continue
        done += 1
        evaluated += row.prediction is not None
        verified += row.verified is True
        if row.equivalent is not None:
            compared += 1
            matched += row.equivalent
        if as_json:
            json_line({k: v for k, v in asdict(row).items() if v is not None or k in ("exact_match", "equivalent")})
        else:
            verdict = "" if row.equivalent is None else ("  [equivalent]" if row.equivalent else "  [NOT equivalent]")
            say(f"line {row.line}: {row.squared_amplitude}{verdict if exact else ''}{_value_text(row)}")
    summary = f"{done + failed} rows: {done} predicted, {failed} errors"
    if verify:
        summary += f"; {verified} verified against their amplitude"
    if point is not None:
        summary += f"; {evaluated} evaluated at sqrt(s) = {point[0]} GeV, cos(theta) = {point[1]}"
    if compared:
        summary += f"; {matched}/{compared} numerically equal to the row's own squared amplitude"
    warn(summary)
    raise typer.Exit(0 if done else 1)


def predict(
    amplitude: Annotated[str | None, typer.Argument(help="Amplitude in the MARTY form; '-' reads stdin")] = None,
    sqrt_s: Annotated[float | None, typer.Option("--sqrt-s", help="also evaluate at this energy, GeV")] = None,
    cos_theta: Annotated[float | None, typer.Option("--cos-theta", help="cos of the angle between p_1 and p_3")] = None,
    process: Annotated[
        str | None, typer.Option("--process", help='build the amplitude with the generator, e.g. "e+ e- > mu+ mu-"')
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: the shipped model)")] = None,
    beam: Annotated[int, typer.Option(min=1, max=64, help="beam width (1 = greedy)")] = 1,
    exact: Annotated[
        bool, typer.Option("--exact", help="compare with the exact result (--file: the row's own)")
    ] = False,
    file: Annotated[
        str | None, typer.Option("--file", help="SYMBA rows, amp,sqamp CSV or one amplitude per line")
    ] = None,
    backend: Annotated[
        Literal["torch", "onnx"], typer.Option(help="torch | onnx (graphs from `symtok export onnx`; no torch)")
    ] = "torch",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = False,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
    method: Annotated[
        Literal["expression", "regression"],
        typer.Option(
            "--method",
            help="expression: predict the squared amplitude, evaluate it at the point | "
            "regression: the numeric |M|^2 surrogate (default model: amplitude-default)",
        ),
    ] = "expression",
    offshell: Annotated[
        str | None,
        typer.Option(
            "--offshell",
            help="the amplitude's OffShell external legs, e.g. 3,4, for a model that reads them "
            "(default none; --process: its starred legs; --file rows: their header)",
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="return the first beam hypothesis whose value equals the amplitude's own |A|^2 at random "
            "points, and say whether it does",
        ),
    ] = True,
) -> None:
    """Predict the squared amplitude of an amplitude (with --sqrt-s/--cos-theta also its value)."""
    from amplitudes.learn.predict import model_kind_of

    regressor = model is not None and model_kind_of(model) == "amplitude-regressor"
    if method == "regression" and model is not None and not regressor:
        raise typer.BadParameter(f"--method regression needs an amplitude-regressor model; {model} is not one")
    if backend == "onnx" and (device, precision) != ("cpu", "fp32"):
        raise typer.BadParameter("--backend onnx runs onnxruntime on the CPU: drop --device/--precision")
    if regressor or method == "regression":
        with on_device(device, precision):
            _regressor(amplitude, sqrt_s, cos_theta, process, model, exact, file, backend, as_json)
        return
    with on_device(device, precision):
        _squared(
            amplitude,
            sqrt_s,
            cos_theta,
            process,
            model,
            beam,
            exact,
            file,
            backend,
            as_json,
            progress,
            offshell,
            verify,
        )


def register(app: typer.Typer) -> None:
    """Add ``predict`` to the app."""
    app.command(**EXPR_COMMAND)(predict)
