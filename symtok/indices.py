"""Tensor indices as SymPy symbols that know their kind (Lorentz, Dirac, colour, label) and position."""

from __future__ import annotations

from typing import Any

from sympy import Symbol

LORENTZ = "lorentz"
DIRAC = "dirac"
ADJOINT = "adjoint"  # colour octet (gluon) index
FUNDAMENTAL = "fundamental"  # colour triplet (quark) index
LABEL = "label"  # external-particle label such as i_3 or MOMENTUM_0

KINDS: tuple[str, ...] = (LORENTZ, DIRAC, ADJOINT, FUNDAMENTAL, LABEL)


class Index(Symbol):
    """A named index of one kind, upper (``up=True``, MARTY's ``+``) or lower.

    Two indices are the same object only if name, kind and position agree; the name keeps a
    Lorentz backslash (``\\sigma_20``) but not MARTY's ``%`` dummy marker or ``+`` position marker.
    """

    __slots__ = ("kind", "up")

    kind: str
    up: bool

    def __new__(cls, name: str, kind: str, up: bool = False) -> Index:
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; expected one of {KINDS}")
        if not name:
            raise ValueError("an index needs a non-empty name")
        obj = Symbol.__xnew__(cls, name)
        obj.kind = kind
        obj.up = bool(up)
        return obj

    def _hashable_content(self) -> tuple[Any, ...]:
        return (self.name, self.kind, self.up)

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return ((self.name, self.kind, self.up), {})

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def sort_key(self, order: object = None) -> tuple[Any, ...]:
        """Deterministic SymPy ordering key that includes kind and position."""
        return (self.class_key(), (3, (self.name, self.kind, self.up)), (), ())

    def with_name(self, name: str) -> Index:
        """The same kind and position under another name."""
        return Index(name, self.kind, self.up)

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the index regardless of its position: (name, kind)."""
        return (self.name, self.kind)

    def _sympyrepr(self, printer: object) -> str:
        return f"Index({self.name!r}, {self.kind!r}, up={self.up})"

    def _sympystr(self, printer: object) -> str:
        return ("+" if self.up else "") + self.name
