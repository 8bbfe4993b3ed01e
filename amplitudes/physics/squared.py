"""Symbolic spin-summed |M|^2 by Dirac traces, in MARTY's variables (s_ij = p_i·p_j, m_X, e, g).

Each diagram is written as fermion lines (products of gamma^mu, pslash and masses between
external spinors), a complex coefficient and propagator denominators. For a pair of diagrams
(d, d'), the lines of M_d and of the conjugate of M_d' are glued into closed loops at the
external legs, each loop becoming the trace of (projector, line of d, projector, barred line of
d', ...) with projectors pslash ± m; photon polarisation sums are -g_{mu nu}. Traces are expanded
by the recursion Tr(a_1 ... a_n) = sum_k (-1)^k (a_1·a_k) Tr(...), and Lorentz indices are then
contracted. Colour factors come from amplitudes.physics.colour (each term carries its colour
structure), not from the numeric evaluator.

External gluons use the physical (axial-gauge) polarisation sum, so no ghosts are needed; three-
and four-gluon vertices enter as Lorentz tensor polynomials contracted with everything else.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from sympy import ZZ, Expr, I, Integer, Rational, S, expand
from sympy.polys.rings import ring

from amplitudes.physics.colour import ColourStructure, Delta, F, T, colour_sum
from amplitudes.physics.diagrams import Diagram, diagrams
from amplitudes.physics.particles import PARTICLES, Particle, marty_field
from amplitudes.physics.process import Process, leg_roles
from amplitudes.physics.trees import Node, TreeDiagram, tree_diagrams
from symtok.errors import SymtokError
from symtok.symbols import symbol_for

REG = symbol_for("reg_prop")

GluonSum = Literal["physical", "feynman"]
#: How external gluon polarisations are summed: physical (axial gauge) or -g (MARTY's per-diagram rows).
GLUON_SUMS: tuple[str, ...] = ("physical", "feynman")

# A Dirac factor is a linear combination of terms (coeff, kind, arg): kind "g" = gamma^arg (an
# index name), "p" = pslash_arg (a leg number 1..4), "1" = the identity.
DiracFactor = tuple[tuple[Expr, str, object], ...]


def mass_symbol(p: Particle, theory: str = "qed") -> Expr:
    """m_X with X the field name MARTY writes in a file of ``theory`` (the top is m_tt in QED, m_t in QCD)."""
    return symbol_for(f"m_{marty_field(p.pdg, theory)}")


def dot_symbol(i: int, j: int, squares: dict[int, Expr]) -> Expr:
    """p_i·p_j in MARTY's variables: s_ij (i < j), or p_i^2 from ``squares`` (m_i^2, or s_ii off shell)."""
    if i == j:
        return squares[i]
    a, b = sorted((i, j))
    return symbol_for(f"s_{a}{b}")


@dataclass
class Line:
    """A fermion line read from its row end (ubar / vbar) to its col end (u / v)."""

    row: int  # leg number 1..4
    col: int
    factors: list[DiracFactor]


Poly = dict[tuple, Expr]  # Lorentz tensor: {sorted index factors: coefficient}; G(a,b), P(leg,a)


@dataclass
class SymbolicDiagram:
    """M_d = coefficient * prod(lines) * prod(tensors) / prod(denominators); indices named per diagram.

    External vector boson n carries the free index "e<n>"."""

    diagram: Diagram
    coefficient: Expr
    lines: list[Line]
    denominators: list[Expr] = field(default_factory=list)
    tensors: list[Poly] = field(default_factory=list)
    colour: ColourStructure = ()  # empty in QED


# ------------------------------------------------------------------ diagrams as Dirac lines


def _k(n: int) -> dict[int, int]:
    """Momentum flowing into the diagram at leg n, as {leg: coefficient}."""
    return {n: 1 if n <= 2 else -1}


