"""Text → SymPy: the MARTY/SYMBA infix form, SymPy's infix form, the 2022 SYMBA prefix form and the
functional form, parsed into the same physics objects (Lark for the infix and functional forms).

The inverse is :mod:`symtok.printer`. The transformer is passed into Lark's LALR parser, so no parse
tree is built and nothing recurses; sums and products are collected flat and built once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedInput
from sympy import Abs, Add, Expr, Integer, Mul, Pow, S

from grammar import load_parser
from symtok.diagnostics import MAX_CHARS, MAX_POWER_CHAIN, check_input, check_result, checked_pow, error_at, lark_error
from symtok.errors import ParseError
from symtok.functional import parse_functional
from symtok.indices import LORENTZ, Index
from symtok.objects import (
    TENSOR_BY_HEAD,
    WAVEFUNCTION_BY_SHAPE,
    ColourT,
    Conj,
    MomentumComponent,
)
from symtok.symba_prefix import is_symba_prefix, parse_symba_prefix
from symtok.symbols import symbol_for

_FUNCTIONAL = re.compile(r"\s*(?!Symbol\(')[A-Za-z][A-Za-z0-9_]*\s*\(")


class _Sum(list):
    """Terms of a sum being collected (turned into one Add by _finish)."""


class _Product:
    """Numerator and denominator factors being collected (turned into one Mul by _finish)."""

    __slots__ = ("den", "num")

    def __init__(self, first: Any) -> None:
        self.num: list[Any] = [first]
        self.den: list[Any] = []


def _finish(x: Any) -> Expr:
    if isinstance(x, _Sum):
        return Add(*[_finish(t) for t in x])
    if isinstance(x, _Product):
        factors = [_finish(f) for f in x.num]
        factors.extend(Pow(_finish(d), S.NegativeOne) for d in x.den)
        return Mul(*factors)
    return x


def _negate(x: Any) -> Any:
    """-x without building the 2-argument Mul(-1, sum), which SymPy would distribute: the -1 joins
    the product being collected, so the product is built once, as its printed form is."""
    if isinstance(x, _Product):
        x.num.insert(0, S.NegativeOne)
        return x
    if isinstance(x, Expr) and x.is_Number:
        return -x
    product = _Product(S.NegativeOne)
    product.num.append(x)
    return product


@lru_cache(maxsize=65536)
def parse_index(text: str, kind: str) -> Index:
    """One MARTY index token (``+%\\sigma_3``, ``%gam_2``, ``i_3``, ``\\INDEX_0``) as an Index of ``kind``."""
    up = text.startswith("+")
    name = text.lstrip("+").lstrip("%")
    return Index(name, kind, up)


@v_args(inline=True)
class MartyTransformer(Transformer):
    """One short method per rule of grammar/marty.lark, building SymPy objects bottom-up."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)

    def add(self, a: Any, b: Any) -> _Sum:
        if isinstance(a, _Sum):
            a.append(b)
            return a
        return _Sum((a, b))

    def sub(self, a: Any, b: Any) -> _Sum:
        return self.add(a, _negate(b))

    def mul(self, a: Any, b: Any) -> _Product:
        if not isinstance(a, _Product):
            a = _Product(a)
        a.num.append(b)
        return a

    def div(self, a: Any, slash: Token, b: Any) -> _Product:
        b = _finish(b)
        if b.is_zero is True:
            raise _TokenError(slash, "division by zero")
        if not isinstance(a, _Product):
            a = _Product(a)
        a.den.append(b)
        return a

    def neg(self, x: Any) -> Expr:
        return _negate(x)

    def pow(self, base: Any, caret: Token, exp: Any) -> Expr:
        return _power(base, exp, caret)

    def pow_neg(self, base: Any, caret: Token, exp: Any) -> Expr:
        return _power(base, _finish(_negate(exp)), caret)

    def pow_right(self, base: Any, power: Token, exp: Any) -> Expr:
        exp = _finish(exp)
        if _power_chain(exp) >= MAX_POWER_CHAIN:
            raise _TokenError(power, f"a chain of more than {MAX_POWER_CHAIN} '**' powers without brackets")
        return _power(base, exp, power)

    def quoted_symbol(self, token: Token) -> Expr:
        return symbol_for(token.value[len("Symbol('") : -len("')")])

    def conj(self, wavefunction: Any, token: Token) -> Expr:
        return Conj(wavefunction)

    def integer(self, token: Token) -> Expr:
        return Integer(int(token.value))

    def name(self, token: Token) -> Expr:
        text = token.value
        return S.ImaginaryUnit if text == "i" else symbol_for(text)

    def momentum(self, token: Token) -> Expr:
        head, rest = token.value.split("_", 1)
        number, index = rest.split("_", 1)
        return MomentumComponent(symbol_for(f"{head}_{number}"), parse_index(index, LORENTZ))

    def group(self, inner: Any) -> Expr:
        return _finish(inner)

    def indices(self, *tokens: Token) -> tuple[Token, ...]:
        return tokens

    def tensor(self, head: Token, indices: tuple[Token, ...]) -> Expr:
        name = head.value[:-2]
        if name.startswith("T_") and len(name) > 2:
            cls, args = ColourT, [symbol_for(name[2:])]
        elif name in TENSOR_BY_HEAD:
            cls, args = TENSOR_BY_HEAD[name].cls, []
        else:
            known = ", ".join(sorted(TENSOR_BY_HEAD)) + ", T_<tag>"
            raise _token_error(
                head, f"unknown tensor {name!r} (known: {known}); a wave function needs (p_N) after its indices"
            )
        index_slots = cls.slots[len(args) :]
        _check_count(head, name, index_slots, indices)
        args += [parse_index(t.value, kind) for t, kind in zip(indices, index_slots, strict=True)]
        return cls(*args)

    def wavefunction(
        self, head: Token, indices: tuple[Token, ...], momentum: Token, suffix: Token | None = None
    ) -> Expr:
        spin = None if suffix is None else suffix.value[1]
        cls = WAVEFUNCTION_BY_SHAPE.get((len(indices), spin))
        field = head.value[:-2]
        if cls is None:
            what = "spinor" if spin else "polarisation"
            raise _token_error(
                head,
                f"{what} {field!r} takes 2 indices (label, {'Dirac' if spin else 'Lorentz'}) or 3 with colour, got {len(indices)}",
            )
        index_slots = cls.slots[2:]
        args = [symbol_for(field), symbol_for(momentum.value)]
        args += [parse_index(t.value, kind) for t, kind in zip(indices, index_slots, strict=True)]
        return cls(*args)


