"""Output for people and programs: the two consoles, JSON lines, and reading an expression argument."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(text: str) -> None:
    """A plain line on stdout (no markup interpretation)."""
    out.print(text, markup=False)


def warn(text: str) -> None:
    """A plain line on stderr."""
    err.print(text, markup=False)


def json_line(data: Any) -> None:
    """One compact JSON object per line (for programs)."""
    out.print(json.dumps(data, default=float), markup=False)


def read_expr(expr: str) -> str:
    """The expression argument, or standard input when it is '-'."""
    return sys.stdin.read().strip() if expr == "-" else expr


#: Expressions often start with '-' (``-1/2*i*e^2*...``): let such arguments through as arguments.
EXPR_COMMAND: dict[str, Any] = {"context_settings": {"ignore_unknown_options": True}}
