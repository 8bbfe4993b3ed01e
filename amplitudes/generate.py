"""SYMBA-format rows for generated processes: ``Interaction: ... : diagram : amplitude : squared amplitude``."""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from sympy import Expr, Rational

from amplitudes.physics.amplitude import IndexFactory, diagram_amplitudes
from amplitudes.physics.diagrams import Diagram
from amplitudes.physics.me2 import symbolic, symbolic_per_diagram
from amplitudes.physics.particles import PARTICLES, marty_field
from amplitudes.physics.process import Process, leg_roles, offshell_variants, orderings, symba_symmetry_factor
from amplitudes.physics.squared import check_total_cost
from amplitudes.physics.theory import enumerate_processes
from amplitudes.physics.trees import Node, TreeDiagram, process_diagrams
from symtok.errors import SymtokError
from symtok.files import atomic_path, progress_bar
from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LORENTZ
from symtok.printer import to_string

MODES = ("diagram", "process")


@dataclass(frozen=True)
class GeneratedRow:
    """One dataset row and where it came from."""

    process: str
    theory: str
    diagram: str
    interaction: str
    vertices: str
    amplitude: str
    squared_amplitude: str

    def symba_line(self) -> str:
        return f"Interaction:  {self.interaction} : {self.vertices} : {self.amplitude} : {self.squared_amplitude}"


def interaction_field(process: Process, theory: str, factory: IndexFactory) -> str:
    """MARTY's first field: incoming particles, 'to', outgoing, separated by two spaces."""
    roles = leg_roles(process)
    parts = []
    for n, p in enumerate(process.legs, start=1):
        spin = factory.name(LORENTZ if p.is_vector else DIRAC)
        if theory != "qed" and p.colour != 1:
            text = (
                f"{marty_field(p.pdg, theory)}_{{{factory.name(ADJOINT if p.colour == 8 else FUNDAMENTAL)},{spin}}}(X)"
            )
        else:
            text = f"{marty_field(p.pdg, theory)}_{spin}(X)"
        if n in process.offshell:
            text = "OffShell " + text
        if p.is_antiparticle:
            text = "AntiPart " + text
        if roles[n] == "col":
            text += "^(*)"
        parts.append(text)
        if n == 2:
            parts.append("to")
    return "  ".join(parts)


def vertices_field(process: Process, diagram: Diagram | TreeDiagram, theory: str = "qed") -> str:
    """MARTY's second field: the vertices and off-shell propagators of a diagram."""

    def leg(n: int) -> str:
        p = process.legs[n]
        offshell = " OffShell " if n + 1 in process.offshell else ""
        return offshell + ("AntiPart " if p.is_antiparticle else "") + f"{marty_field(p.pdg, theory)}(X_{n + 1})"

    if isinstance(diagram, TreeDiagram):
        return _tree_vertices(diagram, leg, theory)
    out = []
    for v, group in enumerate(diagram.groups):
        text = f"Vertex V_{v}:" + ", ".join(leg(n) for n in group) + ","
        if diagram.propagator is not None:
            x = diagram.propagator
            text += f"  OffShell {'AntiPart ' if x.is_antiparticle else ''}{marty_field(x.pdg, theory)}(V_{v}),"
        out.append(text)
    return " ".join(out)


def _tree_vertices(tree: TreeDiagram, leg, theory: str) -> str:
    """The vertices of an n-leg tree: each with its external legs and its propagators, a propagator
    named after the vertex it leaves (V_k is the k-th inner line, depth first)."""
    inner = tree.propagators()
    number = {node.legs: k for k, node in enumerate(inner)}

    def line(node: Node) -> str:
        if node.is_leaf:
            return leg(node.leg)
        x = PARTICLES[PARTICLES[node.field].antiparticle]
        return (
            f" OffShell {'AntiPart ' if x.is_antiparticle else ''}{marty_field(x.pdg, theory)}(V_{number[node.legs]})"
        )

    out = []
    for k, node in enumerate(inner):
        out.append(f"Vertex V_{k}:" + ",".join(line(c) for c in node.children) + "," + line(node) + ",")
    out.append(f"Vertex V_{len(inner)}:" + ",".join(line(c) for c in tree.root) + "," + leg(tree.n_legs - 1) + ",")
    return " ".join(out)


def process_rows(
    process: Process, theory: str, mode: str = "diagram", seed: int = 0, start: int = 1
) -> list[GeneratedRow]:
    """Rows of one process: one per diagram (|M_d|^2 as MARTY's rows hold it: external gluons summed
    with -g, and 1/2 for identical final-state particles) or one for the process (the physical |M|^2:
    the sum with interference, physical gluon polarisations, no identical-particle factor)."""
    return [row for row, _, _ in process_rows_with_expressions(process, theory, mode, seed, start)]


