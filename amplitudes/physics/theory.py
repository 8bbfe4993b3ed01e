"""The theories the generator knows (QED, QCD): their external particles, every tree-level 2→2
process of each, and which theory a process belongs to."""

from __future__ import annotations

import itertools

from amplitudes.physics.diagrams import diagrams
from amplitudes.physics.particles import PARTICLES, particle
from amplitudes.physics.process import QCD_QUARKS, QED_FERMIONS, THEORIES, Process
from symtok.errors import SymtokError


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
    names = theory_particles(theory)
    out = []
    pairs = list(itertools.combinations_with_replacement(names, 2))
    for left in pairs:
        for right in pairs:
            process = Process(tuple(map(particle, left)), tuple(map(particle, right)))  # type: ignore[arg-type]
            if process.conserves() and diagrams(process, theory):
                out.append(process)
    return out


def infer_theory(process: Process) -> str:
    """qed if a lepton or photon takes part, qcd if a gluon does, else (quarks only) qcd."""
    names = {p.name for p in process.legs}
    if "g" in names:
        return "qcd"
    if "a" in names or any(abs(p.pdg) in (11, 13, 15) for p in process.legs):
        return "qed"
    return "qcd"
