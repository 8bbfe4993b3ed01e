"""OffShell legs and MARTY's per-diagram conventions (gluon polarisation sum, identical particles)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from sympy import Symbol, lambdify

from amplitudes.generate import process_rows
from amplitudes.physics.me2 import point_values, symbolic
from amplitudes.physics.phase_space import invariants, momenta
from amplitudes.physics.process import Process, offshell_variants, symba_symmetry_factor
from amplitudes.physics.squared import squared_amplitude
from amplitudes.symba import check_row, process_of_interaction
from symtok import SymtokError
from symtok.io import Row


def _value(expr, values):
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    return complex(lambdify(args, expr, "math")(*(values[a.name] for a in args))).real


def _point(process: Process, virtualities: dict[int, float], rng: random.Random) -> dict[str, float]:
    masses = [p.mass + virtualities.get(n, 0.0) for n, p in enumerate(process.legs, start=1)]
    threshold = max(masses[0] + masses[1], masses[2] + masses[3])
    inv = invariants(momenta(tuple(masses), threshold * rng.uniform(1.2, 3.0) + 5, rng.uniform(-0.9, 0.9)))
    return point_values(process, inv)


def test_offshell_legs_parse_print_and_enumerate():
    p = Process.parse("e- e+ > a a*")
    assert p.offshell == frozenset({4}) and str(p) == "e- e+ > a a*" and Process.parse(str(p)) == p
    assert p.on_shell == Process.parse("e- e+ > a a") and p != p.on_shell
    variants = offshell_variants(p.on_shell)
    assert len(variants) == 16 == len(set(variants)) and variants[0] == p.on_shell and p in variants
    with pytest.raises(SymtokError):
        Process(p.incoming, p.outgoing, frozenset({5}))


@pytest.mark.parametrize("process", ["e+ e- > e+ e-", "e- a > e- a", "e+ e- > a a", "u u~ > g g"])
def test_an_offshell_leg_at_its_mass_shell_gives_the_on_shell_result(process):
    """s_ii is kept symbolic, and with s_ii = m_i^2 every off-shell variant equals the on-shell result."""
    theory = "qcd" if "g" in process.split() else "qed"
    rng = random.Random(process)
    on_shell = Process.parse(process)
    reference = squared_amplitude(on_shell, theory, gluons="feynman")
    for variant in offshell_variants(on_shell)[1:]:
        sq = squared_amplitude(variant, theory, gluons="feynman")
        values = _point(on_shell, {}, rng)
        for a, b in zip(sq.per_diagram, reference.per_diagram, strict=True):
            assert _value(a, values) == pytest.approx(_value(b, values), rel=1e-9)


def test_offshell_propagators_keep_p_squared():
    """e+ e- > mu+ mu- with an off-shell incoming electron: (p_1 + p_2)^2 = s_11 + 2 s_12 + m_e^2."""
    sq = squared_amplitude(Process.parse("e+* e- > mu+ mu-"), "qed")
    names = {s.name for s in sq.total.free_symbols}
    assert "s_11" in names and not {"s_22", "s_33", "s_44"} & names
    rng = random.Random(0)
    process = Process.parse("e+* e- > mu+ mu-")
    off = _point(process, {1: 7.0}, rng)
    on = dict(off, s_11=off["m_e"] ** 2)
    assert abs(_value(sq.total, off) / _value(sq.total, on) - 1) > 1e-3  # s_11 matters away from the shell


def test_feynman_gluon_sum_is_marty_per_diagram_and_not_physical_in_total():
    physical = symbolic("u u~ > g g", "qcd", False)
    feynman = symbolic("u u~ > g g", "qcd", False, "feynman")
    values = _point(Process.parse("u u~ > g g"), {}, random.Random(1))
    pairs = zip(physical.per_diagram, feynman.per_diagram, strict=True)
    assert max(abs(_value(a, values) / _value(b, values) - 1) for a, b in pairs) > 1e-3  # gauge-dependent squares
    # without ghosts, -g over two external gluons is not the physical total
    assert abs(_value(feynman.total, values) / _value(physical.total, values) - 1) > 1e-3
    with pytest.raises(SymtokError, match="gluons"):
        squared_amplitude("g u > g u", "qcd", gluons="axial")  # type: ignore[arg-type]


def test_symmetry_factor_and_generated_rows_match_the_checker():
    assert symba_symmetry_factor(Process.parse("e- e- > e- e-*")) == Fraction(1, 2)
    assert symba_symmetry_factor(Process.parse("e+ e- > a a")) == Fraction(1, 2)
    assert symba_symmetry_factor(Process.parse("e+ e- > mu+ mu-")) == 1
    rng = random.Random(2)
    for text, theory in (("e- e- > e- e-*", "qed"), ("u~* g > u~ g", "qcd"), ("u u~ > t t~*", "qcd")):
        for row in process_rows(Process.parse(text), theory):
            assert process_of_interaction(row.interaction, theory) == Process.parse(text)
            line = Row(1, row.amplitude, row.squared_amplitude, row.interaction)
            assert check_row(line, theory, 3, rng).status == "match"


def test_qcd_rows_use_the_qcd_field_names():
    row = process_rows(Process.parse("g g > t t~"), "qcd")[0]
    assert " t_{" in row.interaction and "tt" not in row.interaction
    assert "m_t" in row.squared_amplitude and "m_tt" not in row.squared_amplitude
    assert "t_{" in row.amplitude and Symbol("m_tt") not in symbolic("g g > t t~", "qcd", False).total.free_symbols


def test_show_prints_per_diagram_squares_as_generated_rows_hold_them():
    from amplitudes.physics.catalog import show_process

    for text, theory in (("u u~ > g g", "qcd"), ("e+ e- > a a*", "qed")):
        shown = show_process(text, theory)
        rows = process_rows(Process.parse(text), theory)
        assert shown.squared_per_diagram == [r.squared_amplitude for r in rows]
