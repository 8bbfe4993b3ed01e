"""Symbolic spin-summed |M|^2 by Dirac traces, in MARTY's variables (s_ij = p_i·p_j, m_X, e, g).

Each diagram is written as fermion lines (products of gamma^mu, pslash and masses between
external spinors), a complex coefficient and propagator denominators. For a pair of diagrams
(d, d'), the lines of M_d and of the conjugate of M_d' are glued into closed loops at the
external legs, each loop becoming the trace of (projector, line of d, projector, barred line of
d', ...) with projectors pslash ± m; photon polarisation sums are -g_{mu nu}. Traces are expanded
by the recursion Tr(a_1 ... a_n) = sum_k (-1)^k (a_1·a_k) Tr(...), and Lorentz indices are then
contracted. Colour factors come from the explicit colour matrices of amplitudes.numeric.

Covered: diagrams whose vector bosons are external photons or internal photons/gluons between
fermion lines (all of QED; QCD processes without external gluons).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache

import numpy as np
from sympy import Expr, I, Integer, Rational, S, expand

from amplitudes.diagrams import Diagram, diagrams
from amplitudes.particles import Particle
from amplitudes.process import Process
from symtok.errors import SymtokError
from symtok.symbols import symbol_for

REG = symbol_for("reg_prop")

# A Dirac factor is a linear combination of terms (coeff, kind, arg): kind "g" = gamma^arg (an
# index name), "p" = pslash_arg (a leg number 1..4), "1" = the identity.
DiracFactor = tuple[tuple[Expr, str, object], ...]


def mass_symbol(p: Particle) -> Expr:
    return symbol_for(f"m_{p.field}")


def dot_symbol(i: int, j: int, masses: dict[int, Expr]) -> Expr:
    """p_i·p_j in MARTY's variables: s_ij (i < j) or m_i^2."""
    if i == j:
        return masses[i] ** 2
    a, b = sorted((i, j))
    return symbol_for(f"s_{a}{b}")


@dataclass
class Line:
    """A fermion line read from its row end (ubar / vbar) to its col end (u / v)."""

    row: int  # leg number 1..4
    col: int
    factors: list[DiracFactor]


@dataclass
class SymbolicDiagram:
    """M_d = coefficient * prod(lines) / prod(denominators); indices named per diagram."""

    diagram: Diagram
    coefficient: Expr
    lines: list[Line]
    denominators: list[Expr] = field(default_factory=list)


# ------------------------------------------------------------------ diagrams as Dirac lines


def _roles(process: Process) -> dict[int, str]:
    roles = {}
    for n, p in enumerate(process.legs, start=1):
        incoming = n <= 2
        if p.is_vector:
            roles[n] = "vector"
        elif p.is_antiparticle:
            roles[n] = "row" if incoming else "col"
        else:
            roles[n] = "col" if incoming else "row"
    return roles


def _k(n: int) -> dict[int, int]:
    """Momentum flowing into the diagram at leg n, as {leg: coefficient}."""
    return {n: 1 if n <= 2 else -1}


