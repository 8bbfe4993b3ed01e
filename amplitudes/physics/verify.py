"""Check a squared amplitude against the amplitude it should be the square of, with no training data
and no generator: the amplitude text's own |A|^2 summed over helicities and colours
(:mod:`amplitudes.physics.text_numeric`), averaged over the initial states and times SYMBA's
identical-particle factor, at random phase-space points. This is SYMBA's relation between a row's
two fields (checked on every raw 2025 training row, on- and off-shell: benchmarks/verify_rows.py),
so a predicted squared amplitude that passes it is right whatever form it is written in.

The process is read from the amplitude itself: p_1, p_2 incoming, a u (or barred v) spinor an
incoming particle (antiparticle), a barred u (or v) an outgoing particle (antiparticle), a
polarisation vector a photon or gluon. Whether a leg is OffShell (p_i^2 = s_ii) the text shows only
where s_ii occurs, so unless the legs are given, a leg counts as off shell when s_ii occurs in the
amplitude or in the squared amplitude being checked: each candidate is checked under the
legs it implies.

    check = SquaredCheck(parse(amplitude))
    check.accepts(parse(candidate))  # True or False; the constructor raises SymtokError (TooLarge too)
                                     # when the amplitude cannot be checked
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sympy import Expr, Symbol, lambdify

from amplitudes.physics.me2 import point_values
from amplitudes.physics.particles import Particle, marty_field, particle, particle_of_field
from amplitudes.physics.phase_space import collision_point, invariants, momenta
from amplitudes.physics.process import Process, symba_symmetry_factor
from amplitudes.physics.text_numeric import TooLarge, amplitude_squared, check_size
from symtok.errors import SymtokError
from symtok.objects import (
    ColouredPolarization,
    ColouredSpinorU,
    ColouredSpinorV,
    Conj,
    Polarization,
    SpinorU,
    SpinorV,
    WaveFunction,
)
from symtok.symbols import symbol_for

_MOMENTUM = re.compile(r"p_(\d+)$")
_SELF = re.compile(r"s_(\d)\1$")  # s_ii: the virtuality of an off-shell leg i (legs 1..9)
TOLERANCE = 1e-6  # relative: double-precision sums of |A|^2 agree to ~1e-12, different expressions by O(1)
# external states x expanded terms one check may cost: about 1 s at the limit (u u~ > g g, 147,456
# states x 24 terms, 2 points); QED and QCD 2 -> 2 and QED 2 -> 3 fit. Beyond it a row is
# uncheckable (and a candidate that implies more off-shell legs than fit is not accepted), never slow
MAX_WORK = 4_000_000


def amplitude_theory(expr: Expr) -> str:
    """``qcd`` when a wave function carries colour, else ``qed`` (QED files: quarks colourless, ``t`` the tau)."""
    coloured = ColouredSpinorU, ColouredSpinorV, ColouredPolarization
    return "qcd" if expr.atoms(*coloured) else "qed"


def legs_of_amplitude(expr: Expr, theory: str | None = None) -> tuple[str, ...]:
    """Particle names of the legs p_1..p_n of an amplitude, read from its wave functions; SymtokError
    when a leg is missing, has two different wave functions, or there are fewer than 4 legs. Without
    ``theory`` each leg's field name is read by its own wave function: one with a colour index in a
    QCD file's spelling (a coloured ``t`` is the top), one without in a QED file's (``t`` the tau)."""
    coloured = ColouredSpinorU, ColouredSpinorV, ColouredPolarization
    found: dict[int, str] = {}
    for wave, barred in _wave_functions(expr):
        match = _MOMENTUM.match(str(wave.momentum))
        if match is None:
            raise SymtokError(f"cannot number the leg of momentum {wave.momentum}")
        n = int(match.group(1))
        if isinstance(wave, SpinorU | SpinorV | ColouredSpinorU | ColouredSpinorV):
            v_type = isinstance(wave, SpinorV | ColouredSpinorV)
            # incoming: u (particle) or vbar (antiparticle); outgoing: ubar or v
            if barred != (v_type if n <= 2 else not v_type):
                raise SymtokError(f"leg {n}: a {'barred ' if barred else ''}spinor on the wrong side of the process")
            name = particle_of_field(str(wave.field), anti=v_type, theory=_spelling(wave, theory, coloured))
        elif isinstance(wave, Polarization | ColouredPolarization):
            name = particle_of_field(str(wave.field), anti=False, theory=_spelling(wave, theory, coloured))
        else:
            raise SymtokError(f"cannot read the particle of {type(wave).__name__}")
        if found.setdefault(n, name) != name:
            raise SymtokError(f"leg {n} is both {found[n]} and {name}")
    if len(found) < 4 or sorted(found) != list(range(1, len(found) + 1)):
        raise SymtokError(f"the amplitude's wave functions give legs {sorted(found)}, not p_1..p_n")
    return tuple(found[n] for n in sorted(found))


def _spelling(wave: WaveFunction, theory: str | None, coloured: tuple[type, ...]) -> str:
    return theory or ("qcd" if isinstance(wave, coloured) else "qed")


def _wave_functions(expr: Expr) -> Iterator[tuple[WaveFunction, bool]]:
    """Each wave-function occurrence and whether it is under ^(*)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Conj) and isinstance(node.args[0], WaveFunction):
            yield node.args[0], True
        elif isinstance(node, WaveFunction):
            yield node, False
        else:
            stack.extend(node.args)