def _power(base: Any, exp: Any, token: Token) -> Expr:
    """``base^exp`` checked (size, 0 to a negative power, results the format cannot hold), errors at ``token``."""
    if getattr(base, "is_zero", None) is True and getattr(exp, "is_negative", None) is True:
        raise _TokenError(token, "0 to a negative power (division by zero)")
    try:
        result = checked_pow(base, exp)
    except ParseError as err:
        raise _TokenError(token, err.reason) from None
    if result.has(S.ComplexInfinity, S.NaN) or result.has(Abs):
        raise _TokenError(token, f"this power evaluates to {result}, which the expression format cannot hold")
    return result


def _power_chain(exp: Any) -> int:
    """How many ``**`` levels ``exp`` already nests (through unary minus), at most MAX_POWER_CHAIN."""
    depth = 0
    while depth < MAX_POWER_CHAIN:
        if isinstance(exp, Mul) and len(exp.args) == 2 and exp.args[0] is S.NegativeOne:
            exp = exp.args[1]
        if not isinstance(exp, Pow):
            return depth
        exp, depth = exp.exp, depth + 1
    return depth


@v_args(inline=True)
class SympyTransformer(MartyTransformer):
    """SymPy's infix form: as MARTY's, but ``I`` (SymPy's spelling) is also the imaginary unit."""

    def name(self, token: Token) -> Expr:
        return S.ImaginaryUnit if token.value in ("i", "I") else symbol_for(token.value)


def _check_count(head: Token, name: str, slots: tuple[str, ...], indices: tuple[Token, ...]) -> None:
    if len(indices) != len(slots):
        raise _token_error(head, f"{name} takes {len(slots)} indices ({', '.join(slots)}), got {len(indices)}")


class _TokenError(Exception):
    """Raised inside the transformer with a token position; turned into ParseError by parse()."""

    def __init__(self, token: Token, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.message = message


def _token_error(token: Token, message: str) -> _TokenError:
    return _TokenError(token, message)


_TRANSFORMER = MartyTransformer()
_SYMPY_TRANSFORMER = SympyTransformer()

#: The expression forms read by :func:`parse` (``auto`` detects one per expression).
FORMS = ("marty", "sympy", "symba-prefix", "functional")
_SYMPY_MARK = re.compile(r"\*\*|\bI\b|Symbol\('")


def is_functional(text: str) -> bool:
    """True if ``text`` is in the functional notation (it starts with a call such as ``mul(``)."""
    return _FUNCTIONAL.match(text) is not None


def detect_form(text: str) -> str:
    """The form of one expression: ``functional`` (starts with a call), ``symba-prefix`` (items
    separated by ``,``/``;`` outside braces), ``sympy`` (``**``, ``I`` or ``Symbol('..')``), else ``marty``.
    MARTY and SymPy text without those marks read the same under either form."""
    if is_functional(text):
        return "functional"
    if is_symba_prefix(text):
        return "symba-prefix"
    return "sympy" if _SYMPY_MARK.search(text) else "marty"


def parse(text: str, *, form: str = "auto", max_chars: int = MAX_CHARS) -> Expr:
    """Parse an amplitude or squared amplitude in any form (``FORMS``; ``auto`` detects it) into SymPy.

    Raises ParseError with line, column, a caret excerpt and the expected tokens.
    """
    check_input(text, max_chars)
    if form == "auto":
        form = detect_form(text)
    if form == "functional":
        return check_result(parse_functional(text))
    if form == "symba-prefix":
        return check_result(parse_symba_prefix(text, _marty_item))
    if form not in FORMS:
        raise ParseError(f"unknown expression form {form!r}; expected auto or one of {', '.join(FORMS)}")
    transformer = _SYMPY_TRANSFORMER if form == "sympy" else _TRANSFORMER
    try:
        return check_result(_finish(_parse_infix(text, transformer)))
    except _TokenError as err:
        offset = err.token.start_pos if err.token.start_pos is not None else 0
        raise error_at(text, offset, err.message) from None
    except TypeError as err:  # an object built with arguments of the wrong kind
        raise ParseError(str(err)) from None


def _marty_item(text: str) -> Expr:
    """One item of the semicolon prefix export that is MARTY text itself."""
    return parse(text, form="marty")


def _parse_infix(text: str, transformer: MartyTransformer) -> Any:
    try:
        return load_parser("marty", transformer, fast=True).parse(text)
    except UnexpectedInput:
        pass
    # lark-cython's errors cannot be printed: report from the pure parser, which fails the same way
    parser = load_parser("marty", transformer)
    try:
        parser.parse(text)
    except UnexpectedInput as err:
        raise lark_error(text, err, parser) from None
    raise ParseError("the compiled and the pure parser disagree on this input; please report it")
