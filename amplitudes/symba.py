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
from functools import lru_cache

from sympy import lambdify

from amplitudes.physics.amplitude import IndexFactory, diagram_amplitudes
from amplitudes.physics.me2 import symbolic_per_diagram
from amplitudes.physics.particles import particle, particle_of_field
from amplitudes.physics.process import Process, symba_symmetry_factor
from amplitudes.physics.verify import SquaredCheck, random_point
from symtok import encode, normalize
from symtok.errors import SymtokError
from symtok.indices import LORENTZ, Index
from symtok.io import BadRow, Row, read_rows
from symtok.parse import parse


def interaction_legs(text: str) -> tuple[tuple[str, bool, bool], ...]:
    """The legs of a SYMBA interaction field in p_1..p_n order, each as (field name, AntiPart,
    OffShell); SymtokError if a leg has other words or there are not 2 incoming and 2+ outgoing legs.
    The one place the interaction field's words are read (predict, check-symba and the datasets)."""
    left, _, right = text.partition(" to ")
    legs: list[tuple[str, bool, bool]] = []
    for side in (left, right):
        for leg in re.split(r"\s{2,}", side.strip()):
            words = leg.split()
            if not words or set(words[:-1]) - {"AntiPart", "OffShell"}:
                raise SymtokError(f"cannot read the leg {leg!r} of {text!r}")
            legs.append((words[-1].split("_", 1)[0], "AntiPart" in words[:-1], "OffShell" in words[:-1]))
        if side is left and len(legs) != 2:
            raise SymtokError(f"cannot read the process of {text!r}: {len(legs)} incoming legs")
    if len(legs) < 4:
        raise SymtokError(f"cannot read the process of {text!r}")
    return tuple(legs)


def offshell_legs(text: str) -> tuple[int, ...]:
    """Numbers (1-based, p_i order) of the legs a SYMBA interaction field marks OffShell."""
    return tuple(n for n, (_, _, off) in enumerate(interaction_legs(text), start=1) if off)


def process_of_interaction(text: str, theory: str = "qed") -> Process:
    """The Process of a SYMBA interaction field (legs in p_1..p_n order); field names are read as in a
    file of ``theory`` (``t`` is the tau in QED files and the top in QCD files)."""
    read = interaction_legs(text)
    legs = tuple(particle(particle_of_field(fld, anti=anti, theory=theory)) for fld, anti, _ in read)
    offshell = frozenset(n for n, (_, _, off) in enumerate(read, start=1) if off)
    return Process((legs[0], legs[1]), legs[2:], offshell)


@dataclass(frozen=True)
class RowCheck:
    """One row's outcome: ``match``, ``mismatch`` (no generated diagram equals it) or ``error`` (the
    row cannot be read or checked), with the process and the reason."""

    line: int
    status: str
    process: str | None = None
    reason: str | None = None
    amplitude: str | None = None  # exact | sign | differs: the row's amplitude against the generated ones
    squares: bool | None = None  # the row's amplitude text, summed |A|^2, equals its squared amplitude (on shell)


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
    theirs = _Compiled(parse(row.squared_amplitude or ""))
    candidates = list(_candidates(str(process), theory))
    for _ in range(points):
        _, values = random_point(process, rng, theory)  # an off-shell leg: p_i^2 = s_ii != m_i^2
        target = theirs(values)
        candidates = [c for c in candidates if abs(c(values) / target - 1) < 1e-9]
        if not candidates:
            return RowCheck(row.line, "mismatch", str(process), "no generated diagram matches")
    return RowCheck(
        row.line,
        "match",
        str(process),
        amplitude=amplitude_agreement(row.amplitude, str(process), theory),
        squares=text_squares_to(row.amplitude or "", row.squared_amplitude or "", process.offshell),
    )


def text_squares_to(amplitude: str, squared: str, offshell: frozenset[int] | None = None) -> bool | None:
    """Whether the amplitude as written, |A|^2 summed over helicities and colours numerically
    (amplitudes.physics.verify.SquaredCheck: external vectors with -g, an OffShell leg with its spin
    sum pslash +- m at p^2 = s_ii) and averaged, times SYMBA's identical-particle factor, equals the
    squared amplitude; None when it cannot be evaluated (too large: g g > g g g has 2^25 external
    states; or no process can be read from its wave functions)."""
    try:
        check = SquaredCheck(parse(amplitude), offshell=offshell)
    except SymtokError:
        return None
    try:
        return check.accepts(parse(squared))
    except SymtokError:
        return False


