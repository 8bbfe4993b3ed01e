"""|M|^2 at a centre-of-mass point from the symbolic result (lambdified once per process), and the
same value next to the independent numeric evaluator's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sympy import Symbol, lambdify

from amplitudes.physics.numeric import Couplings, me2_numeric_at
from amplitudes.physics.numeric_trees import me2_trees_at
from amplitudes.physics.particles import marty_field
from amplitudes.physics.phase_space import collision_point, dot, invariants, momenta
from amplitudes.physics.process import Process, process_masses
from amplitudes.physics.squared import (
    GluonSum,
    SquaredAmplitude,
    check_total_cost,
    diagram_squares,
    leg_masses,
    squared_amplitude,
)
from amplitudes.physics.theory import infer_theory
from symtok.errors import SymtokError
from symtok.symbols import symbol_for


@lru_cache(maxsize=256)  # bounded: a corpus build visits thousands of processes
def symbolic(process: str, theory: str, massless: bool, gluons: GluonSum = "physical") -> SquaredAmplitude:
    """Cached symbolic |M|^2 of a process (external gluons summed as ``gluons`` says)."""
    return squared_amplitude(process, theory, massless=massless, gluons=gluons)


@lru_cache(maxsize=256)
def symbolic_per_diagram(process: str, theory: str, massless: bool = False) -> tuple:
    """Cached per-diagram |M_d|^2 as MARTY's rows hold them before the identical-particle factor:
    external gluons summed with -g, no interference terms computed (cheaper than :func:`symbolic`).

    Every OffShell pattern of one process comes from one computation with all legs off shell: the
    on-shell legs' s_ii are then set to m_i^2, which is exactly what computing them on shell does
    (p_i^2 enters only through s_ii; spin and polarisation sums do not depend on it)."""
    proc = Process.parse(process)
    everything = frozenset(range(1, proc.n_legs + 1))
    if proc.offshell == everything:
        return diagram_squares(proc, theory, massless=massless, gluons="feynman")
    template = symbolic_per_diagram(str(Process(proc.incoming, proc.outgoing, everything)), theory, massless)
    masses = leg_masses(proc, massless, theory)
    on_shell = {symbol_for(f"s_{n}{n}"): masses[n] ** 2 for n in everything - proc.offshell}
    return tuple(expr.xreplace(on_shell) for expr in template)


@lru_cache(maxsize=256)
def _compiled(process: str, theory: str, massless: bool) -> tuple[Callable[..., float], tuple[Symbol, ...]]:
    expr = symbolic(process, theory, massless).total
    args = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    return lambdify(args, expr, "numpy"), args


def me2(
    process: Process | str,
    sqrt_s: float,
    cos_theta: float,
    *,
    theory: str = "auto",
    e: float = 1.0,
    g: float = 1.0,
    massless: bool = False,
) -> float:
    """Spin/colour-summed, initial-averaged |M|^2 of a 2→2 process from its symbolic expression.

    Convention: p_1, p_2 incoming along ±z, p_3 at angle theta; s_ij = p_i·p_j; masses from PDG
    unless ``massless``; the propagator regulator reg_prop is 0 (see docs/physics.md).
    """
    proc = Process.parse(process) if isinstance(process, str) else process
    theory = infer_theory(proc) if theory == "auto" else theory
    masses = process_masses(proc, massless)
    inv = invariants(momenta(tuple(masses), sqrt_s, cos_theta))  # type: ignore[arg-type]
    values = point_values(proc, inv, e=e, g=g)
    fn, args = _compiled(str(proc), theory, massless)
    return float(np.real(fn(*(values[a.name] for a in args))))


def point_values(process: Process, inv: dict[str, float], *, e: float = 1.0, g: float = 1.0) -> dict[str, float]:
    """Numbers for every symbol an expression of this process can contain. A quark's mass is also
    given under its QCD files' spelling (the top is ``m_t`` there, ``m_tt`` in QED files) unless a
    QED spelling of another leg already means something else (``m_t`` is the tau's in QED files)."""
    values = {k: v for k, v in inv.items() if k.startswith("s_")}
    for p in process.legs:
        values[symbol_for(f"m_{p.field}").name] = p.mass
    for p in process.legs:
        if abs(p.colour) == 3:
            values.setdefault(f"m_{marty_field(p.pdg, 'qcd')}", p.mass)
    values.update({"e": e, "g": g, "reg_prop": 0.0})
    return values


@dataclass(frozen=True)
class Me2Result:
    """|M|^2 at one point with the invariants it was evaluated at."""

    process: str
    theory: str
    sqrt_s: float
    cos_theta: float | None
    massless: bool
    me2: float
    me2_numeric: float
    rel_difference: float | None  # None where the symbolic total is not computed (g g > g g g)
    invariants: dict[str, float]
    momenta: list[list[float]]


def evaluate_me2(
    text: str,
    sqrt_s: float,
    cos_theta: float | None = None,
    *,
    theory: str = "auto",
    e: float = 1.0,
    g: float = 1.0,
    massless: bool = False,
    seed: int = 0,
) -> Me2Result:
    """Spin/colour-summed, initial-averaged |M|^2 from the symbolic result, with the independent
    numeric evaluator's value and their relative difference. A 2→2 point is (sqrt_s, cos_theta); a
    2→3 point is drawn by RAMBO at sqrt_s from ``seed`` (``cos_theta`` must then be None)."""
    process = Process.parse(text)
    theory = infer_theory(process) if theory == "auto" else theory
    if not process.conserves():
        raise SymtokError(f"{process} violates charge or flavour conservation")
    if process.offshell:
        raise SymtokError(f"{process} has off-shell legs: |M|^2 at a point needs every leg on shell")
    masses = process_masses(process, massless)
    if process.n_legs == 4:
        if cos_theta is None:
            raise SymtokError("a 2 -> 2 point needs cos_theta")
        p = momenta(tuple(masses), sqrt_s, cos_theta)  # type: ignore[arg-type]
        numeric = me2_numeric_at(process, theory, p, masses, Couplings(e, g))
        value = me2(process, sqrt_s, cos_theta, theory=theory, e=e, g=g, massless=massless)
    else:
        if cos_theta is not None:
            raise SymtokError("a 2 -> 3 point is drawn by RAMBO (--seed), not given by cos_theta")
        p = collision_point(masses, sqrt_s, np.random.default_rng(seed))
        numeric = me2_trees_at(process, theory, p, masses, Couplings(e, g))[1]
        try:
            check_total_cost(process, "physical")
        except SymtokError:  # too costly symbolically: the numeric evaluator's value alone
            return Me2Result(
                str(process), theory, sqrt_s, None, massless, numeric, numeric, None, _shown(p), p.tolist()
            )
        expr = squared_amplitude(process, theory, massless=massless).total
        values = point_values(process, invariants(p), e=e, g=g)
        args = sorted(expr.free_symbols, key=lambda x: x.name)
        value = float(np.real(lambdify(args, expr, "numpy")(*(values[a.name] for a in args))))
    rel = abs(value - numeric) / max(abs(numeric), 1e-300)
    return Me2Result(str(process), theory, sqrt_s, cos_theta, massless, value, numeric, rel, _shown(p), p.tolist())


def _shown(p: np.ndarray) -> dict[str, float]:
    """The invariants a result reports: s, t, u and each s_ij once (i <= j)."""
    return {k: v for k, v in invariants(p).items() if k in ("s", "t", "u") or (k[2] <= k[3])}


def me2_at(
    process: Process | str,
    momenta: np.ndarray,
    *,
    e: float = 1.0,
    g: float = 1.0,
    massless: bool = False,
    theory: str = "auto",
) -> float:
    """Spin- and colour-summed |M|^2 of a 2→2 or 2→3 process at one phase-space point, averaged over
    the initial spins and colours, with no identical-particle factor (the independent numeric
    evaluator: explicit spinors, physical polarisations, colour matrices).

    ``momenta``: (n, 4) array of (E, px, py, pz) in leg order, incoming first, physical (positive
    energies), conserving momentum and on the legs' mass shells (PDG masses, or 0 with
    ``massless``). Off-shell legs (``e- e+ > a a*``) are refused: their |M|^2 is the symbolic row."""
    proc = Process.parse(process) if isinstance(process, str) else process
    theory = infer_theory(proc) if theory == "auto" else theory
    if proc.offshell:
        raise SymtokError(f"me2_at needs on-shell legs; {proc} has off-shell ones (see squared_amplitude)")
    p = np.asarray(momenta, dtype=float)
    if p.shape != (proc.n_legs, 4):
        raise SymtokError(f"momenta must be an array of shape ({proc.n_legs}, 4) for {proc}; got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise SymtokError("momenta must be finite numbers")
    scale = float(np.abs(p[:, 0]).max()) or 1.0
    if np.abs(p[0] + p[1] - p[2:].sum(axis=0)).max() > 1e-9 * scale:
        raise SymtokError("momenta do not conserve energy and momentum (p_1 + p_2 != sum of the outgoing)")
    masses = process_masses(proc, massless)
    shell = np.abs(dot(p, p) - np.square(masses)).max()
    if shell > 1e-7 * scale * scale or np.any(p[:, 0] <= 0):
        raise SymtokError(f"momenta are not on the legs' mass shells (masses {masses} GeV) with positive energies")
    c = Couplings(e, g)
    if proc.n_legs == 4:
        return me2_numeric_at(proc, theory, p, masses, c)
    return me2_trees_at(proc, theory, p, masses, c)[1]
