"""The 2022 SYMBA prefix amplitudes (``Prod,-1,Prod,i,Prod,e,Prod,gamma,alpha_2,...``) → the same SymPy
objects as the equivalent MARTY text.

The form is a list of items separated by commas (or by semicolons in MARTY's own export, whose items
may be whole MARTY atoms such as ``gamma_{+%\\sigma_1,%eps_3,%del_1}``):

- ``Prod``, ``Sum`` and ``Pow`` are binary operators in prefix order; followed by an item ``(`` they
  take every operand up to the matching ``)`` instead (the "hybrid" prefix form);
- ``gamma`` is followed by its three indices (Lorentz, then two Dirac);
- a field (``mu``, ``u^(*)``, ``A``; ``ee`` is the electron ``e``) is followed by its label index,
  its indices (Dirac, or colour then Dirac; a polarisation's Lorentz index) and its momentum with the
  spinor kind: ``(p_1)_u``, ``(p_2)_v``, or ``(p_3)`` for a polarisation vector;
- numbers (``-1``, ``2/3``), ``i`` and symbols (``e``, ``m_e``, ``s_12``) are single items.

A polarisation's Lorentz index is upper, as MARTY writes it (``A_{i_2,+%\\alpha_2}(p_3)``); a
``gamma``'s is lower. Parsing is iterative (a stack, no recursion), so no input can exhaust the
Python stack; the text passed the same size, character and number guards as every other form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sympy import Add, Expr, Integer, Mul, Rational, S

from symtok.diagnostics import checked_pow, error_at
from symtok.errors import ParseError, SymtokError
from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LABEL, LORENTZ, Index
from symtok.objects import (
    ColouredPolarization,
    ColouredSpinorU,
    ColouredSpinorV,
    Conj,
    Gamma,
    Polarization,
    SpinorU,
    SpinorV,
)
from symtok.symbols import symbol_for

OPERATORS = ("Prod", "Sum", "Pow")
#: Field names of the 2022 files that differ from MARTY's.
FIELD_NAMES = {"ee": "e"}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*\Z")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:/[0-9]+)?\Z")
_LABEL = re.compile(r"[A-Za-z]+_[0-9]+\Z")
_INDEX = re.compile(r"\+?%?\\?[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*\Z")
_MOMENTUM = re.compile(r"\((p_[0-9]+)\)(?:_([uv]))?\Z")
_CONJ = "^(*)"
_SPINORS = {("u", 2): SpinorU, ("v", 2): SpinorV, ("u", 3): ColouredSpinorU, ("v", 3): ColouredSpinorV}
_BRACED = re.compile(r"\{[^{}]*\}")
_PREFIX_START = re.compile(r"\s*(?:Prod|Sum|Pow)\s*[,;]")


def is_symba_prefix(text: str) -> bool:
    """True if ``text`` is in the 2022 prefix form: items separated by ``,`` or ``;`` outside braces
    (MARTY text has commas only inside ``{...}``); the functional form is told apart by the caller."""
    if "," not in text and ";" not in text:
        return False
    if _PREFIX_START.match(text):
        return True
    outside = _BRACED.sub("", text)
    return "," in outside or ";" in outside


def _separator(text: str) -> str | None:
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch in ",;":
            return ch
    return None


def _items(text: str) -> list[tuple[str, int]]:
    """(item, offset) pairs split at the separator outside braces."""
    sep = _separator(text) or ","
    items: list[tuple[str, int]] = []
    depth, start = 0, 0
    for k, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch == sep:
            items.append((text[start:k], start))
            start = k + 1
    items.append((text[start:], start))
    out = []
    for item, offset in items:
        stripped = item.strip()
        out.append((stripped, offset + (len(item) - len(item.lstrip()))))
    return out


@dataclass
class _Frame:
    op: str
    offset: int
    grouped: bool
    args: list[Expr] = field(default_factory=list)


class _Fail(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse_symba_prefix(text: str, marty: Callable[[str], Expr]) -> Expr:
    """Parse the 2022 prefix form (input already checked by symtok.diagnostics); ``marty`` parses an
    item that is MARTY text itself (the semicolon export writes tensors and fields that way)."""
    try:
        return _parse(text, marty)
    except _Fail as err:
        raise error_at(text, err.offset, err.message) from None


def _parse(text: str, marty: Callable[[str], Expr]) -> Expr:
    items = _items(text)
    frames: list[_Frame] = []
    roots: list[Expr] = []
    k = 0
    while k < len(items):
        item, offset = items[k]
        if not item:
            raise _Fail(offset, "empty item (two separators in a row, or one at an end)")
        if item in OPERATORS:
            grouped = k + 1 < len(items) and items[k + 1][0] == "("
            frames.append(_Frame(item, offset, grouped))
            k += 2 if grouped else 1
            continue
        if item == ")":
            if not frames or not frames[-1].grouped:
                raise _Fail(offset, "')' closes no 'Prod', 'Sum' or 'Pow' group")
            frame = frames.pop()
            value = _build(frame, offset)
            k += 1
        elif item == "(":
            raise _Fail(offset, "'(' must follow Prod, Sum or Pow")
        else:
            value, k = _leaf(items, k, marty)
        while True:
            if not frames:
                roots.append(value)
                break
            top = frames[-1]
            top.args.append(value)
            if top.grouped or len(top.args) < 2:
                break
            frames.pop()
            value = _build(top, top.offset)
    if frames:
        top = frames[-1]
        missing = "its ')'" if top.grouped else f"{2 - len(top.args)} more operand(s)"
        raise _Fail(len(text), f"'{top.op}' at column {top.offset + 1} is missing {missing}")
    if len(roots) != 1:
        offset = items[-1][1] if items else 0
        raise _Fail(offset, f"the items make {len(roots)} expressions, not one (a missing Prod or Sum?)")
    return roots[0]


def _build(frame: _Frame, offset: int) -> Expr:
    args = frame.args
    if frame.op == "Pow":
        if len(args) != 2:
            raise _Fail(offset, f"Pow takes 2 operands, got {len(args)}")
        return checked_pow(args[0], args[1])
    if not args:
        raise _Fail(offset, f"{frame.op} has no operands")
    return Mul(*args) if frame.op == "Prod" else Add(*args)


def _leaf(items: list[tuple[str, int]], k: int, marty: Callable[[str], Expr]) -> tuple[Expr, int]:
    item, offset = items[k]
    if _NUMBER.match(item):
        p, _, q = item.partition("/")
        if q and int(q) == 0:
            raise _Fail(offset, "division by zero")
        return (Rational(int(p), int(q)) if q else Integer(int(p))), k + 1
    if item == "i":
        return S.ImaginaryUnit, k + 1
    if _MOMENTUM.match(item):
        raise _Fail(offset, f"momentum {item} must follow a field and its indices")
    conj = item.endswith(_CONJ)
    name = item[: -len(_CONJ)] if conj else item
    if _NAME.match(name):
        wavefunction = _wavefunction(items, k, name)
        if wavefunction is not None:
            value, k = wavefunction
            return (Conj(value) if conj else value), k
        if conj:
            raise _Fail(
                offset,
                f"{item}: a conjugate field needs its label, indices and momentum, e.g. mu^(*),i_1,alpha_0,(p_2)_u",
            )
        if name == "gamma":
            return _gamma(items, k)
        return symbol_for(name), k + 1
    return _marty_atom(item, offset, marty), k + 1


def _wavefunction(items: list[tuple[str, int]], k: int, name: str) -> tuple[Expr, int] | None:
    """The field at item ``k`` with its label, 1 or 2 indices and momentum; None if no label follows."""
    if k + 1 >= len(items) or not _LABEL.match(items[k + 1][0]):
        return None
    for n_indices in (1, 2):
        end = k + 2 + n_indices
        if end >= len(items):
            break
        momentum = _MOMENTUM.match(items[end][0])
        middle = items[k + 2 : end]
        if momentum is None or not all(_INDEX.match(text) for text, _ in middle):
            continue
        field_symbol = symbol_for(FIELD_NAMES.get(name, name))
        p = symbol_for(momentum.group(1))
        label = _index(items[k + 1][0], LABEL)
        spin = momentum.group(2)
        if spin is None:
            kinds = (LORENTZ,) if n_indices == 1 else (ADJOINT, LORENTZ)
            indices = [_index(text, kind, up=kind == LORENTZ) for (text, _), kind in zip(middle, kinds, strict=True)]
            cls = Polarization if n_indices == 1 else ColouredPolarization
        else:
            kinds = (DIRAC,) if n_indices == 1 else (FUNDAMENTAL, DIRAC)
            indices = [_index(text, kind) for (text, _), kind in zip(middle, kinds, strict=True)]
            cls = _SPINORS[(spin, n_indices + 1)]
        return cls(field_symbol, p, label, *indices), end + 1
    return None


def _gamma(items: list[tuple[str, int]], k: int) -> tuple[Expr, int]:
    offset = items[k][1]
    indices = items[k + 1 : k + 4]
    if len(indices) != 3 or not all(_INDEX.match(text) for text, _ in indices):
        raise _Fail(offset, "gamma takes 3 indices (Lorentz, Dirac, Dirac), e.g. gamma,alpha_2,alpha_0,alpha_1")
    mu, a, b = (text for text, _ in indices)
    return Gamma(_index(mu, LORENTZ), _index(a, DIRAC), _index(b, DIRAC)), k + 4


def _index(text: str, kind: str, up: bool = False) -> Index:
    """An index item: bare (``alpha_2``; ``up`` gives its position) or marked as MARTY does (``+%...``)."""
    if text[0] in "+%":
        return Index(text.lstrip("+").lstrip("%"), kind, text.startswith("+"))
    return Index(text, kind, up)


def _marty_atom(item: str, offset: int, marty: Callable[[str], Expr]) -> Expr:
    """An item that is itself MARTY text (``gamma_{+%\\sigma_1,...}``, ``(-2)``, ``m_e^2``)."""
    try:
        return marty(item)
    except ParseError as err:
        raise _Fail(offset + err.column - 1, f"item {item[:40]!r}: {err.reason}") from None
    except SymtokError as err:
        raise _Fail(offset, f"item {item[:40]!r}: {err}") from None


def to_symba_prefix(expr: Expr) -> str:
    """``expr`` in the 2022 comma prefix form (binary ``Prod``/``Sum``/``Pow``; ``gamma`` and the
    spinors and polarisations in that form's own spelling, every other object as a MARTY item), so that
    ``parse(to_symba_prefix(x)) == x``. Indices carry MARTY's marks (``+``, ``%``) to keep positions."""
    return ",".join(_write(expr))


_OPERATOR_OF = {"Mul": "Prod", "Add": "Sum"}


def _write(expr: Expr) -> list[str]:
    from symtok.printer import index_string, to_string

    if expr.is_Add or expr.is_Mul:
        op = _OPERATOR_OF["Add" if expr.is_Add else "Mul"]
        args = list(expr.args)
        out: list[str] = []
        for arg in args[:-1]:
            out.append(op)
            out.extend(_write(arg))
        out.extend(_write(args[-1]))
        return out
    if expr.is_Pow:
        return ["Pow", *_write(expr.base), *_write(expr.exp)]
    if expr is S.ImaginaryUnit:
        return ["i"]
    if expr.is_Rational:
        return [str(expr.p) if expr.q == 1 else f"{expr.p}/{expr.q}"]
    conj = isinstance(expr, Conj)
    inner = expr.args[0] if conj else expr
    if isinstance(inner, Gamma) and not conj:
        return ["gamma", *(index_string(i) for i in inner.args)]
    spin = {SpinorU: "_u", SpinorV: "_v", ColouredSpinorU: "_u", ColouredSpinorV: "_v"}
    if (
        isinstance(inner, (*spin, Polarization, ColouredPolarization))
        and inner.args[0].name != "ee"
        and _LABEL.match(inner.args[2].name)
        and not inner.args[2].up
    ):
        field_symbol, momentum, label, *indices = inner.args
        name = {v: k for k, v in FIELD_NAMES.items()}.get(field_symbol.name, field_symbol.name) + (
            "^(*)" if conj else ""
        )
        return [name, label.name, *(index_string(i) for i in indices), f"({momentum.name}){spin.get(type(inner), '')}"]
    if expr.is_Symbol and expr.name not in (*OPERATORS, "i", "gamma"):
        return [expr.name]
    return [to_string(expr)]
