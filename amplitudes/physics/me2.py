"""|M|^2 at a centre-of-mass point from the symbolic result (lambdified once per process), and the
same value next to the independent numeric evaluator's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from sympy import Symbol, lambdify

from amplitudes.physics.numeric import Couplings, me2_numeric_at
from amplitudes.physics.particles import marty_field
from amplitudes.physics.phase_space import invariants, momenta
from amplitudes.physics.process import Process, process_masses
from amplitudes.physics.squared import GluonSum, SquaredAmplitude, squared_amplitude
from amplitudes.physics.theory import infer_theory
from symtok.errors import SymtokError
from symtok.symbols import symbol_for


@cache
def symbolic(process: str, theory: str, massless: bool, gluons: GluonSum = "physical") -> SquaredAmplitude:
    """Cached symbolic |M|^2 of a process (external gluons summed as ``gluons`` says)."""
    return squared_amplitude(process, theory, massless=massless, gluons=gluons)


@cache
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
    numeric = me2_numeric_at(process, theory, p, masses, Couplings(e, g))
    value = me2(process, sqrt_s, cos_theta, theory=theory, e=e, g=g, massless=massless)
    rel = abs(value - numeric) / max(abs(numeric), 1e-300)
    inv = {k: v for k, v in invariants(p).items() if k in ("s", "t", "u") or (k[2] <= k[3])}
    return Me2Result(str(process), theory, sqrt_s, cos_theta, massless, value, numeric, rel, inv)
