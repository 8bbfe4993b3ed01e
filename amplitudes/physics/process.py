"""2→2 and 2→3 processes: parsing ``"e+ e- > mu+ mu-"``, conservation laws, the legs' roles and masses.

A leg written with a trailing ``*`` (``"e- e+ > a a*"``) is off shell, as MARTY's ``OffShell``
fields are: its p_i^2 stays the symbol s_ii wherever it appears (propagators, traces) instead of
becoming m_i^2. Spin sums and polarisation sums are the on-shell ones (docs/physics.md).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from amplitudes.physics.particles import Particle, particle
from symtok.errors import SymtokError

THEORIES = ("qed", "qcd", "mixed")
QED_FERMIONS = ("e-", "mu-", "ta-", "u", "d", "s", "c", "b", "t")
QCD_QUARKS = ("u", "d", "s", "c", "b", "t")
#: Most final-state particles a process may have (2 → 3 at tree level).
MAX_OUTGOING = 3


@dataclass(frozen=True)
class Process:
    """Two incoming and two or three outgoing particles; legs are numbered 1, 2 (in) and 3, 4[, 5]
    (out). ``offshell`` holds the numbers of the off-shell legs (p_i^2 = s_ii)."""

    incoming: tuple[Particle, Particle]
    outgoing: tuple[Particle, ...]
    offshell: frozenset[int] = field(default=frozenset())

    def __post_init__(self) -> None:
        if len(self.incoming) != 2 or not 2 <= len(self.outgoing) <= MAX_OUTGOING:
            raise SymtokError(
                f"only 2 -> 2 and 2 -> {MAX_OUTGOING} processes are supported; got "
                f"{len(self.incoming)} -> {len(self.outgoing)}"
            )
        n = len(self.incoming) + len(self.outgoing)
        if not self.offshell <= set(range(1, n + 1)):
            raise SymtokError(f"off-shell legs must be numbered 1..{n}; got {sorted(self.offshell)}")

    @classmethod
    def parse(cls, text: str) -> Process:
        """``"e+ e- > mu+ mu-"`` (MadGraph names, spaces between particles; ``mu-*`` is an off-shell leg)."""
        if text.count(">") != 1:
            raise SymtokError(f"a process looks like 'e+ e- > mu+ mu-'; got {text!r}")
        left, right = (side.split() for side in text.split(">"))
        if len(left) != 2 or not 2 <= len(right) <= MAX_OUTGOING:
            raise SymtokError(f"only 2 -> 2 and 2 -> {MAX_OUTGOING} processes are supported; got {text!r}")
        names = [*left, *right]
        offshell = frozenset(n for n, name in enumerate(names, start=1) if name.endswith("*") and len(name) > 1)
        legs = [particle(name[:-1] if n in offshell else name) for n, name in enumerate(names, start=1)]
        return cls((legs[0], legs[1]), tuple(legs[2:]), offshell)

    @property
    def legs(self) -> tuple[Particle, ...]:
        return (*self.incoming, *self.outgoing)

    @property
    def n_legs(self) -> int:
        return len(self.incoming) + len(self.outgoing)

    def require_2to2(self, what: str) -> None:
        """SymtokError unless this is a 2→2 process (``what`` names the 2→2-only operation)."""
        if self.n_legs != 4:
            raise SymtokError(f"{what} is 2 -> 2 only; {self} is 2 -> {len(self.outgoing)}")

    @property
    def on_shell(self) -> Process:
        """The same process with every leg on shell."""
        return Process(self.incoming, self.outgoing)

    def leg_name(self, n: int) -> str:
        """Leg ``n``'s particle name, with ``*`` when it is off shell."""
        return self.legs[n - 1].name + ("*" if n in self.offshell else "")

    def __str__(self) -> str:
        out = " ".join(self.leg_name(n) for n in range(3, self.n_legs + 1))
        return f"{self.leg_name(1)} {self.leg_name(2)} > {out}"

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


def orderings(process: Process) -> list[Process]:
    """``process`` with its incoming legs and its outgoing legs in each order, without repeats."""
    out: list[Process] = []
    outgoing = itertools.permutations(range(2, process.n_legs))
    for a, b in itertools.product(((0, 1), (1, 0)), outgoing):
        order = (*a, *b)
        legs = [process.legs[i] for i in order]
        offshell = frozenset(n + 1 for n, i in enumerate(order) if i + 1 in process.offshell)
        variant = Process((legs[0], legs[1]), tuple(legs[2:]), offshell)
        if variant not in out:
            out.append(variant)
    return out


def offshell_variants(process: Process) -> list[Process]:
    """The process with every subset of its legs off shell (the on-shell one first; 16 for 2→2,
    32 for 2→3), as MARTY's OffShell rows come."""
    legs = range(1, len(process.legs) + 1)
    subsets = [frozenset(c) for r in range(len(legs) + 1) for c in itertools.combinations(legs, r)]
    return [Process(process.incoming, process.outgoing, subset) for subset in subsets]


def symba_symmetry_factor(process: Process) -> Fraction:
    """The factor MARTY's per-diagram rows include and our |M|^2 leaves to the cross-section:
    1/k! for each set of k identical final-state particles (off shell or not), else 1 (docs/physics.md)."""
    factor = Fraction(1)
    for count in Counter(process.outgoing).values():
        factor /= math.factorial(count)
    return factor


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
