"""Options shared by every command that trains with torch: where it runs and in which precision."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Literal

import typer

DeviceOption = Annotated[
    str, typer.Option("--device", help="auto (cuda if available, else mps, else cpu) | cpu | cuda | cuda:N | mps")
]
PrecisionOption = Annotated[
    Literal["fp32", "bf16", "fp16"],
    typer.Option("--precision", help="fp32 | bf16 | fp16 (autocast; fp16 with a gradient scaler)"),
]


CompileOption = Annotated[
    bool, typer.Option("--compile", help="torch.compile the model for training (the first steps pay the compilation)")
]


def on_device(device: str, precision: str, compile: bool = False) -> AbstractContextManager[None]:
    """Every training loop inside runs on ``device`` in ``precision`` (checked before any work),
    compiled with torch.compile when ``compile``."""
    from symtok.nn.device import runtime

    return runtime(device, precision, compile)