def _add(*vs: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in vs:
        for k, c in v.items():
            out[k] = out.get(k, 0) + c
    return {k: c for k, c in out.items() if c}


def _square(q: dict[int, int], squares: dict[int, Expr]) -> Expr:
    """q^2 in invariants, q written without the last leg's momentum (sum_in p = sum_out p), as MARTY
    writes propagator denominators: (p_1 - p_4)^2 - m^2 becomes (p_3 - p_2)^2 - m^2, 2 s_23 - ..."""
    last = max(squares)
    if q.get(last):
        shift = -q[last]  # q - shift * k with k_n = +1 incoming, -1 outgoing (sum k_n p_n = 0)
        moved = {leg: q.get(leg, 0) - shift * (1 if leg <= 2 else -1) for leg in squares}
        q = {leg: c for leg, c in moved.items() if c}
    return sum(
        (ci * cj * dot_symbol(i, j, squares) for (i, ci), (j, cj) in itertools.product(q.items(), q.items())), S.Zero
    )


def _gamma(index: str) -> DiracFactor:
    return ((S.One, "g", index),)


def _charge(p: Particle) -> Expr:
    q = p.charge if not p.is_antiparticle else -p.charge
    return Rational(q.numerator, q.denominator)


def _momentum_index(q: dict[int, int], index: str) -> Poly:
    return {(("P", leg, index),): Integer(c) for leg, c in q.items()}


def three_gluon_tensor(k1: dict[int, int], k2: dict[int, int], k3: dict[int, int], a: str, b: str, c: str) -> Poly:
    """g^{ab}(k1-k2)^c + g^{bc}(k2-k3)^a + g^{ca}(k3-k1)^b, momenta incoming (Peskin & Schroeder)."""
    out: Poly = {}
    neg = lambda v: {k: -x for k, x in v.items()}  # noqa: E731
    for (i, j), diff, free in (
        ((a, b), _add(k1, neg(k2)), c),
        ((b, c), _add(k2, neg(k3)), a),
        ((c, a), _add(k3, neg(k1)), b),
    ):
        metric = ("G", *sorted((i, j)))
        for leg, coeff in diff.items():
            key = tuple(sorted((metric, ("P", leg, free))))
            out[key] = out.get(key, S.Zero) + coeff
    return {k: v for k, v in out.items() if v != 0}


def _metric_product(pairs: list[tuple[str, str]]) -> tuple:
    return tuple(sorted(("G", *sorted(p)) for p in pairs))


def four_gluon_terms(names: list[str], labels: list[str], dummy: str) -> list[tuple[Poly, tuple[F, F]]]:
    """The three colour terms of the four-gluon vertex (Peskin & Schroeder; the factor -i g^2 apart)
    for lines with Lorentz indices ``names`` and colour labels ``labels`` (a, b, c, d):
    f^{abe} f^{cde} (g^{ac} g^{bd} - g^{ad} g^{bc}), f^{ace} f^{bde} (g^{ab} g^{cd} - g^{ad} g^{bc}),
    f^{ade} f^{bce} (g^{ab} g^{cd} - g^{ac} g^{bd}); ``dummy`` is the summed colour e."""
    m, n, r, s = names
    a, b, c, d = labels
    ab_cd, ac_bd, ad_bc = (
        _metric_product([(m, n), (r, s)]),
        _metric_product([(m, r), (n, s)]),
        _metric_product([(m, s), (n, r)]),
    )
    out: list[tuple[Poly, tuple[F, F]]] = []
    for plus, minus, colour in (
        (ac_bd, ad_bc, (F(a, b, dummy), F(c, d, dummy))),
        (ab_cd, ad_bc, (F(a, c, dummy), F(b, d, dummy))),
        (ab_cd, ac_bd, (F(a, d, dummy), F(b, c, dummy))),
    ):
        out.append(({plus: S.One, minus: -S.One}, colour))
    return out


def symbolic_terms(
    process: Process, diagram: Diagram, theory: str, masses: dict[int, Expr], tag: str
) -> list[SymbolicDiagram]:
    """The Dirac-line and tensor form of one diagram (three terms for the four-gluon contact, one
    per colour structure, in the order of amplitudes.physics.numeric); index names carry ``tag``."""
    roles = leg_roles(process)
    legs = process.legs
    squares = leg_squares(process, masses)
    e, g = symbol_for("e"), symbol_for("g")
    if diagram.propagator is None:
        coefficient = -I * g**2
        structures = [
            [(("e1", "e3"), ("e2", "e4")), (("e1", "e4"), ("e2", "e3"))],
            [(("e1", "e2"), ("e3", "e4")), (("e1", "e4"), ("e2", "e3"))],
            [(("e1", "e2"), ("e3", "e4")), (("e1", "e3"), ("e2", "e4"))],
        ]
        return [
            SymbolicDiagram(
                diagram,
                coefficient,
                [],
                [],
                [{_metric_product(list(plus)): S.One, _metric_product(list(minus)): -S.One}],
                (F(f"c{a}", f"c{b}", "x"), F(f"c{c}", f"c{d}", "x")),
            )
            for (plus, minus), (a, b, c, d) in zip(structures, ((1, 2, 3, 4), (1, 3, 2, 4), (1, 4, 2, 3)), strict=True)
        ]
    (i, j), (k, m) = ((a + 1, b + 1) for a, b in diagram.groups)
    x = diagram.propagator

    def coupling(line_particle: Particle, boson: Particle) -> Expr:
        """-i e Q at a photon vertex, i g (times T^a, in the colour structure) at a gluon vertex."""
        return I * g if boson.name == "g" else -I * e * _charge(line_particle)

    def coloured(p: Particle) -> bool:
        return theory != "qed" and p.colour != 1  # QED's quarks are colourless (SYMBA's QED set)

    if x.is_vector:
        index = f"x{tag}"
        lines, tensors, coefficient = [], [], -I  # -i g_mn / q^2: the metric joins the two sides
        colour: list[T | F | Delta] = []
        for a, b in ((i, j), (k, m)):
            if roles[a] == "vector" and roles[b] == "vector":
                ka, kb = _k(a), _k(b)
                tensors.append(
                    three_gluon_tensor(ka, kb, {n: -c for n, c in _add(ka, kb).items()}, f"e{a}", f"e{b}", index)
                )
                coefficient *= g
                colour.append(F(f"c{a}", f"c{b}", index))
            else:
                row, col = (a, b) if roles[a] == "row" else (b, a)
                lines.append(Line(row, col, [_gamma(index)]))
                coefficient *= coupling(legs[row - 1], x)
                if x.name == "g":
                    colour.append(T(index, f"c{row}", f"c{col}"))
                elif coloured(legs[row - 1]):
                    colour.append(Delta(f"c{row}", f"c{col}"))
        q = _add(_k(i), _k(j))
        sign = _pairing_sign(lines)
        return [
            SymbolicDiagram(diagram, sign * coefficient, lines, [_square(q, squares) + REG], tensors, tuple(colour))
        ]
    # fermion exchange between two external vector bosons
    group_a = (i, j) if any(roles[y] == "col" for y in (i, j)) else (k, m)
    group_b = (k, m) if group_a == (i, j) else (i, j)
    col = next(y for y in group_a if roles[y] == "col")
    boson_a = next(y for y in group_a if y != col)
    row = next(y for y in group_b if roles[y] == "row")
    boson_b = next(y for y in group_b if y != row)
    q = _add(_k(col), _k(boson_a))
    mq = masses[col]
    numerator: DiracFactor = (*tuple((Integer(c), "p", n) for n, c in q.items()), (mq, "1", None))
    line = Line(row, col, [_gamma(f"e{boson_b}"), numerator, _gamma(f"e{boson_a}")])
    fermion, vector_a, vector_b = legs[col - 1], legs[boson_a - 1], legs[boson_b - 1]
    # two vertices and i (qslash + m) / (q^2 - m^2)
    coefficient = coupling(fermion, vector_b) * coupling(fermion, vector_a) * I
    colour: tuple[T | F | Delta, ...] = ()
    if coloured(fermion):
        gluons = [f"c{n}" for n, v in ((boson_b, vector_b), (boson_a, vector_a)) if v.name == "g"]
        chain = [f"c{row}", *(["y"] if len(gluons) == 2 else []), f"c{col}"]
        colour = tuple(T(a, chain[n], chain[n + 1]) for n, a in enumerate(gluons)) or (Delta(f"c{row}", f"c{col}"),)
    return [SymbolicDiagram(diagram, coefficient, [line], [_square(q, squares) - mq**2 + REG], [], colour)]


def _pairing_sign(lines: list[Line]) -> int:
    pairs = sorted((line.row, line.col) for line in lines)
    return 1 if len(pairs) < 2 or pairs[0][1] < pairs[1][1] else -1


def _permutation_sign(values: list[int]) -> int:
    sign = 1
    for a, b in itertools.combinations(range(len(values)), 2):
        if values[a] > values[b]:
            sign = -sign
    return sign


def tree_terms(
    process: Process, tree: TreeDiagram, theory: str, masses: dict[int, Expr], tag: str
) -> list[SymbolicDiagram]:
    """The Dirac-line and tensor form of one n-leg tree diagram (amplitudes.physics.trees): one
    term, or one per colour structure of each four-gluon vertex (three per vertex).

    Same Feynman rules as :func:`symbolic_terms`: -i e Q gamma^mu and i g T^a gamma^mu at fermion
    vertices, g f^abc V^{mu nu rho} at three-gluon vertices (momenta incoming), -i g^2 [f f (g g - g g)
    + two more] at four-gluon vertices (:func:`four_gluon_terms`), -i g_mn / q^2 for
    photons and gluons (Feynman gauge: both ends share one index name), i (qslash + m) / (q^2 - m^2)
    for fermions. Fermion lines are read from their row end (ubar, vbar) to their col end (u, v);
    the sign of the pairing is the parity of the col legs taken in row order. Propagator momenta
    are written through the legs below each line, so the last leg's p_n appears only in traces."""
    roles = leg_roles(process)
    legs = process.legs
    n = len(legs)
    squares = leg_squares(process, masses)
    e, g = symbol_for("e"), symbol_for("g")
    last = (n - 1,)
    ends: dict[tuple[int, ...], list[object]] = {last: ["root"]}
    at: dict[object, list[tuple[int, ...]]] = {"root": [c.legs for c in tree.root] + [last]}
    field_of: dict[tuple[int, ...], str] = {last: legs[-1].name}

    def visit(node: Node, parent: object) -> None:
        ends[node.legs] = [parent] if node.is_leaf else [node.legs, parent]
        field_of[node.legs] = legs[node.leg].name if node.is_leaf else PARTICLES[node.field].antiparticle
        if not node.is_leaf:
            at[node.legs] = [c.legs for c in node.children] + [node.legs]
            for child in node.children:
                visit(child, node.legs)

    for child in tree.root:
        visit(child, "root")

    def flow(line: tuple[int, ...]) -> dict[int, int]:
        """Momentum flowing along ``line`` from the legs below it towards its upper vertex."""
        return _add(*(_k(x + 1) for x in line))

    def into(line: tuple[int, ...], vertex: object) -> dict[int, int]:
        """Momentum flowing along ``line`` into ``vertex``."""
        q = flow(line)
        return q if ends[line][-1] == vertex else {k: -c for k, c in q.items()}

    def external(line: tuple[int, ...]) -> bool:
        return len(ends[line]) == 1

    coefficient: Expr = S.One
    denominators: list[Expr] = []
    index: dict[tuple[int, ...], str] = {}
    for k, line in enumerate(x for x in ends if PARTICLES[field_of[x]].is_vector):
        if external(line):
            index[line] = f"e{line[0] + 1}"
        else:
            index[line] = f"x{tag}.{k}"
            coefficient *= -I
            denominators.append(_square(flow(line), squares) + REG)

    def coloured(p: Particle) -> bool:
        return theory != "qed" and p.colour != 1

    colour: list[T | F | Delta] = []
    tensors: list[Poly] = []
    contacts: list[list[tuple[Poly, tuple[F, F]]]] = []  # per four-gluon vertex: its three colour terms
    for v, (vertex, lines) in enumerate(at.items()):
        if all(field_of[x] == "g" for x in lines):
            labels = [f"c{x[0] + 1}" if external(x) else index[x] for x in lines]
            names = [index[x] for x in lines]
            if len(lines) == 4:
                coefficient *= -I * g**2
                contacts.append(four_gluon_terms(names, labels, f"w{tag}.{v}"))
                continue
            ks = [into(x, vertex) for x in lines]
            tensors.append(three_gluon_tensor(*ks, *names))
            coefficient *= g
            colour.append(F(*labels))

    chains: list[Line] = []
    for row in sorted(m for m, r in roles.items() if r == "row"):
        line, vertex = (row - 1,), ends[(row - 1,)][-1]
        flavour = legs[row - 1]
        factors: list[DiracFactor] = []
        gluons: list[str] = []
        while True:
            others = [x for x in at[vertex] if x != line]
            boson = next(x for x in others if PARTICLES[field_of[x]].is_vector)
            fermion = next(x for x in others if x != boson)
            factors.append(_gamma(index[boson]))
            if field_of[boson] == "g":
                coefficient *= I * g
                gluons.append(f"c{boson[0] + 1}" if external(boson) else index[boson])
            else:
                coefficient *= -I * e * _charge(flavour)
            if external(fermion):
                col = fermion[0] + 1
                break
            q = into(fermion, vertex)  # along the arrow, from the col side towards the row side
            mass = masses[row]
            factors.append((*tuple((Integer(c), "p", leg) for leg, c in q.items()), (mass, "1", None)))
            coefficient *= I
            denominators.append(_square(q, squares) - mass**2 + REG)
            line = fermion
            vertex = next(v for v in ends[fermion] if v != vertex)
        chains.append(Line(row, col, factors))
        if coloured(flavour):
            labels = [f"c{row}", *(f"y{tag}.{row}.{j}" for j in range(len(gluons) - 1)), f"c{col}"]
            colour.extend(T(a, labels[j], labels[j + 1]) for j, a in enumerate(gluons))
            if not gluons:
                colour.append(Delta(f"c{row}", f"c{col}"))
    sign = _permutation_sign([line.col for line in chains])
    return [
        SymbolicDiagram(
            tree,  # type: ignore[arg-type]
            sign * coefficient,
            chains,
            denominators,
            tensors + [t for t, _ in choice],
            tuple(colour) + tuple(f for _, pair in choice for f in pair),
        )
        for choice in itertools.product(*contacts)
    ]


# ---------------------------------------------------------------------------------- traces


class Algebra:
    """Sparse polynomials (sympy.polys.rings over ZZ: every coefficient is an integer) in one process's invariants: traces and index
    contractions run on them, an order of magnitude faster than SymPy expressions, and only the
    finished sum becomes an expression again. Every p_i·p_j (s_ij, or p_i^2 = m_i^2 / s_ii), every
    mass and, for physical gluon sums, a stand-in for each 1/s_ij are generators."""

    def __init__(self, squares: dict[int, Expr], symbols: tuple[Expr, ...], inverses: bool) -> None:
        legs = sorted(squares)
        dots = {(i, j): dot_symbol(i, j, squares) for i in legs for j in legs if i < j}
        names: set = set(symbols)
        for value in (*dots.values(), *squares.values()):
            names |= value.free_symbols
        self.inverse = {symbol_for(f"inv_{x.name}"): x for x in dots.values()} if inverses else {}
        gens = sorted(names, key=lambda x: x.name) + sorted(self.inverse, key=lambda x: x.name)
        self.ring = ring(gens, ZZ)[0]
        self.key = (tuple(sorted(squares.items())), tuple(gens))
        self._converted: dict[Expr, object] = {}
        self._composite: dict[tuple, object] = {}
        self.dots = {k: self.convert(v) for k, v in dots.items()}
        self.squares = {k: self.convert(v) for k, v in squares.items()}
        self.one, self.four = self.ring.one, self.ring(4)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Algebra) and other.key == self.key

    def convert(self, value: Expr) -> object:
        """A polynomial of ``value``; 1/s_ij becomes its stand-in generator."""
        if value not in self._converted:
            swapped = value.xreplace({1 / x: inv for inv, x in self.inverse.items()})
            self._converted[value] = self.ring.from_expr(swapped) if swapped.free_symbols else self.ring(value)
        return self._converted[value]

    def dot(self, i: object, j: object) -> object:
        """p_i·p_j for legs, or for sums of legs' momenta written ("Q", ((leg, coefficient), ...))."""
        if isinstance(i, int) and isinstance(j, int):
            return self.squares[i] if i == j else self.dots[(min(i, j), max(i, j))]
        key = (i, j)
        if key not in self._composite:
            parts = [((x, 1),) if isinstance(x, int) else x[1] for x in (i, j)]  # type: ignore[index]
            value = self.ring.zero
            for (a, ca), (b, cb) in itertools.product(*parts):
                value += ca * cb * self.dot(a, b)  # type: ignore[operator]
            self._composite[key] = value
        return self._composite[key]

    def to_expr(self, value: object) -> Expr:
        return value.as_expr().xreplace({inv: 1 / x for inv, x in self.inverse.items()})  # type: ignore[attr-defined]


