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


try:  # compiled LALR parser and lexer, about twice as fast; optional
    import lark_cython
except ImportError:  # pragma: no cover - depends on the platform having a wheel
    lark_cython = None


def have_fast_parser() -> bool:
    """True when lark-cython is installed (load_parser(..., fast=True) then uses it)."""
    return lark_cython is not None


@cache
def _load(name: str, transformer: Any | None, fast: bool) -> Lark:
    plugins = {"_plugins": lark_cython.plugins} if fast and lark_cython is not None else {}
    return Lark(
        grammar_text(name),
        parser="lalr",
        lexer="contextual",
        transformer=transformer,
        propagate_positions=False,
        maybe_placeholders=False,
        cache=False,
        **plugins,
    )


def load_parser(name: str, transformer: Any | None = None, *, fast: bool = False) -> Lark:
    """A cached LALR parser for ``name``; with a transformer, parsing builds no tree (no recursion).

    ``fast`` uses lark-cython when installed: its tokens expose ``.value`` (not ``str``), and its
    syntax errors are not printable, so callers re-parse with the pure parser to report them.
    The transformer must be hashable and stateless: the parser is shared.
    """
    return _load(name, transformer, fast)
