"""Check generated squared amplitudes against SYMBA rows: same process, same point, same number.

Each SYMBA row holds one diagram's |M|^2; it must equal one of our per-diagram results (or the
process total when there is one diagram) at random physical points. This is also how MARTY's
conventions (s_ij = p_i·p_j, p_1, p_2 incoming, averaging) were confirmed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sympy import lambdify

from amplitudes.physics.me2 import point_values, symbolic
from amplitudes.physics.particles import marty_field, particle, particle_of_field
from amplitudes.physics.phase_space import invariants, momenta
from amplitudes.physics.process import Process
from symtok.errors import SymtokError
from symtok.io import BadRow, Row, read_rows
from symtok.parse import parse


def process_of_interaction(text: str, theory: str = "qed") -> Process:
    """The Process of a SYMBA interaction field (legs in p_1..p_4 order); field names are read as in a
    file of ``theory`` (``t`` is the tau in QED files and the top in QCD files)."""
    left, _, right = text.partition(" to ")
    names = []
    for side in (left, right):
        for leg in re.split(r"\s{2,}", side.strip()):
            anti = leg.startswith("AntiPart")
            fld = leg.removeprefix("AntiPart").strip().split("_", 1)[0]
            names.append(particle_of_field(fld, anti=anti, theory=theory))
    if len(names) != 4:
        raise SymtokError(f"cannot read the process of {text!r}")
    return Process(tuple(map(particle, names[:2])), tuple(map(particle, names[2:])))  # type: ignore[arg-type]


@dataclass(frozen=True)
class RowCheck:
    """One row's outcome: ``match``, ``mismatch`` (no generated diagram equals it) or ``error`` (the
    row cannot be read or checked), with the process and the reason."""

    line: int
    status: str
    process: str | None = None
    reason: str | None = None


@dataclass
class SymbaCheck:
    """Counts of a check; rows == matched + len(mismatched) + len(errors), always."""

    rows: int = 0
    matched: int = 0
    mismatched: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rows > 0 and not self.mismatched and not self.errors


def check_row(row: Row, theory: str, points: int, rng: random.Random) -> RowCheck:
    """Compare one row's squared amplitude with each generated diagram's (times SYMBA's identical-
    particle factor) at ``points`` random phase-space points."""
    process = process_of_interaction(row.process or "", theory)
    theirs = parse(row.squared_amplitude or "")
    ours = symbolic(str(process), theory, False)
    # SYMBA's rows include the 1/2 for identical final-state particles; ours leave it to the
    # cross-section (docs/physics.md)
    symmetry = 0.5 if process.outgoing[0] == process.outgoing[1] else 1.0
    candidates = [symmetry * c for c in ours.per_diagram]
    for _ in range(points):
        masses = [p.mass for p in process.legs]
        threshold = max(masses[0] + masses[1], masses[2] + masses[3])
        inv = invariants(
            momenta(tuple(masses), threshold * rng.uniform(1.1, 3) + rng.uniform(1, 30), rng.uniform(-0.95, 0.95))
        )
        values = point_values(process, inv)
        values |= {f"m_{marty_field(p.pdg, theory)}": p.mass for p in process.legs}  # the file's mass names
        target = _evaluate(theirs, values)
        candidates = [c for c in candidates if abs(_evaluate(c, values) / target - 1) < 1e-9]
        if not candidates:
            return RowCheck(row.line, "mismatch", str(process), "no generated diagram matches")
    return RowCheck(row.line, "match", str(process))


def check_symba_rows(path: str, theory: str = "qed", points: int = 3, seed: int = 0) -> Iterator[RowCheck]:
    """Check every row of a SYMBA file; a row that cannot be read or checked yields an error with its
    reason and the run goes on."""
    rng = random.Random(seed)
    for row in read_rows(path, "symba"):
        if isinstance(row, BadRow):
            yield RowCheck(row.line, "error", None, row.reason)
            continue
        try:
            yield check_row(row, theory, points, rng)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:  # SymtokError, or anything unforeseen: this row's error, never fatal
            yield RowCheck(row.line, "error", row.process, f"{type(err).__name__}: {str(err).splitlines()[0]}")


def check_symba_file(path: str, theory: str = "qed", points: int = 3, seed: int = 0) -> SymbaCheck:
    """Counts of :func:`check_symba_rows` over a file."""
    report = SymbaCheck()
    for result in check_symba_rows(path, theory, points, seed):
        report.rows += 1
        if result.status == "match":
            report.matched += 1
        elif result.status == "mismatch":
            report.mismatched.append((result.line, result.process or ""))
        else:
            report.errors.append((result.line, result.reason or ""))
    return report


def _evaluate(expr, values: dict[str, float]) -> float:
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    return complex(lambdify(args, expr, "math")(*(values[a.name] for a in args))).real