def _pair(a: tuple[str, object], b: tuple[str, object], alg: Algebra) -> tuple[object, tuple]:
    """(scalar, index factor or ()) of the product a·b of two trace arguments."""
    (ka, va), (kb, vb) = a, b
    if ka == "p" and kb == "p":
        return alg.dot(va, vb), ()  # type: ignore[arg-type]
    if ka == "p":
        return alg.one, (("P", va, vb),)
    if kb == "p":
        return alg.one, (("P", vb, va),)
    return alg.one, (("G", *tuple(sorted((va, vb)))),)  # type: ignore[type-var]


@lru_cache(maxsize=1 << 17)  # bounded: shared sub-traces of one process at a time
def _trace(args: tuple[tuple[str, object], ...], alg: Algebra) -> tuple[tuple[tuple, object], ...]:
    """Tr(a_1 ... a_n) of gamma^mu / pslash arguments: ((sorted index factors, coefficient), ...) by
    Tr(a_1 ... a_n) = sum_k (-1)^k (a_1·a_k) Tr(... without a_1, a_k ...)."""
    if not args:
        return (((), alg.four),)
    if len(args) % 2:
        return ()
    out: dict[tuple, object] = {}
    first = args[0]
    for k in range(1, len(args)):
        scalar, factor = _pair(first, args[k], alg)
        sign = 1 if k % 2 == 1 else -1  # (-1)^(k) with 1-based k+1
        rest = args[1:k] + args[k + 1 :]
        for factors, coeff in _trace(rest, alg):
            key = tuple(sorted(factor + factors, key=repr))
            term = scalar * coeff if sign == 1 else -(scalar * coeff)  # type: ignore[operator]
            out[key] = out[key] + term if key in out else term  # type: ignore[operator]
    return tuple((k, v) for k, v in out.items() if v)


