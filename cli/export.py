"""The ``symtok export`` group: any saved model to ONNX, dispatched on its registered kind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.render import say

app = typer.Typer(help="Export trained models for deployment.", no_args_is_help=True)


@app.command("onnx")
def export_onnx_command(
    model: Annotated[
        Path,
        typer.Option("--model", help="Model directory: amplitude regressor, squared-amplitude model or jet tagger"),
    ],
    output: Annotated[
        str,  # not Path: a trailing "/" (a directory to create) must survive
        typer.Option(
            "--output",
            "-o",
            help="model.onnx to write, or a directory for it (a squared-amplitude model writes two graphs there)",
        ),
    ],
    opset: Annotated[int, typer.Option(min=7, help="ONNX opset")] = 18,
) -> None:
    """Export a trained model to ONNX (named inputs, dynamic axes, fixed FAVOR+ features)."""
    import amplitudes.learn.onnx_export  # noqa: F401  (registers the regressor's export)
    import jets.onnx_export  # noqa: F401  (registers the tagger's export)
    from symtok.nn.onnx_export import export_checkpoint

    path = export_checkpoint(model, output, opset=opset)
    if path.name == "decoder_step.onnx":
        say(f"wrote {path.with_name('encoder.onnx')}, {path} and their JSON descriptions")
    else:
        say(f"wrote {path} and {path.with_name('preprocess.json')}")