@dataclass(frozen=True)
class PairCheck:
    """One row's verdict on its own two fields: ``pass`` (the amplitude text squares to the squared
    amplitude), ``fail``, ``uncheckable`` (too large, or no process in its wave functions) or
    ``error`` (the row cannot be read), with the reason."""

    line: int
    status: str
    reason: str | None = None


def verify_pair_rows(path: str, points: int = 2, seed: int = 0) -> Iterator[PairCheck]:
    """Check every row of a file with an amplitude and a squared amplitude against each other, with no
    generator and no model (SYMBA rows: OffShell legs from the interaction field; ``amp,sqamp``
    CSV: read from s_ii, see amplitudes.physics.verify); a row that cannot be read or checked gets
    its reason and the run goes on (in = out)."""
    for row in read_rows(path):
        if isinstance(row, BadRow):
            yield PairCheck(row.line, "error", row.reason)
            continue
        if row.squared_amplitude is None:
            yield PairCheck(row.line, "error", "the row has no squared amplitude")
            continue
        try:
            legs = offshell_legs(row.process) if row.process else None
            amplitude, squared = parse(row.amplitude), parse(row.squared_amplitude)
        except SymtokError as err:
            yield PairCheck(row.line, "error", str(err).splitlines()[0])
            continue
        try:
            check = SquaredCheck(amplitude, offshell=legs, points=points, seed=seed)
        except SymtokError as err:
            yield PairCheck(row.line, "uncheckable", str(err).splitlines()[0])
            continue
        try:
            ok = check.accepts(squared)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:  # anything the evaluator meets in one row is that row's, never fatal
            yield PairCheck(row.line, "error", f"{type(err).__name__}: {str(err).splitlines()[0]}")
            continue
        yield PairCheck(row.line, "pass" if ok else "fail")


def _placement_free(expr) -> tuple[str, ...]:
    """Canonical tokens with every Lorentz index lowered: a contracted pair's up/down placement is a
    convention (MARTY's rows have it either way), the rest of the expression is compared exactly."""
    lowered = expr.replace(
        lambda x: isinstance(x, Index) and x.kind == LORENTZ and x.up, lambda x: Index(x.name, x.kind, False)
    )
    return tuple(encode(normalize(lowered)))


@lru_cache(maxsize=256)
def _generated_forms(process: str, theory: str) -> tuple[tuple[str, ...], ...]:
    """Canonical tokens of each generated diagram amplitude in both of MARTY's factorings (a
    Fierz-expanded colour, or a reduced fermion line with any of its first three terms' coefficient 1), then all of
    them negated."""
    parsed = Process.parse(process)
    amplitudes = [
        a
        for first, unit in ((True, 0), (False, 1), (True, 2))
        for a in diagram_amplitudes(parsed, theory, IndexFactory(), fierz_cross_first=first, line_unit_term=unit)
    ]
    return tuple(_placement_free(a) for a in amplitudes) + tuple(_placement_free(-a) for a in amplitudes)


def amplitude_agreement(amplitude: str, process: str, theory: str) -> str:
    """``exact`` when the row's amplitude equals one generated diagram amplitude (canonical tokens, up
    to the placement of contracted Lorentz indices), ``sign`` when it equals one up to its overall
    sign, else ``differs`` (docs/physics.md: where MARTY's text still differs from ours)."""
    try:
        theirs = _placement_free(parse(amplitude))
    except SymtokError:
        return "differs"
    forms = _generated_forms(process, theory)
    half = len(forms) // 2
    if theirs in forms[:half]:
        return "exact"
    return "sign" if theirs in forms[half:] else "differs"


class _Compiled:
    """An expression compiled once (lambdify) and evaluated at points given as {symbol name: value}."""

    def __init__(self, expr) -> None:
        self.args = sorted(expr.free_symbols, key=lambda s: s.name)
        self.fn = lambdify(self.args, expr, "math")

    def __call__(self, values: dict[str, float]) -> float:
        return complex(self.fn(*(values[a.name] for a in self.args))).real


@lru_cache(maxsize=256)
def _candidates(process: str, theory: str) -> tuple[_Compiled, ...]:
    """Each generated diagram's |M_d|^2 as MARTY's rows hold it: -g gluon sums and SYMBA's identical-
    particle factor (ours leave it to the cross-section, docs/physics.md)."""
    ours = symbolic_per_diagram(process, theory)
    symmetry = float(symba_symmetry_factor(Process.parse(process)))
    return tuple(_Compiled(symmetry * c) for c in ours)


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