def contract(factors: tuple, alg: Algebra) -> tuple[object, tuple]:
    """Contract every repeated Lorentz index: G(a,a) = 4, G(a,b)G(b,c) = G(a,c), P_i^a G(a,b) = P_i^b, P_i^a P_j^a = p_i·p_j."""
    items = list(factors)
    scalar = alg.one
    changed = True
    while changed:
        changed = False
        for n, f in enumerate(items):
            if f[0] == "G" and f[1] == f[2]:
                items.pop(n)
                scalar = scalar * 4  # type: ignore[operator]
                changed = True
                break
        if changed:
            continue
        where: dict[object, list[int]] = {}
        for n, f in enumerate(items):
            for idx in f[1:] if f[0] == "G" else f[2:]:
                where.setdefault(idx, []).append(n)
        for idx, places in where.items():
            if len(places) != 2:
                continue
            a, b = (items[p] for p in places)
            rest = [f for n, f in enumerate(items) if n not in places]
            if a[0] == "P" and b[0] == "P":
                scalar = scalar * alg.dot(a[1], b[1])  # type: ignore[operator]
            elif a[0] == "P" or b[0] == "P":
                p, gm = (a, b) if a[0] == "P" else (b, a)
                other = gm[2] if gm[1] == idx else gm[1]
                rest.append(("P", p[1], other))
            else:
                oa = a[2] if a[1] == idx else a[1]
                ob = b[2] if b[1] == idx else b[1]
                rest.append(("G", *tuple(sorted((oa, ob)))))
            items = rest
            changed = True
            break
    return scalar, tuple(sorted(items, key=repr))  # repr: legs may be ints or sums of momenta


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


