"""Particle table with MadGraph-style names; masses and charges from PDG data (``particle`` package)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from symtok.errors import SymtokError

#: MadGraph name of each particle and its PDG id; antiparticles get a ``~`` (quarks) or flipped sign.
_LEPTONS = {"e-": 11, "mu-": 13, "ta-": 15}
_QUARKS = {"d": 1, "u": 2, "s": 3, "c": 4, "b": 5, "t": 6}
#: Field names MARTY writes for each particle family in QED files: ``t`` is the tau, ``tt`` the top.
MARTY_FIELD = {11: "e", 13: "mu", 15: "t", 1: "d", 2: "u", 3: "s", 4: "c", 5: "b", 6: "tt", 22: "A", 21: "G"}
#: In QCD files (no tau) ``t`` is the coloured top quark.
MARTY_FIELD_QCD = {**{k: v for k, v in MARTY_FIELD.items() if k != 15}, 6: "t"}


def marty_field(pdg: int, theory: str = "qed") -> str:
    """The field name MARTY writes for the particle family ``abs(pdg)`` in a file of ``theory``:
    the one place where ``t`` means the tau (QED) or the top (QCD)."""
    table = MARTY_FIELD_QCD if theory == "qcd" else MARTY_FIELD
    if abs(pdg) not in table:
        raise SymtokError(f"no MARTY field name for PDG id {pdg} in {theory}")
    return table[abs(pdg)]


def particle_of_field(field: str, *, anti: bool, theory: str = "qed") -> str:
    """The particle name of a MARTY field name (``anti`` for AntiPart / v-spinors) in a file of ``theory``."""
    table = MARTY_FIELD_QCD if theory == "qcd" else MARTY_FIELD
    pdg = next((k for k, v in table.items() if v == field), None)
    if pdg is None:
        raise SymtokError(
            f"unknown field {field!r} in a {theory.upper()} row; known: {', '.join(sorted(table.values()))}"
        )
    base = next(p for p in PARTICLES.values() if p.pdg == pdg)
    return base.antiparticle if anti and base.is_fermion else base.name


@dataclass(frozen=True)
class Particle:
    """One particle species: charge in units of e, colour representation, spin, mass in GeV."""

    name: str
    pdg: int
    mass: float
    charge: Fraction
    colour: int  # 1 singlet, 3 triplet, -3 antitriplet, 8 octet
    spin: Fraction
    antiparticle: str

    @property
    def is_fermion(self) -> bool:
        return self.spin == Fraction(1, 2)

    @property
    def is_vector(self) -> bool:
        return self.spin == 1

    @property
    def is_antiparticle(self) -> bool:
        return self.pdg < 0

    @property
    def field(self) -> str:
        """MARTY's field name (e, mu, tt, u, ..., A, G)."""
        return MARTY_FIELD[abs(self.pdg)]

    @property
    def colour_states(self) -> int:
        return abs(self.colour)

    @property
    def spin_states(self) -> int:
        """Physical polarisation states: 2 for massive or massless spin-1/2 and massless spin-1."""
        return 2


def _pdg(pdgid: int) -> tuple[float, Fraction]:
    from particle import Particle as PDGParticle

    p = PDGParticle.from_pdgid(pdgid)
    mass = (p.mass or 0.0) / 1000.0
    return mass, Fraction(p.three_charge, 3)


@cache
def _table() -> dict[str, Particle]:
    table: dict[str, Particle] = {}
    for name, pdg in _LEPTONS.items():
        mass, charge = _pdg(pdg)
        anti = name[:-1] + "+"
        table[name] = Particle(name, pdg, mass, charge, 1, Fraction(1, 2), anti)
        table[anti] = Particle(anti, -pdg, mass, -charge, 1, Fraction(1, 2), name)
    for name, pdg in _QUARKS.items():
        mass, charge = _pdg(pdg)
        anti = name + "~"
        table[name] = Particle(name, pdg, mass, charge, 3, Fraction(1, 2), anti)
        table[anti] = Particle(anti, -pdg, mass, -charge, -3, Fraction(1, 2), name)
    table["a"] = Particle("a", 22, 0.0, Fraction(0), 1, Fraction(1), "a")
    table["g"] = Particle("g", 21, 0.0, Fraction(0), 8, Fraction(1), "g")
    return table


class _Table(dict):
    def __missing__(self, key: str) -> Particle:
        raise SymtokError(f"unknown particle {key!r}; known: {' '.join(_table())}")


PARTICLES: dict[str, Particle] = _Table(_table())


def particle(name: str) -> Particle:
    """The particle called ``name`` (MadGraph spelling: e- e+ mu- mu+ ta- ta+ u u~ ... a g)."""
    return PARTICLES[name]
