"""Diagnostics for people: cheap checks that reject pathological input before any parser runs (size,
characters, depth, huge numbers), caret excerpts, and Lark errors turned into ParseError."""

from __future__ import annotations

import math
import re
from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from symtok.errors import ParseError

MAX_CHARS = 200_000  # real amplitudes are below ~5,000 characters
MAX_DEPTH = 100  # bracket nesting; real data stays below ~10
MAX_DIGITS = 200  # digits of one integer literal
MAX_EXPONENT = 1000  # |n| in x^n

_BAD_CHAR = re.compile(r"[^\x20-\x7e\t\r\n]")
_LONG_INT = re.compile("[0-9]{" + str(MAX_DIGITS + 1) + ",}")
_EXPONENT = re.compile(r"(?:\^|\*\*)\s*\(?\s*-?\s*([0-9]+)")
MAX_POWER_CHAIN = 32  # a**b**c**... (SymPy's right-associative **) nests without brackets
_BRACKETS = re.compile(r"[^()]+")


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def caret_excerpt(text: str, line: int, column: int, width: int = 72) -> str:
    """The offending line (clipped around the column) with a caret under the column."""
    lines = text.splitlines() or [""]
    src = lines[min(max(line, 1), len(lines)) - 1]
    start = max(0, column - 1 - width // 2)
    snippet = src[start : start + width]
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + width < len(src) else ""
    return f"  {prefix}{snippet}{suffix}\n  {' ' * (len(prefix) + column - 1 - start)}^"


def error_at(text: str, offset: int, message: str, expected: tuple[str, ...] = ()) -> ParseError:
    """A ParseError pointing at character ``offset``."""
    line, column = position(text, offset)
    return ParseError(message, line=line, column=column, expected=expected, excerpt=caret_excerpt(text, line, column))


def check_input(text: object, max_chars: int = MAX_CHARS) -> str:
    """Return ``text`` if it is safe to parse, else raise ParseError saying why and where."""
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise ParseError(
            f"input is {len(text):,} characters; the limit is {max_chars:,} "
            "(real amplitudes are below ~5,000); pass max_chars= to raise it"
        )
    if not text.strip():
        raise ParseError("empty expression")
    bad = _BAD_CHAR.search(text)
    if bad:
        ch = bad.group()
        kind = "control character" if ord(ch) < 0x20 or ord(ch) == 0x7F else "non-ASCII character"
        raise error_at(text, bad.start(), f"{kind} U+{ord(ch):04X} is not allowed in an expression")
    big = _LONG_INT.search(text)
    if big:
        raise error_at(text, big.start(), f"integer literal longer than {MAX_DIGITS} digits")
    for m in _EXPONENT.finditer(text):
        if int(m.group(1)) > MAX_EXPONENT:
            raise error_at(text, m.start(1), f"exponent {m.group(1)} exceeds the limit {MAX_EXPONENT}")
    _check_depth(text)
    return text


def _check_depth(text: str) -> None:
    brackets = _BRACKETS.sub("", text)
    if brackets.count("(") <= MAX_DEPTH:
        return
    depth = 0
    for k, ch in enumerate(brackets):
        depth += 1 if ch == "(" else -1
        if depth > MAX_DEPTH:
            offset = _nth_open_bracket(text, brackets[: k + 1].count("("))
            raise error_at(text, offset, f"brackets nested deeper than {MAX_DEPTH}")


def _nth_open_bracket(text: str, n: int) -> int:
    pos = -1
    for _ in range(n):
        pos = text.index("(", pos + 1)
    return pos


_TERMINAL_NAMES = {
    "HEAD": "a tensor or wave function like gamma_{",
    "MOMENTUM_INDEX": "a momentum with an index like p_1_%\\mu_3",
    "MOMENTUM": "a momentum p_N",
    "NAME": "a name",
    "INDEX": "an index like %\\sigma_12 or i_3",
    "SPINOR_SUFFIX": "_u or _v",
    "CONJ": "^(*)",
    "INT": "an integer",
    "$END": "end of input",
}


def _describe(parser: Any, names: set[str] | frozenset[str]) -> tuple[str, ...]:
    out = []
    for n in sorted(names):
        if n in _TERMINAL_NAMES:
            out.append(_TERMINAL_NAMES[n])
            continue
        try:
            out.append(repr(parser.get_terminal(n).pattern.value))
        except (KeyError, AttributeError):
            out.append(n)
    return tuple(dict.fromkeys(out))


def lark_error(text: str, err: UnexpectedInput, parser: Any) -> ParseError:
    """Convert a Lark error into a ParseError with line, column, caret excerpt and expected tokens."""
    if isinstance(err, UnexpectedCharacters):
        line, column = err.line, err.column
        got = f"unexpected character {text[err.pos_in_stream]!r}"
        expected = _describe(parser, err.allowed or set())
    elif isinstance(err, UnexpectedToken) and err.token.type != "$END":
        line, column = err.line, err.column
        got = f"unexpected {err.token.value!r}"
        expected = _describe(parser, err.expected)
    else:  # end of input
        line, column = position(text, len(text.rstrip()))
        got = "unexpected end of input"
        names = err.expected if isinstance(err, (UnexpectedToken, UnexpectedEOF)) else set()
        expected = _describe(parser, names)
    return ParseError(got, line=line, column=column, expected=expected, excerpt=caret_excerpt(text, line, column))


def _digits(n: int) -> int:
    """Decimal digits of |n| (exact for the sizes that matter, cheap for huge ones)."""
    return len(str(abs(n))) if n.bit_length() < 4000 else int(n.bit_length() * 0.30103) + 1


def checked_pow(base: Any, exp: Any) -> Any:
    """``Pow(base, exp)``, refusing before SymPy evaluates it a number of more than MAX_DIGITS digits or a
    combined exponent beyond MAX_EXPONENT (``((2^1000)^1000)^1000`` would take gigabytes otherwise)."""
    from sympy import Pow, Rational

    if getattr(exp, "is_Integer", False):
        n = abs(int(exp))
        if isinstance(base, Rational) and base not in (0, 1, -1):
            size = max(math.log10(abs(int(base.p))), math.log10(int(base.q)))
            if size * n > MAX_DIGITS:
                raise ParseError(f"a power evaluates to a number of about {size * n:.0f} digits (limit {MAX_DIGITS})")
        if isinstance(base, Pow) and getattr(base.exp, "is_Integer", False) and abs(int(base.exp)) * n > MAX_EXPONENT:
            raise ParseError(f"nested powers give the exponent {abs(int(base.exp)) * n} (limit {MAX_EXPONENT})")
    return Pow(base, exp)


def check_result(expr: Any) -> Any:
    """``expr`` unchanged if every number in it has at most MAX_DIGITS digits and every integer exponent
    is at most MAX_EXPONENT, so that what was accepted prints back to text that is accepted again."""
    from sympy import Pow, Rational, preorder_traversal

    for node in preorder_traversal(expr):
        if isinstance(node, Rational) and max(_digits(int(node.p)), _digits(int(node.q))) > MAX_DIGITS:
            raise ParseError(f"the expression evaluates to a number of more than {MAX_DIGITS} digits")
        if isinstance(node, Pow) and getattr(node.exp, "is_Integer", False) and abs(int(node.exp)) > MAX_EXPONENT:
            raise ParseError(f"the expression evaluates to the exponent {node.exp} (limit {MAX_EXPONENT})")
    return expr