def poly_mul(a: dict, b: dict, alg: Algebra) -> dict:
    """Product of two tensor polynomials (coefficients in ``alg``), contracting every index that
    appears twice."""
    out: dict = {}
    for ka, va in a.items():
        for kb, vb in b.items():
            scalar, key = contract(ka + kb, alg)
            term = scalar * va * vb  # type: ignore[operator]
            out[key] = out[key] + term if key in out else term
    return {k: v for k, v in out.items() if v}


def _in_algebra(poly: Poly, alg: Algebra) -> dict:
    return {k: alg.convert(v) for k, v in poly.items()}


def _prime_poly(poly: Poly, prime: str) -> Poly:
    def rename(f: tuple) -> tuple:
        if f[0] == "G":
            return ("G", *sorted((f[1] + prime, f[2] + prime)))
        return ("P", f[1], f[2] + prime)

    return {tuple(sorted(rename(f) for f in key)): v for key, v in poly.items()}


def polarisation_sum(process: Process, n: int, prime: str, gluons: GluonSum = "physical") -> Poly:
    """sum over polarisations of eps^{e_n} eps*^{e_n'}: -g for photons; for gluons the physical
    (axial-gauge) sum -g + (k r + r k)/(k·r) with r the momentum of another massless leg, or -g
    with ``gluons="feynman"`` (MARTY's per-diagram convention, no ghosts)."""
    a, b = f"e{n}", f"e{n}{prime}"
    poly: Poly = {(("G", *sorted((a, b))),): -S.One}
    if process.legs[n - 1].name != "g" or gluons == "feynman":
        return poly
    n_legs = len(process.legs)
    partner = next(
        (
            m
            for m in (n ^ 1 if n in (1, 2) else 7 - n, *range(1, n_legs + 1))
            if m != n and m in range(1, n_legs + 1) and process.legs[m - 1].mass == 0
        ),
        None,
    )
    if partner is None:
        if sum(p.name == "g" for p in process.legs) == 1:
            return poly  # one external gluon: its Ward identity makes -g the physical sum
        raise SymtokError(f"{process}: no massless leg to serve as the gluons' reference vector")
    kr = symbol_for(f"s_{min(n, partner)}{max(n, partner)}")
    poly[tuple(sorted((("P", n, a), ("P", partner, b))))] = 1 / kr
    poly[tuple(sorted((("P", partner, a), ("P", n, b))))] = (
        poly.get(tuple(sorted((("P", partner, a), ("P", n, b)))), S.Zero) + 1 / kr
    )
    return poly


