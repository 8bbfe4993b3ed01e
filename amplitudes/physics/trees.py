"""Tree-level diagrams of n-leg processes by topology enumeration (used for 2→3; 2→2 keeps the
s/t/u table of amplitudes.physics.diagrams, which also has the four-gluon contact).

Legs are crossed to all-outgoing fields (an incoming particle is an outgoing antiparticle). Every
tree is rooted at the vertex where the last leg attaches: the other legs split into two subtrees
there, and each subtree is either one leg or a vertex joining two smaller subtrees, seen from its
parent as one line. A subtree over legs S presents the field Z to its parent when its top vertex
{Z_a, Z_b, anti(Z)} is a vertex of the theory (all fields outgoing). Each tree is found once: the
root split and every inner split are unordered (the subtree holding the smallest leg comes first).

The vertices are the theory's cubic ones (f f̄ γ, q q̄ g, g g g) and, in QCD, the four-gluon vertex:
a subtree (or the root) may also join three subtrees that each present a gluon.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

from amplitudes.physics.diagrams import Diagram, _is_vertex, diagrams, outgoing_fields, vertices
from amplitudes.physics.particles import PARTICLES
from amplitudes.physics.process import Process


@dataclass(frozen=True)
class Node:
    """A subtree: one external leg (no children) or a vertex joining two subtrees (three at a
    four-gluon vertex). ``legs`` are the
    0-based external legs below it; ``field`` is the all-outgoing field it presents to its parent
    (the leg's own field for a leaf; the propagating field's antiparticle for an inner line)."""

    legs: tuple[int, ...]
    field: str
    children: tuple[Node, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def leg(self) -> int:
        """The 0-based leg of a leaf."""
        return self.legs[0]

    def inner(self) -> list[Node]:
        """Every inner line (propagator) of this subtree, children first."""
        if self.is_leaf:
            return []
        return [*(n for c in self.children for n in c.inner()), self]

    def describe(self) -> str:
        """Legs joined by propagators: ``((1 2)→a 3)→u`` is a photon from legs 1, 2 meeting leg 3
        in a u-quark propagator (a fermion line is named by its particle)."""
        if self.is_leaf:
            return str(self.leg + 1)
        line = PARTICLES[self.field]
        name = line.antiparticle if line.is_antiparticle else line.name
        return "(" + " ".join(c.describe() for c in self.children) + f")→{name}"


@dataclass(frozen=True)
class TreeDiagram:
    """One tree: the subtrees (two, or three at a four-gluon vertex) that meet the last leg at the root."""

    n_legs: int
    root: tuple[Node, ...]

    def propagators(self) -> list[Node]:
        """Every inner line, in a fixed order (depth first, left to right)."""
        return [n for child in self.root for n in child.inner()]

    def __str__(self) -> str:
        return f"[{' '.join(c.describe() for c in self.root)} {self.n_legs}]"


def _internal_fields(theory: str) -> list[str]:
    return sorted({name for v in vertices(theory) for name, _ in v})


def _splits(legs: tuple[int, ...]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Unordered splits of ``legs`` into two non-empty parts, the part with the smallest leg first."""
    first, rest = legs[0], legs[1:]
    out = []
    for r in range(len(rest)):
        for extra in itertools.combinations(rest, r):
            a = (first, *extra)
            b = tuple(x for x in rest if x not in extra)
            out.append((a, b))
    return out


def _splits3(legs: tuple[int, ...]) -> list[tuple[tuple[int, ...], ...]]:
    """Unordered splits of ``legs`` into three non-empty parts, each part's smallest leg ordering them."""
    out = []
    for a, rest in _splits(legs):
        if len(rest) >= 2:
            out.extend((a, b, c) for b, c in _splits(rest))
    return out


def tree_diagrams(process: Process, theory: str) -> list[TreeDiagram]:
    """Every tree-level diagram of ``process`` in ``theory``: cubic vertices and, in QCD, the
    four-gluon vertex (so gauge-invariant sets for any number of gluons)."""
    return list(_trees(tuple(outgoing_fields(process)), theory))


def _quartic(theory: str) -> bool:
    """Whether the theory has the four-gluon vertex (it has the three-gluon one)."""
    return _is_vertex(["g", "g", "g"], theory)


@cache
def _trees(fields: tuple[str, ...], theory: str) -> tuple[TreeDiagram, ...]:
    n = len(fields)
    internal = _internal_fields(theory)

    @cache
    def subtrees(legs: tuple[int, ...]) -> tuple[Node, ...]:
        if len(legs) == 1:
            return (Node(legs, fields[legs[0]]),)
        out = []
        for a_legs, b_legs in _splits(legs):
            for a, b in itertools.product(subtrees(a_legs), subtrees(b_legs)):
                for z in internal:
                    if _is_vertex([a.field, b.field, PARTICLES[z].antiparticle], theory):
                        out.append(Node(legs, z, (a, b)))
        if quartic:
            for parts in _splits3(legs):
                for trio in itertools.product(*(subtrees(x) for x in parts)):
                    if all(t.field == "g" for t in trio):
                        out.append(Node(legs, "g", trio))
        return tuple(out)

    quartic = _quartic(theory)
    found = []
    rest = tuple(range(n - 1))
    for a_legs, b_legs in _splits(rest):
        for a, b in itertools.product(subtrees(a_legs), subtrees(b_legs)):
            if _is_vertex([a.field, b.field, fields[-1]], theory):
                found.append(TreeDiagram(n, (a, b)))
    if quartic and fields[-1] == "g":
        for parts in _splits3(rest):
            for trio in itertools.product(*(subtrees(x) for x in parts)):
                if all(t.field == "g" for t in trio):
                    found.append(TreeDiagram(n, trio))
    return tuple(found)


def process_diagrams(process: Process, theory: str) -> list[Diagram] | list[TreeDiagram]:
    """The diagrams of a process: the s/t/u table (with the four-gluon contact) for 2→2, trees beyond."""
    return diagrams(process, theory) if process.n_legs == 4 else tree_diagrams(process, theory)
