"""Colour algebra of the symbolic squared amplitudes, independent of the numeric evaluator.

A diagram's colour structure is a product of SU(N) generators ``T(a, i, j)`` = (T^a)_ij,
Kronecker deltas ``Delta(i, j)`` (a quark line that only meets photons) and structure constants
``F(a, b, c)`` = f^abc over named indices (external ones are ``c<leg>``,
repeated names are summed). ``colour_sum`` gives sum over every colour of C_1 C_2^* as an exact
complex rational. The generators are built here from the generalized Gell-Mann basis of su(N)
(normalised Tr(T^a T^b) = delta^ab / 2, f^abc = -2i Tr([T^a, T^b] T^c)); amplitudes.physics.numeric
builds its own, so the two |M|^2 computations share no colour code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
from sympy import Expr, I, Integer, Rational

from symtok.errors import SymtokError

N_COLOURS = 3


@dataclass(frozen=True)
class T:
    """(T^adjoint)_{row col}: a generator in the fundamental representation."""

    adjoint: str
    row: str
    col: str


@dataclass(frozen=True)
class F:
    """f^{a b c}: the totally antisymmetric structure constants."""

    a: str
    b: str
    c: str


@dataclass(frozen=True)
class Delta:
    """delta_{row col} in the fundamental representation: a quark line with no gluon on it."""

    row: str
    col: str


ColourStructure = tuple[T | F | Delta, ...]


@cache
def generators(n: int = N_COLOURS) -> np.ndarray:
    """The n^2 - 1 generators T^a (n x n) of su(n) in the generalized Gell-Mann basis, Tr(T^a T^b) = delta^ab / 2."""
    out = []
    for j in range(n):
        for k in range(j + 1, n):
            sym = np.zeros((n, n), dtype=complex)
            sym[j, k] = sym[k, j] = 0.5
            anti = np.zeros((n, n), dtype=complex)
            anti[j, k], anti[k, j] = -0.5j, 0.5j
            out += [sym, anti]
    for m in range(1, n):
        diag = np.zeros(n, dtype=complex)
        diag[:m] = 1.0
        diag[m] = -m
        out.append(np.diag(diag) / np.sqrt(2.0 * m * (m + 1)))
    return np.array(out)


@cache
def structure_constants(n: int = N_COLOURS) -> np.ndarray:
    """f^abc = -2i Tr([T^a, T^b] T^c), real, shape (n^2 - 1,) * 3."""
    t = generators(n)
    commutator = np.einsum("aij,bjk->abik", t, t) - np.einsum("bij,ajk->abik", t, t)
    return np.real(-2j * np.einsum("abik,cki->abc", commutator, t))


def _tensor(structure: ColourStructure, external: list[str]) -> np.ndarray:
    """The structure as an array over the ``external`` indices (internal ones summed)."""
    if not structure:
        return np.ones(())
    letters: dict[str, str] = {}
    pool = iter(string.ascii_letters)

    def letter(name: str) -> str:
        if name not in letters:
            letters[name] = next(pool)
        return letters[name]

    operands, specs = [], []
    for factor in structure:
        if isinstance(factor, T):
            operands.append(generators())
            specs.append(letter(factor.adjoint) + letter(factor.row) + letter(factor.col))
        elif isinstance(factor, Delta):
            operands.append(np.eye(N_COLOURS, dtype=complex))
            specs.append(letter(factor.row) + letter(factor.col))
        else:
            operands.append(structure_constants().astype(complex))
            specs.append(letter(factor.a) + letter(factor.b) + letter(factor.c))
    missing = [e for e in external if e not in letters]
    if missing:
        raise SymtokError(f"colour structure has no index {missing[0]}")
    return np.einsum(",".join(specs) + "->" + "".join(letters[e] for e in external), *operands)


def _external(structure: ColourStructure) -> list[str]:
    """Indices that occur once: the external colours (sorted by name)."""
    seen: dict[str, int] = {}
    for factor in structure:
        if isinstance(factor, T):
            names: tuple[str, ...] = (factor.adjoint, factor.row, factor.col)
        elif isinstance(factor, Delta):
            names = (factor.row, factor.col)
        else:
            names = (factor.a, factor.b, factor.c)
        for name in names:
            seen[name] = seen.get(name, 0) + 1
    if any(count > 2 for count in seen.values()):
        raise SymtokError("a colour index occurs more than twice")
    return sorted(name for name, count in seen.items() if count == 1)


def colour_sum(first: ColourStructure, second: ColourStructure) -> Expr:
    """sum over all colours of C_first C_second^*, an exact complex rational."""
    external = _external(first)
    if _external(second) != external:
        raise SymtokError("the two colour structures have different external indices")
    value = complex(np.vdot(_tensor(second, external), _tensor(first, external)))
    return _exact(value.real) + I * _exact(value.imag)


def _exact(x: float) -> Expr:
    """Colour sums are rationals with small denominators (powers of N and 2)."""
    f = Fraction(x).limit_denominator(10_000)
    if abs(float(f) - x) > 1e-9 * max(1.0, abs(x)):
        raise SymtokError(f"colour sum {x} is not a simple rational")
    return Rational(f.numerator, f.denominator) if f.denominator != 1 else Integer(f.numerator)