def interference(
    process: Process, d1: SymbolicDiagram, d2: SymbolicDiagram, masses: dict[int, Expr], gluons: GluonSum = "physical"
) -> Expr:
    """Sum over spins and polarisations (``gluons``: see :func:`polarisation_sum`) of M_d1 M_d2^*
    (without colour and denominators)."""
    prime = "'"
    squares = leg_squares(process, masses)
    physical = gluons == "physical" and any(p.name == "g" for p in process.legs)
    alg = _algebra(tuple(sorted(squares.items())), tuple(sorted(masses.items())), physical)
    by_row = {line.row: line for line in d1.lines}
    conj_by_col = {line.col: line for line in d2.lines}
    total: dict = {(): alg.one}
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
            factors.extend(_bar(conj.factors, prime))
            row = conj.row
        loop_sum: dict = {}
        converted = [_composite_slash(f, alg) for f in factors]
        for choice in itertools.product(*converted):
            coeff = alg.one
            args = []
            for c, k, a in choice:
                coeff = coeff * c
                if k != "1":
                    args.append((k, a))
            if not coeff:
                continue
            for key, value in _trace(tuple(args), alg):
                term = coeff * value
                loop_sum[key] = loop_sum[key] + term if key in loop_sum else term
        total = poly_mul(total, loop_sum, alg)
    for tensor in d1.tensors:
        total = poly_mul(total, _in_algebra(tensor, alg), alg)
    for tensor in d2.tensors:
        total = poly_mul(total, _in_algebra(_prime_poly(tensor, prime), alg), alg)
    for n, p in enumerate(process.legs, start=1):
        if p.is_vector:
            total = poly_mul(total, _in_algebra(polarisation_sum(process, n, prime, gluons), alg), alg)
    left = [k for k in total if k]
    if left:
        raise SymtokError(f"uncontracted Lorentz indices {left[0]}: the diagram structure is not closed")
    value = alg.to_expr(total[()]) if () in total else S.Zero
    return expand(value * d1.coefficient * d2.coefficient.conjugate())


