"""2→2 processes: parsing ``"e+ e- > mu+ mu-"`` and enumerating every tree-level QED or QCD process."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from amplitudes.particles import PARTICLES, Particle, particle
from symtok.errors import SymtokError

THEORIES = ("qed", "qcd")
QED_FERMIONS = ("e-", "mu-", "ta-", "u", "d", "s", "c", "b", "t")
QCD_QUARKS = ("u", "d", "s", "c", "b", "t")


@dataclass(frozen=True)
class Process:
    """Two incoming and two outgoing particles; legs are numbered 1, 2 (in) and 3, 4 (out)."""

    incoming: tuple[Particle, Particle]
    outgoing: tuple[Particle, Particle]

    @classmethod
    def parse(cls, text: str) -> Process:
        """``"e+ e- > mu+ mu-"`` (MadGraph names, spaces between particles)."""
        if text.count(">") != 1:
            raise SymtokError(f"a process looks like 'e+ e- > mu+ mu-'; got {text!r}")
        left, right = (side.split() for side in text.split(">"))
        if len(left) != 2 or len(right) != 2:
            raise SymtokError(f"only 2 -> 2 processes are supported; got {text!r}")
        return cls(tuple(particle(n) for n in left), tuple(particle(n) for n in right))  # type: ignore[arg-type]

    @property
    def legs(self) -> tuple[Particle, Particle, Particle, Particle]:
        return (*self.incoming, *self.outgoing)

    def __str__(self) -> str:
        return " ".join(p.name for p in self.incoming) + " > " + " ".join(p.name for p in self.outgoing)

    def conserves(self) -> bool:
        """Charge and every fermion flavour number are conserved."""
        incoming, outgoing = self.incoming, self.outgoing
        if sum(p.charge for p in incoming) != sum(p.charge for p in outgoing):
            return False
        for flavour in {abs(p.pdg) for p in self.legs if p.is_fermion}:

            def number(ps: tuple[Particle, ...], f: int = flavour) -> int:
                return sum((1 if p.pdg == f else -1 if p.pdg == -f else 0) for p in ps)

            if number(incoming) != number(outgoing):
                return False
        return True


def theory_particles(theory: str) -> list[str]:
    """Names of the external particles of a theory."""
    if theory == "qed":
        fermions = [p for f in QED_FERMIONS for p in (f, PARTICLES[f].antiparticle)]
        return [*fermions, "a"]
    if theory == "qcd":
        return [*(p for q in QCD_QUARKS for p in (q, q + "~")), "g"]
    raise SymtokError(f"unknown theory {theory!r}; expected one of {THEORIES}")


def enumerate_processes(theory: str) -> list[Process]:
    """Every 2→2 process of ``theory`` with at least one tree-level diagram (unordered pairs on each side)."""
    from amplitudes.diagrams import diagrams

    names = theory_particles(theory)
    out = []
    pairs = list(itertools.combinations_with_replacement(names, 2))
    for left in pairs:
        for right in pairs:
            process = Process(tuple(map(particle, left)), tuple(map(particle, right)))  # type: ignore[arg-type]
            if process.conserves() and diagrams(process, theory):
                out.append(process)
    return out
