"""Tree-level 2→2 diagrams: s, t, u exchanges (and the four-gluon contact) allowed by the vertices.

Legs are crossed to all-outgoing fields (an incoming particle is an outgoing antiparticle); an
exchange in channel (ij|kl) with propagating field X exists when {f_i, f_j, X} and
{f_k, f_l, anti(X)} are vertices of the theory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from amplitudes.physics.particles import PARTICLES, Particle
from amplitudes.physics.process import QCD_QUARKS, QED_FERMIONS, Process

CHANNELS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "s": ((0, 1), (2, 3)),
    "t": ((0, 2), (1, 3)),
    "u": ((0, 3), (1, 2)),
}


@dataclass(frozen=True)
class Diagram:
    """One diagram: its channel, the legs (0-based) meeting at each vertex, and the propagator."""

    channel: str  # s, t, u or contact
    groups: tuple[tuple[int, ...], ...]
    propagator: Particle | None  # the field leaving the first vertex; None for the contact diagram

    def __str__(self) -> str:
        if self.propagator is None:
            return "contact (4-gluon vertex)"
        return f"{self.channel}-channel {self.propagator.name} exchange"


@cache
def vertices(theory: str) -> tuple[frozenset[tuple[str, int]], ...]:
    """The theory's vertices as multisets of all-outgoing field names."""
    out: list[Counter[str]] = []
    if theory in ("qed", "mixed"):
        for f in QED_FERMIONS:
            out.append(Counter([f, PARTICLES[f].antiparticle, "a"]))
    if theory in ("qcd", "mixed"):
        for q in QCD_QUARKS:
            out.append(Counter([q, q + "~", "g"]))
        out.append(Counter(["g", "g", "g"]))
    return tuple(frozenset(c.items()) for c in out)


def _is_vertex(fields: list[str], theory: str) -> bool:
    return frozenset(Counter(fields).items()) in vertices(theory)


def couplings_used(process: Process, theory: str) -> set[str]:
    """Which bosons' vertices the diagrams of ``process`` use: a subset of {"a", "g"}."""
    used: set[str] = set()
    for d in diagrams(process, theory):
        if d.propagator is None:
            used.add("g")
            continue
        if d.propagator.is_vector:
            used.add(d.propagator.name)
        used |= {p.name for p in process.legs if p.is_vector}
    return used


def outgoing_fields(process: Process) -> list[str]:
    """All-outgoing field of each leg: incoming legs become their antiparticles."""
    return [p.antiparticle for p in process.incoming] + [p.name for p in process.outgoing]


def diagrams(process: Process, theory: str) -> list[Diagram]:
    """Every tree-level diagram of ``process`` in ``theory`` (qed, qcd or mixed: both, with coloured,
    charged quarks). 2→2 only: n-leg trees are amplitudes.physics.trees."""
    process.require_2to2("the s/t/u diagram table")
    fields = outgoing_fields(process)
    internal = {name for v in vertices(theory) for name, _ in v}
    found = []
    for channel, ((i, j), (k, m)) in CHANNELS.items():
        for x in sorted(internal):
            anti = PARTICLES[x].antiparticle
            if _is_vertex([fields[i], fields[j], x], theory) and _is_vertex([fields[k], fields[m], anti], theory):
                found.append(Diagram(channel, ((i, j), (k, m)), PARTICLES[x]))
    if theory in ("qcd", "mixed") and fields == ["g"] * 4:
        found.append(Diagram("contact", ((0, 1, 2, 3),), None))
    return found
