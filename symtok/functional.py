"""The functional notation (``mul(pow(alpha,2), Tr(gamma_mu, slash(p1), ...), div(1, s))``) → the same
SymPy objects as the MARTY form: a Dirac trace becomes a closed chain of explicit Dirac indices, and
``slash(p)`` becomes ``p_rho gamma^rho`` with a fresh contracted Lorentz index.
"""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedInput
from sympy import Add, Expr, Integer, Mul, Pow, S

from grammar import load_parser
from symtok.diagnostics import checked_pow, error_at, lark_error
from symtok.errors import ParseError, SymtokError
from symtok.indices import DIRAC, LORENTZ, Index
from symtok.objects import Gamma, MomentumComponent
from symtok.symbols import symbol_for

_MOMENTUM_ARG = re.compile(r"p_?([0-9]+)\Z")


class _DiracMatrix:
    """A matrix inside Tr(...): gamma^mu (``lorentz`` set) or p-slash (``momentum`` set)."""

    __slots__ = ("lorentz", "momentum")

    def __init__(self, lorentz: str | None = None, momentum: Expr | None = None) -> None:
        self.lorentz = lorentz
        self.momentum = momentum


class _Fail(Exception):
    def __init__(self, token: Token, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.message = message


@v_args(inline=True)
class FunctionalTransformer(Transformer):
    """One method per rule of grammar/functional.lark; a fresh instance per parse (it numbers traces)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self._fresh = 0

    def integer(self, token: Token) -> Expr:
        return Integer(int(token))

    def negative_integer(self, token: Token) -> Expr:
        return Integer(-int(token))

    def name(self, token: Token) -> Any:
        text = str(token)
        if text.startswith("gamma_") and len(text) > 6:
            return _DiracMatrix(lorentz="\\" + text[6:])
        return S.ImaginaryUnit if text == "i" else symbol_for(text)

    def call(self, fname: Token, *args: Any) -> Any:
        args = tuple(a for a in args if a is not None)
        op = str(fname)
        if op == "slash":
            return self._slash(fname, args)
        if op == "Tr":
            return self._trace(fname, args)
        if any(isinstance(a, _DiracMatrix) for a in args):
            raise _Fail(fname, f"{op}(): a Dirac matrix (gamma_X or slash) may only appear inside Tr(...)")
        return self._arithmetic(fname, op, args)

    def _arithmetic(self, fname: Token, op: str, args: tuple[Expr, ...]) -> Expr:
        arity = {"div": 2, "pow": 2, "neg": 1}
        if op in arity and len(args) != arity[op]:
            raise _Fail(fname, f"{op}() takes {arity[op]} arguments, got {len(args)}")
        if op == "add" and args:
            return Add(*args)
        if op == "mul" and args:
            return Mul(*args)
        if op == "div":
            if args[1].is_zero is True:
                raise _Fail(fname, "division by zero")
            return Mul(args[0], Pow(args[1], S.NegativeOne))
        if op == "pow":
            return checked_pow(*args)
        if op == "neg":
            return -args[0]
        raise _Fail(fname, f"unknown function {op!r} (expected add, mul, div, pow, neg, Tr, slash) or no arguments")

    def _slash(self, fname: Token, args: tuple[Any, ...]) -> _DiracMatrix:
        if len(args) != 1 or not hasattr(args[0], "name") or not _MOMENTUM_ARG.match(args[0].name):
            raise _Fail(fname, "slash() takes one momentum, p1 ... pN (or p_1 ... p_N)")
        number = _MOMENTUM_ARG.match(args[0].name).group(1)
        return _DiracMatrix(momentum=symbol_for(f"p_{number}"))

    def _trace(self, fname: Token, args: tuple[Any, ...]) -> Expr:
        if not args or not all(isinstance(a, _DiracMatrix) for a in args):
            raise _Fail(fname, "Tr() takes one or more Dirac matrices: gamma_X or slash(pN)")
        trace = self._fresh
        self._fresh += 1
        n = len(args)
        dirac = [Index(f"tr{trace}_{k}", DIRAC) for k in range(n)]
        factors: list[Expr] = []
        for k, m in enumerate(args):
            a, b = dirac[k], dirac[(k + 1) % n]
            if m.lorentz is not None:
                factors.append(Gamma(Index(m.lorentz, LORENTZ), a, b))
            else:
                rho = f"\\rho{trace}_{k}"
                factors.append(MomentumComponent(m.momentum, Index(rho, LORENTZ)))
                factors.append(Gamma(Index(rho, LORENTZ, up=True), a, b))
        return Mul(*factors)


def parse_functional(text: str) -> Expr:
    """Parse the functional notation (input already checked by symtok.diagnostics)."""
    parser = load_parser("functional")
    try:
        tree = parser.parse(text)
        result = FunctionalTransformer().transform(tree)
    except UnexpectedInput as err:
        raise lark_error(text, err, parser) from None
    except _Fail as err:
        raise error_at(text, err.token.start_pos or 0, err.message) from None
    except Exception as err:  # lark wraps transformer errors in VisitError
        inner = getattr(err, "orig_exc", None)
        if isinstance(inner, _Fail):
            raise error_at(text, inner.token.start_pos or 0, inner.message) from None
        if isinstance(inner, SymtokError):
            raise inner from None
        raise
    if isinstance(result, _DiracMatrix):
        raise ParseError("a bare Dirac matrix is not a scalar expression; wrap it in Tr(...)")
    return result


def to_functional(expr: Expr) -> str:
    """``expr`` in the functional notation: sums, products, powers, numbers, symbols and closed Dirac
    traces (``Tr(gamma_mu, slash(p1), ...)``). The notation names no Dirac index and no index summed
    against a momentum, so ``parse(to_functional(x))`` equals ``x`` up to the names of those indices
    (equal after :func:`symtok.normalize`). Spinors, polarisations and colour objects have no
    functional form and are refused with the object named."""
    return _write(expr)


def _write(expr: Expr) -> str:
    if expr.is_Add:
        return "add(" + ", ".join(_write(t) for t in expr.args) + ")"
    if expr.is_Mul or isinstance(expr, Gamma):
        return _write_product(list(Mul.make_args(expr)))
    if expr.is_Pow:
        if expr.base.has(Gamma, MomentumComponent):
            raise SymtokError("a power of Dirac matrices has no functional form; expand it first")
        return f"pow({_write(expr.base)}, {_write(expr.exp)})"
    if expr is S.ImaginaryUnit:
        return "i"
    if expr.is_Integer:
        return str(expr)
    if expr.is_Rational:
        return f"div({expr.p}, {expr.q})"
    if expr.is_Symbol and not isinstance(expr, Index):
        if expr.name == "i" or (expr.name.startswith("gamma_") and len(expr.name) > 6):
            raise SymtokError(f"the symbol {expr.name!r} reads back as something else in the functional form")
        return expr.name
    raise SymtokError(
        f"{type(expr).__name__} has no functional form (it holds numbers, symbols and Dirac traces only); "
        "use --to marty or prefix-tokens"
    )


def _write_product(factors: list[Expr]) -> str:
    gammas = [f for f in factors if isinstance(f, Gamma)]
    momenta = [f for f in factors if isinstance(f, MomentumComponent)]
    rest = [f for f in factors if not isinstance(f, Gamma | MomentumComponent)]
    parts = [_write(f) for f in rest]
    if gammas or momenta:
        parts.extend(_write_traces(gammas, momenta))
    return parts[0] if len(parts) == 1 else "mul(" + ", ".join(parts) + ")"


def _write_traces(gammas: list[Expr], momenta: list[Expr]) -> list[str]:
    by_start: dict[Index, Expr] = {}
    for g in gammas:
        start = g.args[1]
        if start in by_start:
            raise SymtokError("these Dirac matrices do not form closed traces (a Dirac index repeats)")
        by_start[start] = g
    slashed = {_raised(m.args[1]): m for m in momenta}
    used: set[Expr] = set()
    traces: list[str] = []
    while by_start:
        first = next(iter(by_start))
        items, index = [], first
        while True:
            g = by_start.pop(index, None)
            if g is None:
                raise SymtokError("these Dirac matrices do not form closed traces (an open Dirac chain)")
            mu = g.args[0]
            if mu in slashed and mu not in used:
                used.add(mu)
                items.append(f"slash({slashed[mu].args[0].name})")
            elif not mu.up and mu.name.startswith("\\") and len(mu.name) > 1:
                items.append(f"gamma_{mu.name[1:]}")
            else:
                raise SymtokError(f"the gamma index {mu.name} is neither free (gamma_X) nor summed with a momentum")
            index = g.args[2]
            if index == first:
                break
        traces.append("Tr(" + ", ".join(items) + ")")
    if len(used) != len(slashed):
        raise SymtokError("a momentum component is not contracted with a Dirac matrix of a trace")
    return traces


def _raised(index: Index) -> Index:
    return Index(index.name, index.kind, True)
