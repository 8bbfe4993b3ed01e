"""SymPy → text in the MARTY form: the inverse of :mod:`symtok.parse` (``parse(to_string(x)) == x``).

Sums print as ``a + -b`` (MARTY's idiom), single propagators as ``/(...)``, other negative powers
as ``(...)^(-n)``, the imaginary unit as ``i``, conjugated wave functions with ``^(*)``.
"""

from __future__ import annotations

from sympy import Expr, Mul, S, Symbol

from symtok.errors import SymtokError
from symtok.indices import LABEL, Index
from symtok.objects import (
    SPEC_BY_CLASS,
    SPINOR_SUFFIX,
    ColourT,
    Conj,
    MomentumComponent,
    PhysicsObject,
    WaveFunction,
)

_ADD, _MUL, _POW, _ATOM = 1, 2, 3, 4


def to_string(expr: Expr) -> str:
    """Print ``expr`` in the MARTY infix form that :func:`symtok.parse` reads back to the same tree."""
    return _print(expr, 0)


def index_string(index: Index) -> str:
    """``+%\\sigma_3`` style: ``+`` if upper, ``%`` for every kind but particle labels."""
    return ("+" if index.up else "") + ("" if index.kind == LABEL else "%") + index.name


def _wrap(text: str, own: int, context: int) -> str:
    return f"({text})" if own < context else text


def _print(expr: Expr, context: int) -> str:
    if isinstance(expr, PhysicsObject):
        return _print_object(expr)
    if expr.is_Add:
        return _wrap(_print_add(expr), _ADD, context)
    if expr.is_Mul:
        text, prec = _print_mul(expr)
        return _wrap(text, prec, context)
    if expr.is_Pow:
        return _wrap(_print_pow(expr), _POW, context)
    if expr is S.ImaginaryUnit:
        return "i"
    if expr.is_Integer:
        return _wrap(str(expr), _ATOM if expr >= 0 else _MUL, context)
    if expr.is_Rational:
        return _wrap(f"{expr.p}/{expr.q}", _MUL, context)
    if isinstance(expr, Index):
        return index_string(expr)
    if isinstance(expr, Symbol):
        return expr.name
    raise SymtokError(f"cannot print {type(expr).__name__} ({expr}) in the MARTY form")


def _print_add(expr: Expr) -> str:
    return " + ".join(_print(t, _ADD) for t in expr.args)


def _print_mul(expr: Expr) -> tuple[str, int]:
    coeff, rest = expr.as_coeff_Mul()
    num: list[Expr] = []
    den: list[Expr] = []
    for f in Mul.make_args(rest):
        if f.is_Pow and f.exp is S.NegativeOne:
            den.append(f.base)
        elif f is not S.One:
            num.append(f)
    parts = [_print(f, _MUL) for f in num]
    sign = ""
    if coeff is S.NegativeOne:
        sign = "-"
    elif coeff is not S.One:
        parts.insert(0, f"{coeff.p}/{coeff.q}" if coeff.q != 1 else str(coeff.p))
    text = sign + ("*".join(parts) if parts else "1")
    if len(den) == 1:
        text += "/" + _print(den[0], _POW)
    elif den:
        text += "/(" + "*".join(_print(d, _MUL) for d in den) + ")"
    return text, _MUL


def _print_pow(expr: Expr) -> str:
    base, exp = expr.args
    base_text = _print(base, _ATOM)
    if exp.is_Integer and exp >= 0:
        exp_text = str(exp)
    elif exp.is_Integer or exp.is_Rational:
        exp_text = "(" + (str(exp) if exp.is_Integer else f"{exp.p}/{exp.q}") + ")"
    else:
        exp_text = _print(exp, _ATOM)
    return f"{base_text}^{exp_text}"


def _print_object(obj: PhysicsObject) -> str:
    if isinstance(obj, Conj):
        return _print_object(obj.args[0]) + "^(*)"
    if isinstance(obj, MomentumComponent):
        momentum, index = obj.args
        return f"{momentum.name}_{index_string(index)}"
    if isinstance(obj, WaveFunction):
        field, momentum = obj.args[:2]
        inner = ",".join(index_string(i) for i in obj.args[2:])
        suffix = SPINOR_SUFFIX.get(type(obj))
        return f"{field.name}_{{{inner}}}({momentum.name})" + (f"_{suffix}" if suffix else "")
    if isinstance(obj, ColourT):
        tag = obj.args[0]
        return f"T_{tag.name}_{{{','.join(index_string(i) for i in obj.args[1:])}}}"
    head = SPEC_BY_CLASS[type(obj)].head
    return f"{head}_{{{','.join(index_string(i) for i in obj.args)}}}"
