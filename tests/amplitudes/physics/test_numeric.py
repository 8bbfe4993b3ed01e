"""The independent numeric |M|^2 against textbook formulas, Ward identities and symmetries."""

from __future__ import annotations

import numpy as np
import pytest

from amplitudes.physics.numeric import (
    Couplings,
    amplitude_tensor,
    bar,
    build_legs,
    colour_matrices,
    me2_numeric,
    slash,
    spinors_u,
    spinors_v,
)
from amplitudes.physics.particles import particle
from amplitudes.physics.phase_space import dot, invariants, momenta
from amplitudes.physics.process import Process, process_masses

ANGLES = (-0.93, -0.4, 0.05, 0.61, 0.97)


def stu(sqrt_s, cos, masses=(0.0, 0.0, 0.0, 0.0)):
    inv = invariants(momenta(masses, sqrt_s, cos))
    return inv["s"], inv["t"], inv["u"]


# Peskin & Schroeder (massless QED) and Ellis-Stirling-Webber Table 7.1 (massless QCD, /g^4)
MASSLESS = {
    ("e+ e- > mu+ mu-", "qed"): lambda s, t, u: 2 * (t * t + u * u) / s**2,
    ("e+ e- > e+ e-", "qed"): lambda s, t, u: (
        2 * ((s * s + u * u) / t**2 + 2 * u * u / (s * t) + (u * u + t * t) / s**2)
    ),
    ("e- e- > e- e-", "qed"): lambda s, t, u: (
        2 * ((s * s + u * u) / t**2 + 2 * s * s / (t * u) + (s * s + t * t) / u**2)
    ),
    ("e- a > e- a", "qed"): lambda s, t, u: -2 * (u / s + s / u),
    ("e+ e- > a a", "qed"): lambda s, t, u: 2 * (u / t + t / u),
    ("u d > u d", "qcd"): lambda s, t, u: 4 / 9 * (s * s + u * u) / t**2,
    ("u u > u u", "qcd"): lambda s, t, u: (
        4 / 9 * ((s * s + u * u) / t**2 + (s * s + t * t) / u**2) - 8 / 27 * s * s / (u * t)
    ),
    ("u u~ > d d~", "qcd"): lambda s, t, u: 4 / 9 * (t * t + u * u) / s**2,
    ("u u~ > u u~", "qcd"): lambda s, t, u: (
        4 / 9 * ((s * s + u * u) / t**2 + (t * t + u * u) / s**2) - 8 / 27 * u * u / (s * t)
    ),
    ("u u~ > g g", "qcd"): lambda s, t, u: 32 / 27 * (t * t + u * u) / (t * u) - 8 / 3 * (t * t + u * u) / s**2,
    ("g g > u u~", "qcd"): lambda s, t, u: 1 / 6 * (t * t + u * u) / (t * u) - 3 / 8 * (t * t + u * u) / s**2,
    ("g u > g u", "qcd"): lambda s, t, u: -4 / 9 * (s * s + u * u) / (s * u) + (u * u + s * s) / t**2,
    ("g g > g g", "qcd"): lambda s, t, u: 9 / 2 * (3 - t * u / s**2 - s * u / t**2 - s * t / u**2),
    # mixed QED x QCD, / (e^2 g^2 Q_q^2): q q~ -> gamma g = 8/9 (t/u + u/t) (q q~ -> gamma gamma with one
    # e Q -> g T^a: colour Tr(T^a T^a) = 4 over 9 instead of 3 over 9), and its crossing q g -> q gamma
    ("u u~ > a g", "mixed"): lambda s, t, u: 4 / 9 * 8 / 9 * (t / u + u / t),
    ("u g > u a", "mixed"): lambda s, t, u: -4 / 9 * 1 / 3 * (s / u + u / s),
    ("d~ g > d~ a", "mixed"): lambda s, t, u: -1 / 9 * 1 / 3 * (s / u + u / s),
}


@pytest.mark.parametrize(("process", "theory"), list(MASSLESS))
def test_massless_textbook_results(process, theory):
    for cos in ANGLES:
        s, t, u = stu(91.0, cos)
        got = me2_numeric(process, 91.0, cos, theory=theory, massless=True)
        assert got == pytest.approx(MASSLESS[(process, theory)](s, t, u), rel=1e-10)


def test_couplings_scale_as_fourth_power():
    a = me2_numeric("u u~ > g g", 50.0, 0.3, massless=True)
    assert me2_numeric("u u~ > g g", 50.0, 0.3, g=1.2, massless=True) == pytest.approx(1.2**4 * a, rel=1e-12)
    b = me2_numeric("e+ e- > mu+ mu-", 50.0, 0.3)
    assert me2_numeric("e+ e- > mu+ mu-", 50.0, 0.3, e=0.3) == pytest.approx(0.3**4 * b, rel=1e-12)


def pdots(process, sqrt_s, cos):
    masses = process_masses(Process.parse(process), massless=False)
    p = momenta(tuple(masses), sqrt_s, cos)
    return p, masses


def test_massive_ee_to_mumu_peskin_5_10():
    for sqrt_s, cos in ((0.25, 0.3), (1.0, -0.8), (12.0, 0.9)):
        p, (me, _, mm, _) = pdots("e+ e- > mu+ mu-", sqrt_s, cos)
        d = lambda i, j, p=p: dot(p[i], p[j])  # noqa: E731
        s = dot(p[0] + p[1], p[0] + p[1])
        expected = (
            8 / s**2 * (d(0, 2) * d(1, 3) + d(0, 3) * d(1, 2) + mm**2 * d(0, 1) + me**2 * d(2, 3) + 2 * me**2 * mm**2)
        )
        assert me2_numeric("e+ e- > mu+ mu-", sqrt_s, cos) == pytest.approx(expected, rel=1e-10)


