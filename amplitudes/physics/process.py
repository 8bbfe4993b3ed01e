"""2→2 processes: parsing ``"e+ e- > mu+ mu-"``, conservation laws, the legs' roles and masses."""

from __future__ import annotations

from dataclasses import dataclass

from amplitudes.physics.particles import Particle, particle
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


def leg_roles(process: Process) -> dict[int, str]:
    """Role of each leg (1-based) on a Dirac line: "row" (a barred spinor: outgoing fermion or
    incoming antifermion), "col" (incoming fermion or outgoing antifermion) or "vector"."""
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


def process_masses(process: Process, massless: bool = False) -> list[float]:
    """Masses of the legs in GeV, in leg order (0 for all with ``massless``)."""
    return [0.0 if massless else p.mass for p in process.legs]
