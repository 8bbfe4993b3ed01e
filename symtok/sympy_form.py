"""SymPy → SymPy's own infix text (``**`` powers, ``I``), which ``sympy.parse_expr`` reads back to the
same value and :func:`symtok.parse` reads back to the same tree.

Only scalar expressions have this form (squared amplitudes: numbers, symbols, sums, products,
powers); tensors and wave functions do not, and are refused with the object named. A symbol whose
name SymPy or Python already uses (``Q``, ``S``, ``beta``, ``lambda``) is written ``Symbol('Q')``, so
that ``parse_expr`` does not read it as something else.
"""

from __future__ import annotations

import builtins
import keyword
from functools import cache

from sympy import Expr, S, Symbol
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from symtok.errors import SymtokError
from symtok.objects import PhysicsObject


@cache
def reserved_names() -> frozenset[str]:
    """Names ``sympy.parse_expr`` does not turn into a plain Symbol: SymPy's namespace, Python's
    builtins and keywords."""
    import sympy

    return frozenset(vars(sympy)) | frozenset(dir(builtins)) | frozenset(keyword.kwlist)


class _SympyPrinter(StrPrinter):
    """StrPrinter with powers always as ``**`` (no ``sqrt``), safe symbol names and no physics objects."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Symbol(self, expr: Symbol) -> str:  # noqa: N802 - SymPy printer protocol
        return f"Symbol('{expr.name}')" if expr.name in reserved_names() else expr.name

    def _print_Pow(self, expr: Expr, rational: bool = False) -> str:  # noqa: N802 - SymPy printer protocol
        base, exp = expr.args
        prec = precedence(expr)
        base_text = self.parenthesize(base, prec, strict=False)
        if (exp.is_Integer and exp >= 0) or exp.is_Symbol:
            return f"{base_text}**{self._print(exp)}"
        return f"{base_text}**({self._print(exp)})"

    def _print_Mul(self, expr: Expr) -> str:  # noqa: N802 - SymPy printer protocol
        # the numeric coefficient first, on its own (StrPrinter folds it into the denominator,
        # I/(2*(e + I)), which SymPy then multiplies out: not the same tree)
        coeff, rest = expr.as_coeff_Mul()
        if coeff is S.One or rest is S.One:
            return super()._print_Mul(expr)
        rest_text = self.parenthesize(rest, precedence(expr), strict=True)
        if coeff is S.NegativeOne:
            return "-" + rest_text
        number = str(coeff.p) if coeff.q == 1 else f"{coeff.p}/{coeff.q}"
        return f"{number}*{rest_text}"

    def emptyPrinter(self, expr: object) -> str:  # noqa: N802 - SymPy printer protocol
        if isinstance(expr, PhysicsObject):
            raise SymtokError(
                f"{type(expr).__name__} has no SymPy infix form: that form holds scalar expressions "
                "(squared amplitudes); write amplitudes with --to marty or prefix-tokens"
            )
        raise SymtokError(f"cannot write {type(expr).__name__} ({expr}) in SymPy's infix form")

    def _print_Basic(self, expr: Expr) -> str:  # noqa: N802 - SymPy printer protocol
        return self.emptyPrinter(expr)


def to_sympy(expr: Expr) -> str:
    """``expr`` as SymPy infix text: ``parse(to_sympy(x), form="sympy") == x`` and ``sympy.parse_expr``
    gives the same value (with symbols matched by name)."""
    objects = expr.atoms(PhysicsObject)
    if objects:
        _SympyPrinter().emptyPrinter(min(objects, key=str))
    return _SympyPrinter().doprint(expr)
