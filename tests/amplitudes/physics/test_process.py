"""Particles, processes, diagrams and kinematics."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from amplitudes.physics.diagrams import diagrams
from amplitudes.physics.particles import PARTICLES, particle
from amplitudes.physics.phase_space import check_point, dot, invariants, momenta
from amplitudes.physics.process import Process
from amplitudes.physics.theory import enumerate_processes
from symtok import SymtokError


def test_particle_table_from_pdg():
    assert (
        particle("e-").charge == -1
        and particle("u").charge == Fraction(2, 3)
        and particle("d~").charge == Fraction(1, 3)
    )
    assert particle("mu-").mass == pytest.approx(0.1056583755) and particle("t").mass > 170
    assert particle("g").colour == 8 and particle("u~").colour == -3 and particle("a").colour == 1
    assert (
        particle("ta+").antiparticle == "ta-"
        and particle("e-").field == "e"
        and particle("ta-").field == "t"
        and particle("t").field == "tt"
    )
    with pytest.raises(SymtokError, match="unknown particle"):
        particle("zz")


def test_process_parse_and_conservation():
    p = Process.parse("e+ e- > mu+ mu-")
    assert str(p) == "e+ e- > mu+ mu-" and p.conserves()
    assert not Process.parse("e+ e- > mu+ e-").conserves()
    assert not Process.parse("u u~ > u d~").conserves()
    for bad in ("e+ e- mu+ mu-", "e+ > mu+ mu-", "e+ e- > mu+ mu- a a"):
        with pytest.raises(SymtokError):
            Process.parse(bad)


@pytest.mark.parametrize(
    ("process", "theory", "channels"),
    [
        ("e+ e- > mu+ mu-", "qed", ["s"]),
        ("e+ e- > e+ e-", "qed", ["s", "t"]),
        ("e- e- > e- e-", "qed", ["t", "u"]),
        ("e- a > e- a", "qed", ["s", "u"]),
        ("a a > mu+ mu-", "qed", ["t", "u"]),
        ("u u~ > g g", "qcd", ["s", "t", "u"]),
        ("g g > g g", "qcd", ["s", "t", "u", "contact"]),
        ("u d > u d", "qcd", ["t"]),
        ("a a > a a", "qed", []),
    ],
)
def test_diagrams(process, theory, channels):
    assert [d.channel for d in diagrams(Process.parse(process), theory)] == channels


def key(process):
    """A process as unordered pairs of names on each side."""
    p = Process.parse(process) if isinstance(process, str) else process
    return (tuple(sorted(x.name for x in p.incoming)), tuple(sorted(x.name for x in p.outgoing)))


def test_enumeration_is_complete_and_consistent():
    qed, qcd = enumerate_processes("qed"), enumerate_processes("qcd")
    names = {key(p) for p in qed}
    assert {key(x) for x in ("e+ e- > mu+ mu-", "e+ e- > a a", "a e- > a e-", "e- e- > e- e-", "a a > t t~")} <= names
    assert key("a a > a a") not in names  # no tree-level light-by-light
    assert all(p.conserves() and diagrams(p, "qed") for p in qed)
    qcd_names = {key(p) for p in qcd}
    assert {
        key(x) for x in ("g g > g g", "u u~ > g g", "g u > g u", "u d > u d", "u u > u u", "g g > t t~")
    } <= qcd_names
    assert len(qed) == len(names) and len(qcd) == len(qcd_names)  # no duplicates
    assert all(not any(p.name == "a" for p in proc.legs) for proc in qcd)


def test_momenta_conserve_energy_momentum_and_masses():
    masses = (0.000511, 0.000511, 0.10566, 0.10566)
    p = momenta(masses, 3.0, 0.4)
    assert (p[0] + p[1] - p[2] - p[3]) == pytest.approx([0, 0, 0, 0], abs=1e-12)
    for n, m in enumerate(masses):
        assert math.sqrt(dot(p[n], p[n])) == pytest.approx(m, rel=1e-9, abs=1e-12)
    inv = invariants(p)
    assert inv["s"] == pytest.approx(9.0)
    assert inv["s"] == pytest.approx(masses[0] ** 2 + masses[1] ** 2 + 2 * inv["s_12"])  # MARTY's s_ij = p_i.p_j
    assert inv["s"] + inv["t"] + inv["u"] == pytest.approx(sum(m * m for m in masses))


@pytest.mark.parametrize(
    ("sqrt_s", "cos", "message"), [(0.2, 0.0, "threshold"), (5.0, 1.2, "outside"), (float("nan"), 0.0, "finite")]
)
def test_unphysical_points_are_rejected(sqrt_s, cos, message):
    with pytest.raises(SymtokError, match=message):
        check_point((0.1, 0.1, 0.1057, 0.1057), sqrt_s, cos)


def test_every_particle_has_its_antiparticle():
    for name, p in PARTICLES.items():
        assert PARTICLES[p.antiparticle].antiparticle == name