def test_massive_compton_klein_nishina_peskin_5_87():
    for sqrt_s, cos in ((0.6, 0.2), (3.0, -0.95), (0.52, 0.7)):
        p, (m, _, _, _) = pdots("e- a > e- a", sqrt_s, cos)
        pk, pk2 = dot(p[0], p[1]), dot(p[0], p[3])
        expected = 2 * (pk2 / pk + pk / pk2 + 2 * m**2 * (1 / pk - 1 / pk2) + m**4 * (1 / pk - 1 / pk2) ** 2)
        assert me2_numeric("e- a > e- a", sqrt_s, cos) == pytest.approx(expected, rel=1e-9)


def test_massive_pair_annihilation_peskin_5_105():
    for sqrt_s, cos in ((1.1, 0.4), (0.0011, -0.6), (7.0, 0.99)):
        p, (m, _, _, _) = pdots("e- e+ > a a", sqrt_s, cos)
        pk1, pk2 = dot(p[0], p[2]), dot(p[0], p[3])
        expected = 2 * (pk2 / pk1 + pk1 / pk2 + 2 * m**2 * (1 / pk1 + 1 / pk2) - m**4 * (1 / pk1 + 1 / pk2) ** 2)
        assert me2_numeric("e- e+ > a a", sqrt_s, cos) == pytest.approx(expected, rel=1e-9)


def test_fractional_charges_and_massive_quarks():
    # e+ e- -> t t~ : (2/3)^2 times the muon formula with m_mu -> m_t (colourless quarks, as in SYMBA's QED)
    p, (me, _, mt, _) = pdots("e+ e- > t t~", 400.0, 0.5)
    d = lambda i, j: dot(p[i], p[j])  # noqa: E731
    s = dot(p[0] + p[1], p[0] + p[1])
    expected = (
        (4 / 9)
        * 8
        / s**2
        * (d(0, 2) * d(1, 3) + d(0, 3) * d(1, 2) + mt**2 * d(0, 1) + me**2 * d(2, 3) + 2 * me**2 * mt**2)
    )
    assert me2_numeric("e+ e- > t t~", 400.0, 0.5) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    ("process", "theory", "vector_legs"),
    [
        ("e- a > e- a", "qed", [1, 3]),
        ("e+ e- > a a", "qed", [2, 3]),
        ("u u~ > g g", "qcd", [2, 3]),
        ("g u > g u", "qcd", [0, 2]),
        ("g g > g g", "qcd", [0, 1, 2, 3]),
        ("g g > t t~", "qcd", [0, 1]),
        ("u u~ > a g", "mixed", [2, 3]),
        ("u g > u a", "mixed", [1, 3]),
    ],
)
def test_ward_identity(process, theory, vector_legs):
    proc = Process.parse(process)
    masses = process_masses(proc, massless=False)
    sqrt_s = 2 * max(masses) + 10.0
    p = momenta(tuple(masses), sqrt_s, 0.37)
    legs = build_legs(proc, p, masses)
    scale = np.abs(amplitude_tensor(proc, theory, legs, masses)).max()
    for n in vector_legs:
        legs = build_legs(proc, p, masses)
        legs[n].wave = np.array([p[n], p[n]], dtype=complex)  # epsilon -> k
        assert np.abs(amplitude_tensor(proc, theory, legs, masses)).max() < 1e-10 * scale


def test_identical_final_states_are_symmetric_under_theta_to_pi_minus_theta():
    for process in ("e- e- > e- e-", "e+ e- > a a", "u u~ > g g", "g g > g g"):
        assert me2_numeric(process, 30.0, 0.3) == pytest.approx(me2_numeric(process, 30.0, -0.3), rel=1e-10)


def test_azimuth_does_not_matter():
    proc = Process.parse("g u > g u")
    masses = process_masses(proc, False)
    from amplitudes.physics.numeric import me2_numeric_at

    values = [
        me2_numeric_at(proc, "qcd", momenta(tuple(masses), 20.0, 0.2, phi), masses, Couplings())
        for phi in (0.0, 1.0, 2.5)
    ]
    assert values == pytest.approx([values[0]] * 3, rel=1e-10)


def test_spinor_completeness_and_dirac_equation():
    p = np.array([5.0, 1.0, 2.0, 3.0])
    m = float(np.sqrt(dot(p, p)))
    u, v = spinors_u(p, m), spinors_v(p, m)
    assert np.allclose(sum(np.outer(u[s], bar(u)[s]) for s in range(2)), slash(p) + m * np.eye(4))
    assert np.allclose(sum(np.outer(v[s], bar(v)[s]) for s in range(2)), slash(p) - m * np.eye(4))
    assert np.allclose((slash(p) - m * np.eye(4)) @ u.T, 0) and np.allclose((slash(p) + m * np.eye(4)) @ v.T, 0)


def test_colour_algebra():
    t, f = colour_matrices()
    assert np.allclose(np.einsum("aij,bji->ab", t, t), np.eye(8) / 2)
    assert np.allclose(np.einsum("aij,ajk->ik", t, t), 4 / 3 * np.eye(3))  # C_F
    assert np.allclose(np.einsum("acd,bcd->ab", f, f), 3 * np.eye(8))  # C_A
    assert np.allclose(f, -np.swapaxes(f, 0, 1)) and f[0, 1, 2] == pytest.approx(1.0)


def test_qcd_averages_use_colour_and_spin_states():
    assert particle("g").colour_states == 8 and particle("u~").colour_states == 3
