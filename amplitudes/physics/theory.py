"""The theories the generator knows (QED, QCD): their external particles, every tree-level 2→2
process of each, and which theory a process belongs to."""

from __future__ import annotations

import itertools

from amplitudes.physics.diagrams import couplings_used, diagrams
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
    if theory == "mixed":
        return [*theory_particles("qed"), "g"]
    raise SymtokError(f"unknown theory {theory!r}; expected one of {THEORIES}")


def enumerate_processes(theory: str) -> list[Process]:
    """Every 2→2 process of ``theory`` with at least one tree-level diagram (unordered pairs on each
    side). The mixed QED×QCD processes are those whose diagrams use both photon and gluon vertices
    (u u~ > a g, u g > u a, u u~ > d d~ with photon and gluon exchange, ...)."""
    names = theory_particles(theory)
    out = []
    pairs = list(itertools.combinations_with_replacement(names, 2))
    for left in pairs:
        for right in pairs:
            process = Process(tuple(map(particle, left)), tuple(map(particle, right)))  # type: ignore[arg-type]
            if not process.conserves() or not diagrams(process, theory):
                continue
            if theory == "mixed" and couplings_used(process, theory) != {"a", "g"}:
                continue
            out.append(process)
    return out


def infer_theory(process: Process) -> str:
    """mixed if a gluon and a lepton or photon take part, qcd if only a gluon does, qed if a lepton or
    photon does, else (quarks only) qcd."""
    names = {p.name for p in process.legs}
    electroweak = "a" in names or any(abs(p.pdg) in (11, 13, 15) for p in process.legs)
    if "g" in names:
        return "mixed" if electroweak else "qcd"
    if "a" in names or any(abs(p.pdg) in (11, 13, 15) for p in process.legs):
        return "qed"
    return "qcd"
