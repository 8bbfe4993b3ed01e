"""The .lark grammars of the expression formats and one cached loader; knows nothing of SymPy."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark

GRAMMARS = ("marty", "functional")


def grammar_text(name: str) -> str:
    """The source of grammar ``name`` (``marty`` or ``functional``)."""
    if name not in GRAMMARS:
        raise ValueError(f"unknown grammar {name!r}; expected one of {GRAMMARS}")
    return files(__name__).joinpath(f"{name}.lark").read_text(encoding="utf-8")


@cache
def _load(name: str, transformer: Any | None) -> Lark:
    return Lark(
        grammar_text(name),
        parser="lalr",
        lexer="contextual",
        transformer=transformer,
        propagate_positions=False,
        maybe_placeholders=False,
        cache=False,
    )


def load_parser(name: str, transformer: Any | None = None) -> Lark:
    """A cached LALR parser for ``name``; with a transformer, parsing builds no tree (no recursion).

    The transformer must be hashable and stateless: the parser is shared.
    """
    return _load(name, transformer)