def process_rows_with_expressions(
    process: Process, theory: str, mode: str = "diagram", seed: int = 0, start: int = 1
) -> list[tuple[GeneratedRow, Expr, Expr]]:
    """:func:`process_rows` with each row's amplitude and squared amplitude as the expressions its
    text was printed from (what the corpus encodes without parsing the text again)."""
    if mode not in MODES:
        raise SymtokError(f"mode must be one of {MODES}")
    factory = IndexFactory(seed, start)
    diags = process_diagrams(process, theory)
    if not diags:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    interaction = interaction_field(process, theory, factory)
    amplitudes = diagram_amplitudes(process, theory, factory, marty=mode == "diagram")
    if mode == "process":
        total = symbolic(str(process), theory, False, "physical").total
        vertices = " ".join(vertices_field(process, d, theory) for d in diags)
        amplitude = sum(amplitudes)
        row = GeneratedRow(str(process), theory, "all", interaction, vertices, to_string(amplitude), to_string(total))
        return [(row, amplitude, total)]
    symmetry = Rational(*symba_symmetry_factor(process).as_integer_ratio())  # as MARTY's rows hold it
    out = []
    for d, a, sq in zip(diags, amplitudes, symbolic_per_diagram(str(process), theory), strict=True):
        squared = symmetry * sq
        row = GeneratedRow(
            str(process),
            theory,
            str(d),
            interaction,
            vertices_field(process, d, theory),
            to_string(a),
            to_string(squared),
        )
        out.append((row, a, squared))
    return out


def _task(args: tuple[str, str, str, int, int]) -> list[GeneratedRow]:
    process, theory, mode, seed, start = args
    return process_rows(Process.parse(process), theory, mode, seed, start)


@dataclass(frozen=True)
class GenerateReport:
    processes: int
    rows: int
    seconds: float
    output: str
    skipped: tuple[str, ...] = ()  # enumerated processes whose process total is refused (g g > g g g)


def affordable(chosen: list[Process], mode: str, *, given: bool) -> tuple[list[Process], list[str]]:
    """Process rows need each process's total: one too costly to compute (check_total_cost) is
    refused when the user asked for it (``given``) and left out, by name, of an enumeration."""
    if mode != "process":
        return chosen, []
    kept, skipped = [], []
    for p in chosen:
        try:
            check_total_cost(p, "physical")
        except SymtokError:
            if given:
                raise
            skipped.append(str(p))
            continue
        kept.append(p)
    return kept, skipped


def generate(
    theory: str,
    output: str | Path,
    *,
    processes: Iterable[str] | None = None,
    fmt: str = "symba",
    mode: str = "diagram",
    workers: int = 1,
    seed: int = 0,
    progress: bool = False,
    offshell: bool = False,
    n_out: tuple[int, ...] = (2,),
    all_orderings: bool = False,
) -> GenerateReport:
    """Write the dataset of ``theory`` (every 2 → ``n_out`` process, or those given) to ``output``,
    atomically; with ``all_orderings`` each process comes in every order of its incoming and of its
    outgoing particles (without repeats), and with ``offshell`` in every pattern of off-shell legs
    (16 for 2→2, 32 for 2→3).

    Deterministic for a seed, whatever the number of workers: each process gets its own index
    counter, seeded by (seed, position) and starting above the previous process's range.
    """
    if processes:
        chosen = [Process.parse(p) for p in processes]
    else:
        chosen = [p for n in n_out for p in enumerate_processes(theory, n)]
    if all_orderings:
        chosen = [variant for p in chosen for variant in orderings(p)]
    if offshell:
        chosen = [variant for p in chosen for variant in offshell_variants(p)]
    chosen, skipped = affordable(chosen, mode, given=bool(processes))
    tasks = [(str(p), theory, mode, seed * 100_003 + k, 1 + 1000 * k) for k, p in enumerate(chosen)]
    started = time.perf_counter()
    rows: list[GeneratedRow] = []
    if workers > 1:
        ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        with ctx.Pool(workers) as pool:
            results = pool.imap(_task, tasks)
            for chunk in progress_bar(results, total=len(tasks), enabled=progress, desc="generate", unit="process"):
                rows.extend(chunk)
    else:
        for chunk in progress_bar(
            map(_task, tasks), total=len(tasks), enabled=progress, desc="generate", unit="process"
        ):
            rows.extend(chunk)
    _write(rows, Path(output), fmt)
    return GenerateReport(len(chosen), len(rows), time.perf_counter() - started, str(output), tuple(skipped))


def _write(rows: list[GeneratedRow], output: Path, fmt: str) -> None:
    with atomic_path(output) as tmp:
        if fmt == "symba":
            tmp.write_text("".join(r.symba_line() + "\n" for r in rows), encoding="utf-8")
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist([asdict(r) for r in rows]), tmp)
        elif fmt == "jsonl":
            tmp.write_text("".join(json.dumps(asdict(r)) + "\n" for r in rows), encoding="utf-8")
        else:
            raise SymtokError(f"unknown format {fmt!r}; expected symba, parquet or jsonl")
