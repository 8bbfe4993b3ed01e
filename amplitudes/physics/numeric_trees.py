"""Independent numeric |M|^2 of n-leg tree diagrams (2→3): explicit spinors, polarisation vectors,
Dirac and colour matrices, evaluated as off-shell currents along each tree (no traces, no symbolic
algebra), summed over every external helicity and colour.

All external configurations (helicity or polarisation state and colour of every leg) form one
batch axis B, so each current is an array (B, colour, 4): a Dirac row spinor (ubar-like), a Dirac
column spinor (u-like) or a Lorentz vector with an upper index. Feynman rules are those of
amplitudes.physics.numeric (Peskin & Schroeder). External vector bosons are summed either over
their two transverse polarisations (``"physical"``: right for gauge-invariant sums) or over the
four unit vectors with weights -g_{λλ} (``"feynman"``: sum eps eps* = -g, as MARTY's per-diagram
rows and the symbolic traces do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from amplitudes.physics.numeric import (
    GAMMA,
    METRIC_DIAG,
    Couplings,
    bar,
    colour_matrices,
    polarisations,
    slash,
    spinors_u,
    spinors_v,
    three_gluon_vertex,
)
from amplitudes.physics.particles import Particle
from amplitudes.physics.phase_space import dot
from amplitudes.physics.process import Process
from amplitudes.physics.trees import Node, TreeDiagram, tree_diagrams
from symtok.errors import SymtokError

Polarisations = Literal["physical", "feynman"]
_FEYNMAN_WEIGHTS = np.array([-1.0, 1.0, 1.0, 1.0])  # sum_l w_l e_l^mu e_l^nu = -g^{mu nu}


@dataclass
class _Current:
    """An off-shell current of a subtree: kind "row" / "col" (Dirac spinors) or "vector".

    ``value`` has axes (B, one colour axis per coloured external leg in ``legs``, the open colour
    of the line, 4): helicities are a joint batch, external colours stay explicit tensor axes."""

    kind: str
    value: np.ndarray
    legs: tuple[int, ...]  # coloured external legs whose colour axes the value carries, in order
    end: int = -1  # the external fermion leg this line started from
    flavour: Particle | None = None
    pairs: list[tuple[int, int]] = field(default_factory=list)  # completed (row leg, col leg) lines
    boson: str = ""  # "a" or "g" for a vector current


def _colour_dim(p: Particle, theory: str) -> int:
    if theory == "qed" or p.colour == 1:  # QED's quarks are colourless (SYMBA's QED set)
        return 1
    return 8 if p.colour == 8 else 3


def _waves(
    p: Particle, incoming: bool, k: np.ndarray, mass: float, pols: Polarisations
) -> tuple[np.ndarray, np.ndarray]:
    """Wave functions (states, 4) and weights of one leg: u / ubar / vbar / v or eps (eps* outgoing)."""
    if p.is_vector:
        if pols == "feynman":
            return np.eye(4, dtype=complex), _FEYNMAN_WEIGHTS
        eps = polarisations(k)
        return (eps if incoming else eps.conj()), np.ones(2)
    if not p.is_antiparticle:
        return (spinors_u(k, mass) if incoming else bar(spinors_u(k, mass))), np.ones(2)
    return (bar(spinors_v(k, mass)) if incoming else spinors_v(k, mass)), np.ones(2)


def _lower(v: np.ndarray) -> np.ndarray:
    return v * METRIC_DIAG


def _fermion_coupling(flavour: Particle, boson: str, c: Couplings, dim: int) -> tuple[complex, np.ndarray]:
    """(coupling, colour matrices (A, i, j)) of a fermion-boson vertex: -i e Q delta_ij or i g T^a_ij."""
    if boson == "g":
        t, _ = colour_matrices()
        return 1j * c.g, t
    charge = float(flavour.charge if not flavour.is_antiparticle else -flavour.charge)
    return -1j * c.e * charge, np.eye(dim, dtype=complex)[None]


_LEG_LETTERS = "ABCDEFGH"


def _axes(*currents: _Current) -> str:
    return "".join(_LEG_LETTERS[x] for c in currents for x in c.legs)


def _einsum(spec: str, *operands: np.ndarray) -> np.ndarray:
    return np.einsum(spec, *operands, optimize=True)


class TreeEvaluator:
    """Per-diagram amplitudes of one process at one phase-space point, batched over helicities."""

    def __init__(
        self,
        process: Process,
        theory: str,
        p: np.ndarray,
        masses: list[float],
        couplings: Couplings | None = None,
        pols: Polarisations = "physical",
        ward_leg: int | None = None,
    ) -> None:
        """``ward_leg`` (0-based, a vector boson) replaces that leg's polarisation by its momentum:
        the sum over diagrams must then vanish (the Ward identity)."""
        if pols not in ("physical", "feynman"):
            raise SymtokError(f"polarisations must be 'physical' or 'feynman'; got {pols!r}")
        self.process, self.theory, self.masses = process, theory, masses
        self.c = couplings or Couplings()
        n = len(process.legs)
        self.k = [p[i] if i < 2 else -p[i] for i in range(n)]  # momentum flowing into the diagram
        waves = [_waves(part, i < 2, p[i], masses[i], pols) for i, part in enumerate(process.legs)]
        if ward_leg is not None:
            if not process.legs[ward_leg].is_vector:
                raise SymtokError(f"leg {ward_leg + 1} of {process} is not a vector boson")
            waves[ward_leg] = (p[ward_leg][None].astype(complex), np.ones(1))
        states = np.unravel_index(np.arange(int(np.prod([len(w) for w, _ in waves]))), [len(w) for w, _ in waves])
        self.weights = np.ones(len(states[0]))
        for (_, wt), st in zip(waves, states, strict=True):
            self.weights = self.weights * wt[st]
        self.dims = [_colour_dim(part, theory) for part in process.legs]
        self.leaves = [self._leaf(i, w[states[i]]) for i, (w, _) in enumerate(waves)]

    def _leaf(self, i: int, wave: np.ndarray) -> _Current:
        part = self.process.legs[i]
        dim = self.dims[i]
        if dim > 1:  # its own colour axis and the open colour are one index: a delta
            value, legs = np.einsum("cd,bx->bcdx", np.eye(dim), wave), (i,)
        else:
            value, legs = wave[:, None, :], ()
        if part.is_vector:
            return _Current("vector", value, legs, boson=part.name)
        incoming = i < 2
        row = part.is_antiparticle == incoming  # ubar (outgoing fermion) or vbar (incoming antifermion)
        return _Current("row" if row else "col", value, legs, i, part)

    def _flow(self, legs: tuple[int, ...]) -> np.ndarray:
        return sum((self.k[x] for x in legs), np.zeros(4))

    def _fermion_mass(self, flavour: Particle) -> float:
        legs = self.process.legs
        return next(self.masses[n] for n, q in enumerate(legs) if abs(q.pdg) == abs(flavour.pdg))

    def _boson_line(self, j: np.ndarray, legs: tuple[int, ...]) -> np.ndarray:
        q = self._flow(legs)
        return (-1j / dot(q, q)) * j

    def _fermion_boson(self, f: _Current, v: _Current) -> np.ndarray:
        """A fermion current absorbing a boson current, before the propagator: axes (B, f legs, v legs, i, x)."""
        coupling, colour = _fermion_coupling(f.flavour, v.boson, self.c, f.value.shape[-2])  # type: ignore[arg-type]
        fl, vl = _axes(f), _axes(v)
        if f.kind == "col":  # T^a_ij vslash psi_j
            inner = _einsum(f"b{vl}am,mxz,b{fl}jz->b{fl}{vl}ajx", _lower(v.value), GAMMA, f.value)
            return coupling * _einsum(f"aij,b{fl}{vl}ajx->b{fl}{vl}ix", colour, inner)
        inner = _einsum(f"b{fl}ix,b{vl}am,mxz->b{fl}{vl}aiz", f.value, _lower(v.value), GAMMA)
        return coupling * _einsum(f"b{fl}{vl}aiz,aij->b{fl}{vl}jz", inner, colour)

    def _node(self, node: Node) -> _Current:
        if node.is_leaf:
            return self.leaves[node.leg]
        if len(node.children) == 3:  # a four-gluon vertex
            a, b, c = (self._node(child) for child in node.children)
            current = self._four_gluon(a, b, c)
            return _Current(
                "vector",
                self._boson_line(current, node.legs),
                a.legs + b.legs + c.legs,
                pairs=a.pairs + b.pairs + c.pairs,
                boson="g",
            )
        a, b = (self._node(child) for child in node.children)
        pairs = a.pairs + b.pairs
        q = self._flow(node.legs)
        if a.kind == "vector" and b.kind == "vector":
            current = self._three_gluon(a, b, node.children[0].legs, node.children[1].legs, -q)
            return _Current("vector", self._boson_line(current, node.legs), a.legs + b.legs, pairs=pairs, boson="g")
        if a.kind != "vector" and b.kind != "vector":
            row, col = (a, b) if a.kind == "row" else (b, a)
            boson = "g" if node.field == "g" else "a"  # the field the subtree presents: a boson is its own antiparticle
            coupling, colour = _fermion_coupling(row.flavour, boson, self.c, row.value.shape[-2])  # type: ignore[arg-type]
            rl, cl = _axes(row), _axes(col)
            spin = _einsum(f"b{rl}ix,mxy,b{cl}jy->b{rl}{cl}ijm", row.value, GAMMA, col.value)
            current = coupling * _einsum(f"b{rl}{cl}ijm,aij->b{rl}{cl}am", spin, colour)
            line = self._boson_line(current, node.legs)
            return _Current("vector", line, row.legs + col.legs, pairs=[*pairs, (row.end, col.end)], boson=boson)
        f, v = (a, b) if a.kind != "vector" else (b, a)
        mixed = self._fermion_boson(f, v)
        m = self._fermion_mass(f.flavour)  # type: ignore[arg-type]
        along = q if f.kind == "col" else -q  # momentum along the fermion arrow
        prop = 1j * (slash(along) + m * np.eye(4)) / (dot(along, along) - m * m)
        value = mixed @ prop.T if f.kind == "col" else mixed @ prop
        return _Current(f.kind, value, f.legs + v.legs, f.end, f.flavour, pairs)

    def _three_gluon(
        self, a: _Current, b: _Current, la: tuple[int, ...], lb: tuple[int, ...], kc: np.ndarray
    ) -> np.ndarray:
        """g f^abc V^{mu nu rho}(k_a, k_b, k_c) J_a,mu J_b,nu: the current on the third line."""
        _, f = colour_matrices()
        vertex = three_gluon_vertex(self._flow(la), self._flow(lb), kc)
        al, bl = _axes(a), _axes(b)
        # pairwise, so no intermediate holds both lines' colours beside e: (f J_a) (V J_b)
        fa = _einsum(f"ace,b{al}am->b{al}cem", f, _lower(a.value))
        vb = _einsum(f"mnr,b{bl}cn->b{bl}cmr", vertex, _lower(b.value))
        return self.c.g * _einsum(f"b{al}cem,b{bl}cmr->b{al}{bl}er", fa, vb)

    def _four_gluon(self, a: _Current, b: _Current, c: _Current) -> np.ndarray:
        """-i g^2 [f^{abx} f^{cex} (g^{ac'} g^{be'} - ...) + two more] J_a J_b J_c (Peskin & Schroeder's
        four-gluon vertex, lines (a, mu), (b, nu), (c, rho), (e, sigma)): the current on the fourth line."""
        _, f = colour_matrices()
        al, bl, cl = _axes(a), _axes(b), _axes(c)
        out = f"b{al}{bl}{cl}er"
        ja, jb, jc = a.value, b.value, c.value
        la, lb = _lower(ja), _lower(jb)
        ac_b = (f"b{al}am,b{cl}dm,b{bl}cr", la, jc, jb)  # (J_a.J_c) J_b^sigma
        bc_a = (f"b{bl}cm,b{cl}dm,b{al}ar", lb, jc, ja)  # (J_b.J_c) J_a^sigma
        ab_c = (f"b{al}am,b{bl}cm,b{cl}dr", la, jb, jc)  # (J_a.J_b) J_c^sigma
        total = 0
        for colour, plus, minus in (("acx,dex", ac_b, bc_a), ("adx,cex", ab_c, bc_a), ("aex,cdx", ab_c, ac_b)):
            for sign, (spec, *ops) in ((1, plus), (-1, minus)):
                total = total + sign * _einsum(f"{colour},{spec}->{out}", f, f, *ops)
        return -1j * self.c.g**2 * total

    def amplitude(self, tree: TreeDiagram) -> np.ndarray:
        """The diagram's amplitude: axes (B, the colour of each coloured leg in leg order)."""
        last = self.leaves[-1]
        order = "".join(_LEG_LETTERS[x] for x in range(len(self.dims)) if self.dims[x] > 1)
        if len(tree.root) == 3:  # the last leg meets three gluon lines at a four-gluon vertex
            a, b, c = (self._node(child) for child in tree.root)
            current = self._four_gluon(a, b, c)
            value = _einsum(f"b{_axes(a, b, c)}er,b{_axes(last)}er->b{order}", current, _lower(last.value))
            # the three lines are gluons, but a subtree may hold fermion lines: keep their sign
            pairs = sorted(a.pairs + b.pairs + c.pairs)
            return _pairing_sign(pairs) * value
        a, b = (self._node(child) for child in tree.root)
        pairs = a.pairs + b.pairs
        currents = [a, b, last]
        if all(x.kind == "vector" for x in currents):
            # the current of the first two lines, then the last leg: never a tensor of all three colours
            current = self._three_gluon(a, b, tree.root[0].legs, tree.root[1].legs, self.k[-1])
            value = _einsum(f"b{_axes(a, b)}er,b{_axes(last)}er->b{order}", current, _lower(last.value))
        else:
            vec = next(x for x in currents if x.kind == "vector")
            row = next(x for x in currents if x.kind == "row")
            col = next(x for x in currents if x.kind == "col")
            coupling, colour = _fermion_coupling(row.flavour, vec.boson, self.c, row.value.shape[-2])  # type: ignore[arg-type]
            rl, cl, vl = _axes(row), _axes(col), _axes(vec)
            spin = _einsum(f"b{rl}ix,mxy,b{cl}jy->b{rl}{cl}ijm", row.value, GAMMA, col.value)
            value = coupling * _einsum(f"b{rl}{cl}ijm,aij,b{vl}am->b{order}", spin, colour, _lower(vec.value))
            pairs = [*pairs, (row.end, col.end)]
        return _pairing_sign(sorted(pairs)) * value

    def me2(self, trees: list[TreeDiagram]) -> tuple[list[float], float]:
        """(per-diagram |M_d|^2, total |M|^2), summed over helicities and colours, initial-state averaged."""
        amps = [self.amplitude(t) for t in trees]
        average = 1.0
        for p in self.process.incoming:
            average *= p.spin_states * _colour_dim(p, self.theory)

        def summed(a: np.ndarray) -> float:
            return float(np.sum(self.weights * np.sum(np.abs(a.reshape(len(a), -1)) ** 2, axis=1)))

        per = [summed(a) / average for a in amps]
        return per, summed(sum(amps)) / average


def _pairing_sign(pairs: list[tuple[int, int]]) -> int:
    """Sign of the fermion pairing: the parity of the col legs taken in row order."""
    cols = [c for _, c in pairs]
    sign = 1
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            if cols[i] > cols[j]:
                sign = -sign
    return sign


def me2_trees_at(
    process: Process,
    theory: str,
    p: np.ndarray,
    masses: list[float],
    couplings: Couplings | None = None,
    pols: Polarisations = "physical",
) -> tuple[list[float], float]:
    """Per-diagram and total spin/colour-summed, initial-averaged |M|^2 of an n-leg process at p (n, 4)."""
    trees = tree_diagrams(process, theory)
    if not trees:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    return TreeEvaluator(process, theory, p, masses, couplings, pols).me2(trees)