def _composite_slash(factor: DiracFactor, alg: Algebra) -> list[tuple[object, str, object]]:
    """A Dirac factor in ``alg``, with a slashed sum of momenta (c_1 p_1 + c_2 p_2 + ...) kept as one
    trace argument: far fewer traces than one per momentum, the same sum."""
    momenta = [(a, int(c)) for c, k, a in factor if k == "p"]
    if len(momenta) < 2 or not all(c == int(c) for c, k, _ in factor if k == "p"):
        return [(alg.convert(c), k, a) for c, k, a in factor]
    rest = [(alg.convert(c), k, a) for c, k, a in factor if k != "p"]
    return [(alg.one, "p", ("Q", tuple(sorted(momenta)))), *rest]


@lru_cache(maxsize=64)
def _algebra(squares_items: tuple, masses_items: tuple, inverses: bool) -> Algebra:
    return Algebra(dict(squares_items), tuple(m for _, m in masses_items if m != 0), inverses)


# ------------------------------------------------------------------------------ |M|^2 total


@dataclass(frozen=True)
class SquaredAmplitude:
    """Spin/colour-summed, initial-averaged |M|^2: per diagram and for the process (with interference),
    with external gluons summed as ``gluons`` says (the total is physical with ``"physical"``, and with
    ``"feynman"`` only when at most one external gluon)."""

    process: str
    theory: str
    per_diagram: tuple[Expr, ...]
    total: Expr
    gluons: GluonSum = "physical"


def leg_masses(process: Process, massless: bool = False, theory: str = "qed") -> dict[int, Expr]:
    return {
        n: (S.Zero if massless or p.mass == 0 else mass_symbol(p, theory)) for n, p in enumerate(process.legs, start=1)
    }


def leg_squares(process: Process, masses: dict[int, Expr]) -> dict[int, Expr]:
    """p_i^2 of each leg: m_i^2 on shell, the symbol s_ii for an off-shell leg."""
    return {n: symbol_for(f"s_{n}{n}") if n in process.offshell else m**2 for n, m in masses.items()}


def diagram_terms_of(
    process: Process, diags: list, theory: str, masses: dict[int, Expr]
) -> tuple[list[SymbolicDiagram], list[int]]:
    """Symbolic terms of every diagram (2→2 table or n-leg trees) and the diagram each term belongs to."""
    sym: list[SymbolicDiagram] = []
    owner: list[int] = []
    for n, d in enumerate(diags):
        terms = (
            symbolic_terms(process, d, theory, masses, str(n))
            if isinstance(d, Diagram)
            else tree_terms(process, d, theory, masses, str(n))
        )
        sym.extend(terms)
        owner.extend([n] * len(terms))
    return sym, owner


