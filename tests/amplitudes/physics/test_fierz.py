"""Four-quark diagrams in MARTY's Fierz form: the colour of every expanded term, summed, equals the
T^a T^a form's at every assignment of the quarks' colours (coefficients, pairings and the 1/N term)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sympy import Mul, expand

from amplitudes.physics.amplitude import IndexFactory, diagram_amplitudes
from amplitudes.physics.colour import N_COLOURS, generators
from amplitudes.physics.process import Process
from symtok.indices import Index
from symtok.objects import ColouredSpinorU, ColouredSpinorV, ColourT, DeltaF

FOUR_QUARK = ["u u~ > d d~", "u d > u d", "u u~ > u u~", "u d~ > u d~", "u u~ > d d~ a"]
T = generators()


def colour_tensor(amplitude, process: Process) -> np.ndarray:
    """sum over terms of (its index-free factors at a fixed random point) x (its colour factor), for
    every colour of the quark legs; every other object (Dirac, Lorentz) counts 1 in both forms."""
    quarks = [n for n, p in enumerate(process.legs, start=1) if abs(p.colour) == 3]
    symbols = sorted((s for s in amplitude.free_symbols if not isinstance(s, Index)), key=str)
    values = {s: 1.0 + 0.1 * sum(map(ord, str(s))) % 1.7 for s in symbols}  # the same in both forms
    out = np.zeros((N_COLOURS,) * len(quarks), dtype=complex)
    expanded = expand(amplitude)
    for term in expanded.args if expanded.is_Add else [expanded]:
        coefficient, leg_of, generators_, deltas = 1.0 + 0j, {}, [], []
        for factor in Mul.make_args(term):
            spinors = list(factor.atoms(ColouredSpinorU, ColouredSpinorV))
            if spinors:
                (spinor,) = spinors
                leg_of.setdefault(spinor.args[3].name, []).append(int(str(spinor.momentum)[2:]))
            elif isinstance(factor, ColourT):
                generators_.append(tuple(a.name for a in factor.args[1:]))
            elif isinstance(factor, DeltaF):
                deltas.append(tuple(a.name for a in factor.args))
            elif not factor.atoms(Index):
                coefficient *= complex(factor.subs(values))
        names = sorted({n for g in generators_ for n in g} | {n for d in deltas for n in d} | set(leg_of))
        adjoint = sorted({g[0] for g in generators_})
        for colours in itertools.product(range(N_COLOURS), repeat=len(quarks)):
            by_leg = dict(zip(quarks, colours, strict=True))
            fixed: dict[str, int] = {}
            consistent = True
            for name, legs in leg_of.items():
                if len({by_leg[n] for n in legs}) > 1:
                    consistent = False
                fixed[name] = by_leg[legs[0]]
            if not consistent:
                continue
            free = [n for n in names if n not in fixed and n not in adjoint]
            total = 0j
            for inner in itertools.product(range(N_COLOURS), repeat=len(free)):
                value = dict(fixed) | dict(zip(free, inner, strict=True))
                for a in itertools.product(range(N_COLOURS**2 - 1), repeat=len(adjoint)):
                    av = dict(zip(adjoint, a, strict=True))
                    product = 1 + 0j
                    for g, i, j in generators_:
                        product *= T[av[g], value[i], value[j]]
                    for i, j in deltas:
                        product *= value[i] == value[j]
                    total += product
            out[colours] += coefficient * total
    return out


@pytest.mark.parametrize("process", FOUR_QUARK)
@pytest.mark.parametrize("cross_first", [True, False])
def test_fierz_form_has_the_colour_of_t_a_t_a(process, cross_first):
    theory = "mixed" if " a" in process else "qcd"
    parsed = Process.parse(process)
    fierz = diagram_amplitudes(parsed, theory, IndexFactory(5), fierz_cross_first=cross_first)
    plain = diagram_amplitudes(parsed, theory, IndexFactory(5), fierz=False)
    assert len(fierz) == len(plain)
    gluon_exchange = 0
    for f, p in zip(fierz, plain, strict=True):
        if p.atoms(ColourT) and not f.atoms(ColourT):
            gluon_exchange += 1
        assert np.allclose(colour_tensor(f, parsed), colour_tensor(p, parsed), atol=1e-12)
    assert gluon_exchange >= 1  # the Fierz form was used, and it checked something


def test_fierz_factoring_is_drawn_and_both_forms_occur():
    parsed = Process.parse("u d > u d")
    forms = {str(diagram_amplitudes(parsed, "qcd", IndexFactory(seed))[0].as_coeff_Mul()[0]) for seed in range(12)}
    assert forms == {"-1/4", "1/12"}