def offshell_in(expr: Expr) -> frozenset[int]:
    """Legs i whose s_ii is a symbol of ``expr``."""
    return frozenset(int(m.group(1)) for s in expr.free_symbols if (m := _SELF.match(s.name)))


def random_point(
    process: Process, rng: random.Random, theory: str = "qed", masses: Sequence[float] | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """A random physical point of ``process`` (an off-shell leg gets a random virtuality p_i^2 =
    s_ii != m_i^2) and the value of every symbol its squared amplitudes can hold, masses under the
    file's spelling. ``masses``: the legs' masses (default: the particles')."""
    masses = [float(p.mass) for p in process.legs] if masses is None else list(masses)
    shell = [m + (rng.uniform(0.5, 20) if n in process.offshell else 0.0) for n, m in enumerate(masses, 1)]
    threshold = max(shell[0] + shell[1], sum(shell[2:]))
    sqrt_s = threshold * rng.uniform(1.1, 3) + rng.uniform(1, 30)
    if process.n_legs == 4:
        p = momenta(tuple(shell), sqrt_s, rng.uniform(-0.95, 0.95))  # type: ignore[arg-type]
    else:
        p = collision_point(shell, sqrt_s, np.random.default_rng(rng.getrandbits(64)))
    values = point_values(process, invariants(p))
    given = dict(zip((q.name for q in process.legs), masses, strict=True))
    for q in process.legs:  # every spelling point_values gives a mass, then the file's own
        spellings = [symbol_for(f"m_{q.field}").name] + (
            [f"m_{marty_field(q.pdg, 'qcd')}"] if abs(q.colour) == 3 else []
        )
        for name in spellings:
            if values.get(name) == q.mass:
                values[name] = given[q.name]
        values[f"m_{marty_field(q.pdg, theory)}"] = given[q.name]
    return p, values


def random_masses(legs: Sequence[Particle], rng: random.Random) -> list[float]:
    """A random mass in [1, 10] for each massive species (a particle and its antiparticle alike), 0
    for the massless: the relation checked holds for any masses, and O(1) masses keep terms that a
    physical electron mass would suppress by 10^-7 (below any tolerance) visible."""
    drawn: dict[int, float] = {}
    return [0.0 if q.mass == 0 else drawn.setdefault(abs(q.pdg), rng.uniform(1.0, 10.0)) for q in legs]


def compiled(expr: Expr) -> Callable[[Mapping[str, float]], complex]:
    """A scalar expression (possibly with i) as a function of {symbol name: value}, compiled once;
    symbols of one name are one variable whatever their assumptions. SymtokError at a call that
    lacks a value."""
    plain = {s: Symbol(s.name) for s in expr.free_symbols}
    symbols = sorted(set(plain.values()), key=lambda s: s.name)
    fn = lambdify(symbols, expr.xreplace(plain), "math")

    def at(values: Mapping[str, float]) -> complex:
        missing = [s.name for s in symbols if s.name not in values]
        if missing:
            raise SymtokError(f"no value for {', '.join(missing)}")
        return complex(fn(*(values[s.name] for s in symbols)))

    return at


@dataclass(frozen=True)
class _Points:
    values: tuple[dict[str, float], ...]
    expected: tuple[float, ...]


class SquaredCheck:
    """What the squared amplitude of one amplitude must equal at ``points`` random points.

    ``offshell``: the legs known to be off shell (a SYMBA row's interaction field); None reads them
    from each candidate (s_ii in it or in the amplitude). Raises SymtokError when the amplitude's
    process cannot be read, TooLarge (a SymtokError) when it is beyond text_numeric's limits."""

    def __init__(
        self,
        amplitude: Expr,
        *,
        offshell: Iterable[int] | None = None,
        theory: str | None = None,
        points: int = 2,
        seed: int = 0,
        tolerance: float = TOLERANCE,
    ) -> None:
        self.amplitude = amplitude
        self.theory = theory or amplitude_theory(amplitude)
        self.legs = tuple(particle(name) for name in legs_of_amplitude(amplitude, theory))
        self.fixed = None if offshell is None else frozenset(offshell)
        self.implied = offshell_in(amplitude)
        self.points, self.seed, self.tolerance = points, seed, tolerance
        self._cache: dict[frozenset[int], _Points] = {}
        check_size(
            amplitude, self._process(self.fixed or self.implied | set(range(1, len(self.legs) + 1))), max_work=MAX_WORK
        )

    def _process(self, offshell: frozenset[int]) -> Process:
        return Process((self.legs[0], self.legs[1]), self.legs[2:], offshell)

    def _at(self, offshell: frozenset[int]) -> _Points:
        if offshell not in self._cache:
            process = self._process(offshell)
            check_size(self.amplitude, process, max_work=MAX_WORK)
            rng = random.Random(self.seed)
            factor = float(symba_symmetry_factor(process))
            values, expected = [], []
            for _ in range(self.points):
                masses = random_masses(self.legs, rng)
                p, at = random_point(process, rng, self.theory, masses)
                values.append(at)
                expected.append(factor * amplitude_squared(self.amplitude, process, p, at, masses=masses))
            self._cache[offshell] = _Points(tuple(values), tuple(expected))
        return self._cache[offshell]

    def offshell_for(self, squared: Expr) -> frozenset[int]:
        """The off-shell legs ``squared`` is checked under."""
        if self.fixed is not None:
            return self.fixed
        return frozenset(n for n in self.implied | offshell_in(squared) if n <= len(self.legs))

    def same(self, squared: Expr, reference: Expr) -> bool:
        """Whether two squared amplitudes of this amplitude are equal at random physical points (under
        the legs ``reference`` implies): equal as functions of the momenta, also where they differ as
        expressions in independent s_ij (momentum conservation relates them)."""
        try:
            at = self._at(self.offshell_for(reference))
            fa, fb = compiled(squared), compiled(reference)
        except (SymtokError, SyntaxError, TypeError, ValueError, RecursionError):
            return False
        for values in at.values:
            try:
                a, b = fa(values), fb(values)
            except (SymtokError, ZeroDivisionError, OverflowError, ValueError, TypeError):
                return False
            if not (np.isfinite(a) and np.isfinite(b)) or abs(a - b) > self.tolerance * max(abs(a), abs(b), 1e-300):
                return False
        return True

    def accepts(self, squared: Expr) -> bool:
        """Whether ``squared`` equals the amplitude's summed |A|^2 at every point (False also when it
        cannot be evaluated: a symbol with no value, a pole at the point)."""
        try:
            at = self._at(self.offshell_for(squared))
        except TooLarge:
            return False  # the legs this candidate implies make the check too large to run
        try:
            fn = compiled(squared)
        except (SyntaxError, TypeError, ValueError, RecursionError):
            return False  # an expression the compiler cannot take is not checked, so not accepted
        for values, expected in zip(at.values, at.expected, strict=True):
            try:
                value = fn(values)
            except (SymtokError, ZeroDivisionError, OverflowError, ValueError, TypeError):
                return False
            if not np.isfinite(value) or abs(value - expected) > self.tolerance * max(
                abs(value), abs(expected), 1e-300
            ):
                return False
        return True


__all__ = [
    "TOLERANCE",
    "SquaredCheck",
    "amplitude_theory",
    "compiled",
    "legs_of_amplitude",
    "offshell_in",
    "random_point",
]
