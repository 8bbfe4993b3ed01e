"""Example-based tests of the parser on every construct of FORMAT.md (QED, QCD, pre-normalised, functional)."""

from __future__ import annotations

import pytest
from sympy import I, Integer, Mul, Pow, Rational

from symtok import parse, to_string
from symtok.files import data_path
from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LABEL, LORENTZ, Index
from symtok.objects import (
    ColouredPolarization,
    ColouredSpinorU,
    ColouredSpinorV,
    ColourT,
    Conj,
    DeltaA,
    DeltaF,
    Gamma,
    Metric,
    MomentumComponent,
    Polarization,
    SpinorU,
    SpinorV,
    StructureF,
)
from symtok.symbols import symbol_for


def one(expr, cls):
    found = [a for a in Mul.make_args(expr) if isinstance(a, cls)] + [a for a in expr.atoms(cls)]
    assert found, f"no {cls.__name__} in {expr}"
    return found[0]


def test_gamma_has_one_lorentz_then_two_dirac_indices():
    g = parse(r"gamma_{+%\sigma_165,%gam_145,%del_137}")
    assert isinstance(g, Gamma)
    assert g.args == (Index("\\sigma_165", LORENTZ, up=True), Index("gam_145", DIRAC), Index("del_137", DIRAC))


@pytest.mark.parametrize(
    ("text", "cls", "conj"),
    [
        ("e_{i_3,%eta_12}(p_1)_u", SpinorU, False),
        ("mu_{k_3,%del_50}(p_2)_v^(*)", SpinorV, True),
        ("u_{l_3,%A_60,%gam_107}(p_3)_u^(*)", ColouredSpinorU, True),
        ("d_{k_3,%D_6,%del_11}(p_4)_v", ColouredSpinorV, False),
        (r"A_{l_3,+%\sigma_49}(p_3)^(*)", Polarization, True),
        (r"G_{k_3,%g_98,+%\sigma_130}(p_2)", ColouredPolarization, False),
        ("tt_{i_3,%eta_12}(p_1)_u", SpinorU, False),
    ],
)
def test_wave_functions(text, cls, conj):
    x = parse(text)
    wf = x.args[0] if conj else x
    assert isinstance(x, Conj) == conj
    assert isinstance(wf, cls)
    assert wf.args[2].kind == LABEL
    assert wf.args[1] == symbol_for(f"p_{text.split('(p_')[1][0]}")


def test_qcd_spinor_colour_index_is_fundamental_and_gluon_index_adjoint():
    s = parse("u_{l_3,%A_60,%gam_107}(p_3)_u")
    g = parse(r"G_{k_3,%g_98,+%\sigma_130}(p_2)")
    assert [i.kind for i in s.indices] == [LABEL, FUNDAMENTAL, DIRAC]
    assert [i.kind for i in g.indices] == [LABEL, ADJOINT, LORENTZ]
    assert g.indices[2].up


def test_colour_generator_keeps_its_tag():
    t = parse("T_C_10_{%g_104,%D_293,%D_513}")
    assert isinstance(t, ColourT)
    assert t.args[0] == symbol_for("C_10")
    assert [i.kind for i in t.indices] == [ADJOINT, FUNDAMENTAL, FUNDAMENTAL]


def test_momentum_lower_and_upper():
    lower = parse(r"p_3_%\nu_183")
    upper = parse(r"p_2_+%\sigma_130")
    assert lower == MomentumComponent(symbol_for("p_3"), Index("\\nu_183", LORENTZ))
    assert upper.args[1].up


def test_structure_constant_metric_and_deltas():
    x = parse(r"f_{%a_1,%b_2,%c_3}*g_{%\mu_1,+%\nu_2}*delta_{%A_1,%B_2}*delta_adj_{%a_1,%b_2}")
    assert {type(a) for a in x.args} == {StructureF, Metric, DeltaF, DeltaA}


def test_numbers_couplings_and_idioms():
    x = parse("-1/2*i*e^2 + (-3)*g + 4/9*m_e + a + -b")
    e, g, m_e = symbol_for("e"), symbol_for("g"), symbol_for("m_e")
    assert x == Rational(-1, 2) * I * e**2 - 3 * g + Rational(4, 9) * m_e + symbol_for("a") - symbol_for("b")
    assert e.is_positive and symbol_for("s_13").is_real


def test_propagators_and_negative_powers():
    x = parse("(m_e^2 + -s_13 + 1/2*reg_prop)^(-2)/((m_c^2 + -s_14)*(s_23 + -1/2*reg_prop))")
    assert isinstance(x, Mul)
    assert sorted(p.exp for p in x.args if isinstance(p, Pow)) == [Integer(-2), Integer(-1), Integer(-1)]


def test_squared_amplitude_with_nested_fractions_and_i():
    text = "1/16*i*g^2*(i*g^2*(m_u^2 + s_13)/(m_u^2 + s_12 + 1/2*reg_prop) + s_12)/(m_u^2 + s_12)"
    x = parse(text)
    assert x.has(I)
    assert parse(to_string(x)) == x


def test_prenormalized_form_parses_to_same_objects_as_raw():
    raw = parse(r"gamma_{+%\sigma_3,%gam_1,%del_2}*b_{i_4,%del_2}(p_1)_u")
    pre = parse(r"gamma_{+\INDEX_0,INDEX_1,INDEX_2}*b_{MOMENTUM_0,INDEX_2}(p_1)_u")
    assert {type(a) for a in raw.args} == {type(a) for a in pre.args}
    from symtok import normalize

    assert normalize(raw) == normalize(pre)


def test_functional_form_maps_to_index_objects():
    x = parse("mul(pow(alpha,2), Tr(gamma_mu, slash(p1), gamma_nu, slash(p2)), div(1, s))")
    gammas = [a for a in x.args if isinstance(a, Gamma)]
    moms = [a for a in x.args if isinstance(a, MomentumComponent)]
    assert len(gammas) == 4 and len(moms) == 2
    assert symbol_for("alpha") ** 2 in x.args and Pow(symbol_for("s"), -1) in x.args
    # the Dirac indices close into one cycle: each appears exactly twice
    from collections import Counter

    dirac = Counter(i.name for g in gammas for i in g.indices if i.kind == DIRAC)
    assert set(dirac.values()) == {2} and len(dirac) == 4


def test_functional_trace_equals_hand_written_index_form():
    functional = parse("Tr(gamma_mu, gamma_nu)")
    marty = parse(r"gamma_{%\mu,%t_1,%t_2}*gamma_{%\nu,%t_2,%t_1}")
    from symtok import normalize

    assert normalize(functional) == normalize(marty)


@pytest.mark.parametrize("name", ["qed_rows.txt", "qcd_rows.txt"])
def test_shipped_rows_parse_and_round_trip(name):
    from symtok.io import Row, read_rows

    rows = [r for r in read_rows(str(data_path("examples", name)), "symba")]
    assert rows and all(isinstance(r, Row) for r in rows)
    for row in rows:
        for text in (row.amplitude, row.squared_amplitude):
            x = parse(text)
            assert parse(to_string(x)) == x


def test_qcd_row_has_generators_gluons_and_colour_spinors():
    from symtok.io import read_rows

    rows = list(read_rows(str(data_path("examples", "qcd_rows.txt")), "symba"))
    amp = parse(rows[1].amplitude)
    assert amp.atoms(ColourT) and amp.atoms(ColouredPolarization) and amp.atoms(ColouredSpinorU)


def test_whitespace_and_newlines_are_ignored():
    assert parse("e ^ 2 *\n  s_12") == parse("e^2*s_12")
