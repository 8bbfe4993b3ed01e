"""Scalar symbols of the format (couplings, masses, Mandelstam products, momenta) with fixed assumptions.

Every place that turns a name into a SymPy symbol goes through :func:`symbol_for`, so the parser,
the prefix decoder and the tests agree on assumptions and therefore on equality.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sympy import Symbol

#: Fermion field names MARTY uses (tt is the tau), and the vector bosons.
FERMION_FIELDS = ("e", "mu", "tt", "u", "d", "s", "c", "b", "t")
BOSON_FIELDS = ("A", "G")
COUPLINGS = ("e", "g")
REGULATOR = "reg_prop"

_MASS = re.compile(r"m_[A-Za-z][A-Za-z0-9]*\Z")
_MANDELSTAM = re.compile(r"s_[0-9]{2}\Z")
_MOMENTUM = re.compile(r"p_[0-9]+\Z")


def is_momentum_name(name: str) -> bool:
    """True for momentum names ``p_N``."""
    return _MOMENTUM.match(name) is not None


@lru_cache(maxsize=4096)
def symbol_for(name: str) -> Symbol:
    """The one SymPy symbol for ``name``: couplings and masses are positive, ``s_ij`` and the
    regulator real, momenta and all other names carry no assumptions."""
    if name in COUPLINGS or _MASS.match(name):
        return Symbol(name, positive=True)
    if _MANDELSTAM.match(name) or name == REGULATOR:
        return Symbol(name, real=True)
    return Symbol(name)
