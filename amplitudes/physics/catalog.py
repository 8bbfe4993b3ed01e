"""The catalogue of processes: every process of a theory with its diagrams, and one process shown
in full (diagram amplitudes in MARTY form, per-diagram and total symbolic |M|^2)."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Rational

from amplitudes.physics.amplitude import IndexFactory, diagram_amplitudes
from amplitudes.physics.me2 import symbolic, symbolic_per_diagram
from amplitudes.physics.process import Process, symba_symmetry_factor
from amplitudes.physics.theory import enumerate_processes, infer_theory
from amplitudes.physics.trees import process_diagrams
from symtok.errors import SymtokError
from symtok.printer import to_string


@dataclass(frozen=True)
class ProcessSummary:
    """A process with its theory and diagram channels (and, when shown, amplitudes and |M|^2)."""

    process: str
    theory: str
    diagrams: list[str]
    amplitudes: list[str] | None = None
    squared_per_diagram: list[str] | None = None
    squared_total: str | None = None
    squared_total_note: str | None = None  # why the total is not shown (too costly to compute)


def list_processes(theory: str, n_out: int = 2) -> list[ProcessSummary]:
    """Every tree-level 2 → ``n_out`` process of ``theory`` with its diagrams."""
    return [
        ProcessSummary(str(p), theory, [str(d) for d in process_diagrams(p, theory)])
        for p in enumerate_processes(theory, n_out)
    ]


def show_process(text: str, theory: str = "auto") -> ProcessSummary:
    """Diagrams of one process (SymtokError if it has none)."""
    process = Process.parse(text)
    theory = infer_theory(process) if theory == "auto" else theory
    found = process_diagrams(process, theory)
    if not found:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    amps = [to_string(a) for a in diagram_amplitudes(process, theory, IndexFactory())]
    # per diagram as MARTY's rows (and `generate`) hold it: -g gluon sums, 1/2 for identical final
    # particles; the total is the physical |M|^2 (docs/physics.md)
    per_diagram = symbolic_per_diagram(str(process), theory)
    symmetry = Rational(*symba_symmetry_factor(process).as_integer_ratio())
    try:
        total, note = to_string(symbolic(str(process), theory, False).total), None
    except SymtokError as err:  # g g > g g g: the per-diagram rows are shown, the total is not
        total, note = None, str(err)
    return ProcessSummary(
        str(process),
        theory,
        [str(d) for d in found],
        amps,
        [to_string(symmetry * x) for x in per_diagram],
        total,
        note,
    )
