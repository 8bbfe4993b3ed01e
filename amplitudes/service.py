"""Typed entry points for the CLI: listing processes, showing their diagrams, evaluating |M|^2."""

from __future__ import annotations

from dataclasses import dataclass

from amplitudes.diagrams import diagrams
from amplitudes.kinematics import invariants, momenta
from amplitudes.numeric import Couplings, infer_theory, me2_numeric_at, process_masses
from amplitudes.process import Process, enumerate_processes
from symtok.errors import SymtokError


@dataclass(frozen=True)
class ProcessSummary:
    """A process with its theory and diagram channels (and, when shown, amplitudes and |M|^2)."""

    process: str
    theory: str
    diagrams: list[str]
    amplitudes: list[str] | None = None
    squared_per_diagram: list[str] | None = None
    squared_total: str | None = None


def list_processes(theory: str) -> list[ProcessSummary]:
    """Every tree-level 2→2 process of ``theory`` with its diagrams."""
    return [ProcessSummary(str(p), theory, [str(d) for d in diagrams(p, theory)]) for p in enumerate_processes(theory)]


def show_process(text: str, theory: str = "auto") -> ProcessSummary:
    """Diagrams of one process (SymtokError if it has none)."""
    process = Process.parse(text)
    theory = infer_theory(process) if theory == "auto" else theory
    found = diagrams(process, theory)
    if not found:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    from amplitudes.construct import IndexFactory, diagram_amplitudes
    from amplitudes.me2 import symbolic
    from symtok.printer import to_string

    amps = [to_string(a) for a in diagram_amplitudes(process, theory, IndexFactory())]
    sq = symbolic(str(process), theory, False)
    return ProcessSummary(
        str(process), theory, [str(d) for d in found], amps, [to_string(x) for x in sq.per_diagram], to_string(sq.total)
    )


@dataclass(frozen=True)
class Me2Result:
    """|M|^2 at one point with the invariants it was evaluated at."""

    process: str
    theory: str
    sqrt_s: float
    cos_theta: float
    massless: bool
    me2: float
    me2_numeric: float
    rel_difference: float
    invariants: dict[str, float]


def evaluate_me2(
    text: str,
    sqrt_s: float,
    cos_theta: float,
    *,
    theory: str = "auto",
    e: float = 1.0,
    g: float = 1.0,
    massless: bool = False,
) -> Me2Result:
    """Spin/colour-summed, initial-averaged |M|^2 from the symbolic result, with the independent
    numeric evaluator's value and their relative difference."""
    process = Process.parse(text)
    theory = infer_theory(process) if theory == "auto" else theory
    if not process.conserves():
        raise SymtokError(f"{process} violates charge or flavour conservation")
    masses = process_masses(process, massless)
    p = momenta(tuple(masses), sqrt_s, cos_theta)  # type: ignore[arg-type]
    from amplitudes.me2 import me2

    numeric = me2_numeric_at(process, theory, p, masses, Couplings(e, g))
    value = me2(process, sqrt_s, cos_theta, theory=theory, e=e, g=g, massless=massless)
    rel = abs(value - numeric) / max(abs(numeric), 1e-300)
    inv = {k: v for k, v in invariants(p).items() if k in ("s", "t", "u") or (k[2] <= k[3])}
    return Me2Result(str(process), theory, sqrt_s, cos_theta, massless, value, numeric, rel, inv)