def _add(*vs: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in vs:
        for k, c in v.items():
            out[k] = out.get(k, 0) + c
    return {k: c for k, c in out.items() if c}


def _square(q: dict[int, int], masses: dict[int, Expr]) -> Expr:
    return sum((ci * cj * dot_symbol(i, j, masses) for (i, ci), (j, cj) in itertools.product(q.items(), q.items())), S.Zero)


def _gamma(index: str) -> DiracFactor:
    return ((S.One, "g", index),)


def _charge(p: Particle) -> Expr:
    q = p.charge if not p.is_antiparticle else -p.charge
    return Rational(q.numerator, q.denominator)


def symbolic_diagram(process: Process, diagram: Diagram, theory: str, masses: dict[int, Expr], tag: str) -> SymbolicDiagram:
    """The Dirac-line form of one diagram; index names carry ``tag`` so two diagrams never clash."""
    roles = _roles(process)
    legs = process.legs
    e, g = symbol_for("e"), symbol_for("g")
    if diagram.propagator is None:
        raise SymtokError("the four-gluon contact diagram is not covered by the trace engine yet")
    (i, j), (k, m) = ((a + 1, b + 1) for a, b in diagram.groups)
    x = diagram.propagator

    def coupling(line_particle: Particle) -> Expr:
        return -I * e * _charge(line_particle) if theory == "qed" else I * g

    if x.is_vector:
        groups = [(i, j), (k, m)]
        if any(roles[a] == "vector" or roles[b] == "vector" for a, b in groups):
            raise SymtokError("three-gluon vertices are not covered by the trace engine yet")
        lines, coefficient = [], S.One
        index = f"x{tag}"
        for a, b in groups:
            row, col = (a, b) if roles[a] == "row" else (b, a)
            lines.append(Line(row, col, [_gamma(index)]))
            coefficient *= coupling(legs[row - 1])
        q = _add(_k(i), _k(j))
        coefficient *= -I  # -i g_mn / q^2, the metric contracts the two gamma indices
        sign = _pairing_sign(lines)
        return SymbolicDiagram(diagram, sign * coefficient, lines, [_square(q, masses) + REG])
    # fermion exchange between two external vector bosons
    group_a = (i, j) if any(roles[y] == "col" for y in (i, j)) else (k, m)
    group_b = (k, m) if group_a == (i, j) else (i, j)
    col = next(y for y in group_a if roles[y] == "col")
    boson_a = next(y for y in group_a if y != col)
    row = next(y for y in group_b if roles[y] == "row")
    boson_b = next(y for y in group_b if y != row)
    if legs[boson_a - 1].name == "g" or legs[boson_b - 1].name == "g":
        raise SymtokError("external gluons (physical polarisation sums) are not covered by the trace engine yet")
    q = _add(_k(col), _k(boson_a))
    mq = masses[col]
    numerator: DiracFactor = tuple((Integer(c), "p", n) for n, c in q.items()) + ((mq, "1", None),)
    line = Line(row, col, [_gamma(f"e{boson_b}"), numerator, _gamma(f"e{boson_a}")])
    coefficient = coupling(legs[col - 1]) ** 2 * I  # two vertices and i (qslash + m) / (q^2 - m^2)
    return SymbolicDiagram(diagram, coefficient, [line], [_square(q, masses) - mq**2 + REG])


def _pairing_sign(lines: list[Line]) -> int:
    pairs = sorted((line.row, line.col) for line in lines)
    return 1 if len(pairs) < 2 or pairs[0][1] < pairs[1][1] else -1


# ---------------------------------------------------------------------------------- traces


def _pair(a: tuple[str, object], b: tuple[str, object], masses: dict[int, Expr]) -> tuple[Expr, tuple]:
    """(scalar, index factor or ()) of the product a·b of two trace arguments."""
    (ka, va), (kb, vb) = a, b
    if ka == "p" and kb == "p":
        return dot_symbol(va, vb, masses), ()
    if ka == "p":
        return S.One, (("P", va, vb),)
    if kb == "p":
        return S.One, (("P", vb, va),)
    return S.One, (("G",) + tuple(sorted((va, vb))),)


def trace(args: tuple[tuple[str, object], ...], masses: dict[int, Expr]) -> dict[tuple, Expr]:
    """Tr(a_1 ... a_n) of gamma^mu / pslash arguments: {sorted index factors: coefficient}."""
    return dict(_trace(args, tuple(sorted(masses.items()))))


@cache
def _trace(args: tuple[tuple[str, object], ...], masses_items: tuple) -> tuple[tuple[tuple, Expr], ...]:
    masses = dict(masses_items)
    if not args:
        return (((), Integer(4)),)
    if len(args) % 2:
        return ()
    out: dict[tuple, Expr] = {}
    first = args[0]
    for k in range(1, len(args)):
        scalar, factor = _pair(first, args[k], masses)
        sign = 1 if k % 2 == 1 else -1  # (-1)^(k) with 1-based k+1
        rest = args[1:k] + args[k + 1 :]
        for factors, coeff in _trace(rest, masses_items):
            key = tuple(sorted(factor + factors))
            out[key] = out.get(key, S.Zero) + sign * scalar * coeff
    return tuple((k, v) for k, v in out.items() if v != 0)


def contract(factors: tuple, masses: dict[int, Expr]) -> tuple[Expr, tuple]:
    """Contract every repeated Lorentz index: G(a,a) = 4, G(a,b)G(b,c) = G(a,c), P_i^a G(a,b) = P_i^b, P_i^a P_j^a = p_i·p_j."""
    items = list(factors)
    scalar = S.One
    changed = True
    while changed:
        changed = False
        for n, f in enumerate(items):
            if f[0] == "G" and f[1] == f[2]:
                items.pop(n)
                scalar *= 4
                changed = True
                break
        if changed:
            continue
        where: dict[object, list[int]] = {}
        for n, f in enumerate(items):
            for idx in (f[1:] if f[0] == "G" else f[2:]):
                where.setdefault(idx, []).append(n)
        for idx, places in where.items():
            if len(places) != 2:
                continue
            a, b = (items[p] for p in places)
            rest = [f for n, f in enumerate(items) if n not in places]
            if a[0] == "P" and b[0] == "P":
                scalar *= dot_symbol(a[1], b[1], masses)
            elif a[0] == "P" or b[0] == "P":
                p, gm = (a, b) if a[0] == "P" else (b, a)
                other = gm[2] if gm[1] == idx else gm[1]
                rest.append(("P", p[1], other))
            else:
                oa = a[2] if a[1] == idx else a[1]
                ob = b[2] if b[1] == idx else b[1]
                rest.append(("G",) + tuple(sorted((oa, ob))))
            items = rest
            changed = True
            break
    return scalar, tuple(sorted(items))


# ----------------------------------------------------------------------- |M_d M_d'^*| sums


def _projector(process: Process, leg: int, masses: dict[int, Expr]) -> DiracFactor:
    """Sum over spins of the external spinor pair at ``leg``: pslash + m (particles), pslash - m (antiparticles)."""
    p = process.legs[leg - 1]
    sign = -1 if p.is_antiparticle else 1
    return ((S.One, "p", leg), (sign * masses[leg], "1", None))


def _bar(factors: list[DiracFactor], prime: str) -> list[DiracFactor]:
    """The barred (reversed) line of the conjugate amplitude, with its indices renamed."""
    out = []
    for f in reversed(factors):
        out.append(tuple((c, k, (a + prime if k == "g" else a)) for c, k, a in f))
    return out


def interference(process: Process, d1: SymbolicDiagram, d2: SymbolicDiagram, masses: dict[int, Expr], photons: list[int]) -> Expr:
    """sum over spins and photon polarisations of M_d1 M_d2^* (without colour and denominators)."""
    prime = "'"
    # photon polarisation sums -g: identify e_n of the conjugate with e_n of d1, one -1 each
    rename = {f"e{n}{prime}": f"e{n}" for n in photons}
    by_row = {line.row: line for line in d1.lines}
    conj_by_col = {line.col: line for line in d2.lines}
    loops: list[list[DiracFactor]] = []
    seen: set[int] = set()
    for start in by_row:
        if start in seen:
            continue
        factors: list[DiracFactor] = []
        row = start
        while row not in seen:
            seen.add(row)
            line = by_row[row]
            factors.append(_projector(process, row, masses))
            factors.extend(line.factors)
            factors.append(_projector(process, line.col, masses))
            conj = conj_by_col[line.col]
            barred = _bar(conj.factors, prime)
            factors.extend(tuple((c, k, rename.get(a, a) if k == "g" else a) for c, k, a in f) for f in barred)
            row = conj.row
        loops.append(factors)
    total: dict[tuple, Expr] = {(): S.One}
    for loop in loops:
        loop_sum: dict[tuple, Expr] = {}
        for choice in itertools.product(*loop):
            coeff = S.One
            args = []
            for c, k, a in choice:
                coeff *= c
                if k != "1":
                    args.append((k, a))
            if coeff == 0:
                continue
            for key, value in trace(tuple(args), masses).items():
                loop_sum[key] = loop_sum.get(key, S.Zero) + coeff * value
        total = {tuple(sorted(k1 + k2)): v1 * v2 for k1, v1 in total.items() for k2, v2 in loop_sum.items()}
    result = S.Zero
    for key, value in total.items():
        scalar, left = contract(key, masses)
        if left:
            raise SymtokError(f"uncontracted Lorentz indices {left}: the diagram structure is not closed")
        result += scalar * value
    return expand(result * (-1) ** len(photons) * d1.coefficient * d2.coefficient.conjugate())


# ------------------------------------------------------------------------------ |M|^2 total


@dataclass(frozen=True)
class SquaredAmplitude:
    """Spin/colour-summed, initial-averaged |M|^2: per diagram and for the process (with interference)."""

    process: str
    theory: str
    per_diagram: tuple[Expr, ...]
    total: Expr


def leg_masses(process: Process, massless: bool = False) -> dict[int, Expr]:
    return {n: (S.Zero if massless or p.mass == 0 else mass_symbol(p)) for n, p in enumerate(process.legs, start=1)}


def colour_factors(process: Process, theory: str, diags: list[Diagram]) -> np.ndarray:
    """Matrix sum_colours C_d C_d'^* from the explicit colour tensors (1 in QED)."""
    if theory != "qcd":
        return np.ones((len(diags), len(diags)))
    from amplitudes.kinematics import momenta
    from amplitudes.numeric import Couplings, _colour_dim, build_legs, diagram_terms

    masses = [p.mass for p in process.legs]
    p = momenta(tuple(masses), 2 * sum(masses) + 10.0, 0.3)  # colour does not depend on the point
    legs = build_legs(process, p, masses)
    dims = [_colour_dim(leg, theory) for leg in legs]
    tensors = []
    for d in diags:
        terms = diagram_terms(d, legs, theory, Couplings(), masses)
        tensors.append(np.broadcast_to(terms[0][0], dims))
    return np.array([[np.vdot(b, a) for b in tensors] for a in tensors])


def _rational(x: complex) -> Expr:
    if abs(x.imag) > 1e-9:
        raise SymtokError(f"complex colour factor {x}")
    f = Fraction(float(x.real)).limit_denominator(100000)
    if abs(float(f) - x.real) > 1e-9:
        raise SymtokError(f"colour factor {x.real} is not a simple rational")
    return Rational(f.numerator, f.denominator)


def squared_amplitude(process: Process | str, theory: str, *, massless: bool = False) -> SquaredAmplitude:
    """Symbolic |M|^2 (averaged over initial spins and colours) per diagram and for the whole process."""
    if isinstance(process, str):
        process = Process.parse(process)
    diags = diagrams(process, theory)
    if not diags:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    masses = leg_masses(process, massless)
    sym = [symbolic_diagram(process, d, theory, masses, str(n)) for n, d in enumerate(diags)]
    photons = [n for n, p in enumerate(process.legs, start=1) if p.name == "a"]
    colours = colour_factors(process, theory, diags)
    average = Integer(4)
    if theory == "qcd":
        for p in process.incoming:
            average *= p.colour_states
    terms: dict[tuple[int, int], Expr] = {}
    for a, b in itertools.product(range(len(sym)), repeat=2):
        if b < a:
            continue
        colour = _rational(colours[a, b])
        if colour == 0:
            continue
        value = interference(process, sym[a], sym[b], masses, photons) * colour
        weight = 1 if a == b else 2  # M_a M_b^* + M_b M_a^* = 2 Re: traces here are real
        dens = [*sym[a].denominators, *sym[b].denominators]
        term = weight * value / average
        for den in dens:
            term = term * den**-1
        terms[(a, b)] = term
    per_diagram = tuple(terms.get((n, n), S.Zero) for n in range(len(sym)))
    return SquaredAmplitude(str(process), theory, per_diagram, sum(terms.values(), S.Zero))