def _prepared(
    process: Process | str, theory: str, massless: bool, gluons: GluonSum, enumeration: str
) -> tuple[Process, list, list[SymbolicDiagram], list[int], dict[int, Expr], Expr]:
    if gluons not in GLUON_SUMS:
        raise SymtokError(f"gluons must be one of {GLUON_SUMS}; got {gluons!r}")
    if isinstance(process, str):
        process = Process.parse(process)
    table = process.n_legs == 4 and enumeration == "auto"
    diags: list = diagrams(process, theory) if table else tree_diagrams(process, theory)
    if not diags:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    masses = leg_masses(process, massless, theory)
    sym, owner = diagram_terms_of(process, diags, theory, masses)
    average = Integer(4)
    if theory != "qed":
        for p in process.incoming:
            average *= p.colour_states
    return process, diags, sym, owner, masses, average


def _pair_term(
    process: Process, sym: list[SymbolicDiagram], a: int, b: int, masses: dict[int, Expr], gluons: GluonSum, average
) -> Expr | None:
    """Spin/colour-summed M_a M_b^* + (a != b: its conjugate), averaged, over its denominators."""
    colour = colour_sum(sym[a].colour, sym[b].colour)
    if colour == 0:
        return None
    value = interference(process, sym[a], sym[b], masses, gluons) * colour
    if a != b:  # M_a M_b^* + M_b M_a^* = 2 Re(C_ab K_ab); every symbol is real
        value = expand(value + value.conjugate())
    term = value / average
    for den in [*sym[a].denominators, *sym[b].denominators]:
        term = term * den**-1
    return term


def diagram_squares(
    process: Process | str, theory: str, *, massless: bool = False, gluons: GluonSum = "feynman"
) -> tuple[Expr, ...]:
    """Per-diagram |M_d|^2 only (as :attr:`SquaredAmplitude.per_diagram`), without computing the
    interference between diagrams: what SYMBA's per-diagram rows need, at a fraction of the cost."""
    process, diags, sym, owner, masses, average = _prepared(process, theory, massless, gluons, "auto")
    out = [S.Zero] * len(diags)
    for a, b in itertools.combinations_with_replacement(range(len(sym)), 2):
        if owner[a] != owner[b]:
            continue
        term = _pair_term(process, sym, a, b, masses, gluons, average)
        if term is not None:
            out[owner[a]] += term
    return tuple(out)


#: External gluons from which a 2→3 process total with physical polarisation sums is not computed
#: symbolically: g g > g g g's interference terms take longer than 15 minutes (its per-diagram squares
#: take about two; u u~ > g g g's total, with three gluons, a few minutes).
MAX_PHYSICAL_GLUONS_2TO3 = 3


def check_total_cost(process: Process, gluons: GluonSum) -> None:
    """SymtokError for a process total that would take too long (see MAX_PHYSICAL_GLUONS_2TO3)."""
    count = sum(p.name == "g" for p in process.legs)
    if process.n_legs > 4 and gluons == "physical" and count > MAX_PHYSICAL_GLUONS_2TO3:
        raise SymtokError(
            f"the symbolic |M|^2 total of {process} ({count} external gluons, physical polarisation sums) "
            "is not computed: it takes longer than 15 minutes; its per-diagram squares are, and "
            "`amplitudes me2` evaluates the total numerically"
        )


def squared_amplitude(
    process: Process | str,
    theory: str,
    *,
    massless: bool = False,
    gluons: GluonSum = "physical",
    enumeration: Literal["auto", "trees"] = "auto",
) -> SquaredAmplitude:
    """Symbolic |M|^2 (averaged over initial spins and colours) per diagram and for the whole process.

    ``gluons="physical"`` sums external gluons over their two physical polarisations (gauge
    invariant totals, the textbook results); ``"feynman"`` uses -g_{mu nu} as MARTY does for its
    per-diagram rows (docs/physics.md). ``enumeration="trees"`` builds a 2→2 process from the n-leg
    tree enumerator too (a cross-check of it). A total that would take too long is refused
    (:func:`check_total_cost`)."""
    check_total_cost(Process.parse(process) if isinstance(process, str) else process, gluons)
    process, diags, sym, owner, masses, average = _prepared(process, theory, massless, gluons, enumeration)
    terms: dict[tuple[int, int], Expr] = {}
    for a, b in itertools.combinations_with_replacement(range(len(sym)), 2):
        term = _pair_term(process, sym, a, b, masses, gluons, average)
        if term is not None:
            terms[(a, b)] = term
    per_diagram = tuple(
        sum((t for (a, b), t in terms.items() if owner[a] == n and owner[b] == n), S.Zero) for n in range(len(diags))
    )
    return SquaredAmplitude(str(process), theory, per_diagram, sum(terms.values(), S.Zero), gluons)
