"""The theories the generator knows (QED, QCD, mixed): their external particles, every tree-level
2→2 and 2→3 process of each, and which theory a process belongs to."""

from __future__ import annotations

import itertools

from amplitudes.physics.diagrams import couplings_used
from amplitudes.physics.particles import PARTICLES, particle
from amplitudes.physics.process import QCD_QUARKS, QED_FERMIONS, THEORIES, Process
from amplitudes.physics.trees import process_diagrams, tree_diagrams
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


def enumerate_processes(theory: str, n_out: int = 2) -> list[Process]:
    """Every 2 → ``n_out`` process of ``theory`` (2 or 3) with at least one tree-level diagram
    (unordered particles on each side). The mixed QED×QCD processes are those whose diagrams use
    both photon and gluon vertices (u u~ > a g, u g > u a, e+ e- > u u~ g, ...)."""
    if n_out not in (2, 3):
        raise SymtokError(f"processes are 2 -> 2 or 2 -> 3; got 2 -> {n_out}")
    names = theory_particles(theory)
    out = []
    for left in itertools.combinations_with_replacement(names, 2):
        for right in itertools.combinations_with_replacement(names, n_out):
            process = Process(tuple(map(particle, left)), tuple(map(particle, right)))  # type: ignore[arg-type]
            if not process.conserves() or not process_diagrams(process, theory):
                continue
            if theory == "mixed" and _couplings(process, theory) != {"a", "g"}:
                continue
            out.append(process)
    return out


def _couplings(process: Process, theory: str) -> set[str]:
    """Which bosons' vertices the diagrams of ``process`` use: a subset of {"a", "g"}."""
    if process.n_legs == 4:
        return couplings_used(process, theory)
    used = {p.name for p in process.legs if p.is_vector}
    for tree in tree_diagrams(process, theory):
        used |= {"g" if n.field == "g" else "a" for n in tree.propagators() if PARTICLES[n.field].is_vector}
    return used


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
