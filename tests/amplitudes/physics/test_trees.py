"""2→3 at tree level: topology enumeration, symbolic |M_d|^2 against the independent numeric
evaluator, Ward identities, the textbook e+ e- -> q q~ g, RAMBO and the public ``me2_at``."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from sympy import lambdify

from amplitudes import me2_at
from amplitudes.generate import process_rows
from amplitudes.physics.diagrams import diagrams
from amplitudes.physics.me2 import point_values
from amplitudes.physics.numeric import me2_numeric_at
from amplitudes.physics.numeric_trees import TreeEvaluator, me2_trees_at
from amplitudes.physics.phase_space import collision_point, dot, invariants, momenta, rambo
from amplitudes.physics.process import Process, process_masses, symba_symmetry_factor
from amplitudes.physics.squared import diagram_squares, squared_amplitude
from amplitudes.physics.theory import enumerate_processes
from amplitudes.physics.trees import tree_diagrams
from amplitudes.symba import check_row
from symtok import SymtokError
from symtok.io import Row
from symtok.parse import parse
from symtok.roundtrip import check_roundtrip

# processes with every kind of 2→3 tree: one or two fermion lines, photon and gluon emission,
# three-gluon vertices, fermion exchange, massive and identical legs
PROCESSES = [
    ("qed", "e+ e- > mu+ mu- a"),
    ("qed", "e- e- > e- e- a"),
    ("qed", "e+ e- > e+ e- a"),
    ("mixed", "e+ e- > u u~ g"),
    ("mixed", "e- u > e- u g"),
    ("qcd", "u u~ > d d~ g"),
    ("qcd", "u g > u d d~"),
    ("qcd", "u u~ > u u~ g"),
    ("qcd", "u u~ > t t~ g"),
]


def _value(expr, values: dict[str, float]) -> float:
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    return complex(lambdify(args, expr, "math")(*(values[a.name] for a in args))).real


def _point(process: Process, rng: np.random.Generator) -> tuple[np.ndarray, list[float]]:
    masses = process_masses(process)
    return collision_point(masses, 3 * sum(masses) + rng.uniform(5, 50), rng), masses


def test_parse_print_and_identical_particle_factor():
    p = Process.parse("e+ e- > a a a*")
    assert p.n_legs == 5 and p.offshell == frozenset({5}) and str(p) == "e+ e- > a a a*"
    assert symba_symmetry_factor(p) == symba_symmetry_factor(p.on_shell) and float(symba_symmetry_factor(p)) == 1 / 6
    assert float(symba_symmetry_factor(Process.parse("e+ e- > mu+ mu- a"))) == 1.0
    for bad in ("e+ e- > mu+ mu- a a", "e+ > mu+ mu-", "e+ e- > mu+ mu- a*5"):
        with pytest.raises(SymtokError):
            Process.parse(bad)


def test_tree_enumeration_reproduces_the_2to2_channel_table():
    """Every 2→2 exchange, and the four-gluon contact of g g > g g (a root joining three leaves)."""
    for theory in ("qed", "qcd", "mixed"):
        for p in enumerate_processes(theory):
            trees = tree_diagrams(p, theory)
            assert len(trees) == len(diagrams(p, theory)), (theory, str(p))
            contacts = [t for t in trees if len(t.root) == 3]
            assert len(contacts) == (1 if all(x.name == "g" for x in p.legs) else 0), (theory, str(p))


@pytest.mark.parametrize(
    ("text", "count"), [("e+ e- > mu+ mu- a", 4), ("e+ e- > e+ e- a", 8), ("e+ e- > a a a", 6), ("e+ e- > u u~ g", 2)]
)
def test_diagram_counts(text: str, count: int):
    assert len(tree_diagrams(Process.parse(text), "mixed" if "g" in text.split() else "qed")) == count


def test_tree_builder_equals_the_2to2_table_symbolically():
    """The n-leg builder gives the 2→2 table's |M|^2 (per diagram and total) at random points."""
    rng = random.Random(0)
    for theory in ("qed", "qcd", "mixed"):
        chosen = enumerate_processes(theory)
        gluons_only = [p for p in chosen if all(x.name == "g" for x in p.legs)]
        for p in rng.sample(chosen, 4) + gluons_only:
            masses = process_masses(p)
            values = point_values(p, invariants(momenta(tuple(masses), 3 * sum(masses) + 10, 0.3)))
            for gluons in ("feynman", "physical"):
                a = squared_amplitude(p, theory, gluons=gluons)
                b = squared_amplitude(p, theory, gluons=gluons, enumeration="trees")
                assert _value(b.total, values) == pytest.approx(_value(a.total, values), rel=1e-10)
                assert sorted(_value(x, values) for x in b.per_diagram) == pytest.approx(
                    sorted(_value(x, values) for x in a.per_diagram), rel=1e-10
                )


def test_tree_numeric_equals_the_2to2_numeric_evaluator():
    rng = random.Random(1)
    for theory in ("qed", "qcd", "mixed"):
        chosen = enumerate_processes(theory)
        gluons_only = [p for p in chosen if all(x.name == "g" for x in p.legs)]
        for p in rng.sample(chosen, 6) + gluons_only:
            masses = process_masses(p)
            point = momenta(tuple(masses), 3 * sum(masses) + 10, -0.4)
            assert me2_trees_at(p, theory, point, masses)[1] == pytest.approx(
                me2_numeric_at(p, theory, point, masses), rel=1e-10
            )


@pytest.mark.parametrize(("theory", "text"), PROCESSES)
def test_2to3_symbolic_equals_numeric_per_diagram_and_in_total(theory: str, text: str):
    """Each diagram's symbolic |M_d|^2 (traces, -g polarisation sums) equals the numeric one (explicit
    spinors, the four polarisation vectors weighted by -g), and the physical totals agree."""
    p = Process.parse(text)
    rng = np.random.default_rng(hash(text) % 2**32)
    per = diagram_squares(p, theory)
    total = squared_amplitude(p, theory).total if len(per) <= 5 else None
    for _ in range(2):
        point, masses = _point(p, rng)
        values = point_values(p, invariants(point))
        numeric, _ = me2_trees_at(p, theory, point, masses, pols="feynman")
        assert [_value(x, values) for x in per] == pytest.approx(numeric, rel=1e-9)
        if total is not None:
            physical = me2_trees_at(p, theory, point, masses)[1]
            assert _value(total, values) == pytest.approx(physical, rel=1e-9)


@pytest.mark.parametrize(
    ("theory", "text"),
    [
        ("qed", "e+ e- > mu+ mu- a"),
        ("qed", "e+ e- > a a a"),
        ("qed", "e- a > e- a a"),
        ("qed", "e- e- > e- e- a"),
        ("mixed", "e+ e- > u u~ g"),
        ("mixed", "u u~ > a a g"),
        ("qcd", "u u~ > d d~ g"),
        ("qcd", "u g > u d d~"),
        ("qcd", "u d > u d g"),
        ("qcd", "u u~ > g g g"),
        ("qcd", "u g > u g g"),
        ("qcd", "g g > u u~ g"),
    ],
)
def test_ward_identities_at_2to3(theory: str, text: str):
    """With one boson's polarisation replaced by its momentum the sum over diagrams vanishes (the
    other gauge bosons physical), while single diagrams do not."""
    p = Process.parse(text)
    rng = np.random.default_rng(7)
    point, masses = _point(p, rng)
    trees = tree_diagrams(p, theory)
    for leg, particle in enumerate(p.legs):
        if not particle.is_vector:
            continue
        ev = TreeEvaluator(p, theory, point, masses, ward_leg=leg)
        amps = [ev.amplitude(t) for t in trees]
        scale = max(np.abs(a).max() for a in amps)
        assert scale > 1e-6
        assert np.abs(sum(amps)).max() < 1e-10 * scale, (text, leg + 1)


def _has_quartic(tree) -> bool:
    return len(tree.root) == 3 or any(len(n.children) == 3 for n in tree.propagators())


def test_four_gluon_vertex_at_2to3():
    """u u~ > g g g: 16 diagrams, one through the four-gluon vertex; without it the Ward identity of
    every gluon fails, with it the sum vanishes; its symbolic |M_d|^2 (and two others') equals the
    numeric one; the public me2_at evaluates the process."""
    p = Process.parse("u u~ > g g g")
    trees = tree_diagrams(p, "qcd")
    assert len(trees) == 16 and [str(t) for t in trees if _has_quartic(t)] == ["[(1 2)→g 3 4 5]"]
    assert len(tree_diagrams(Process.parse("g g > g g g"), "qcd")) == 25  # 15 cubic + 10 with the contact
    with pytest.raises(SymtokError, match="not computed"):  # its physical total would take > 15 minutes
        squared_amplitude("g g > g g g", "qcd")
    point, masses = _point(p, np.random.default_rng(11))
    for leg in (2, 3, 4):
        ev = TreeEvaluator(p, "qcd", point, masses, ward_leg=leg)
        amps = [ev.amplitude(t) for t in trees]
        scale = max(np.abs(a).max() for a in amps)
        cubic = sum(a for a, t in zip(amps, trees, strict=True) if not _has_quartic(t))
        assert np.abs(sum(amps)).max() < 1e-10 * scale
        assert np.abs(cubic).max() > 1e-3 * scale
    per = diagram_squares(p, "qcd")
    values = point_values(p, invariants(point))
    ev = TreeEvaluator(p, "qcd", point, masses, pols="feynman")
    average = 4 * 9
    for n in [k for k, t in enumerate(trees) if _has_quartic(t)] + [0, 7]:
        a = ev.amplitude(trees[n])
        numeric = float(np.sum(ev.weights * np.sum(np.abs(a.reshape(len(a), -1)) ** 2, axis=1))) / average
        assert _value(per[n], values) == pytest.approx(numeric, rel=1e-9), str(trees[n])
    assert me2_at(p, point) == pytest.approx(me2_trees_at(p, "qcd", point, masses)[1], rel=1e-12)


def test_four_gluon_rows_round_trip_and_pass_check_symba():
    """Rows of u u~ > g g g: the four-gluon diagram's amplitude carries two f's sharing a summed colour
    index; every row round-trips through the codec and check-symba finds it again."""
    p = Process.parse("u u~ > g g g")
    rows = process_rows(p, "qcd")
    trees = tree_diagrams(p, "qcd")
    assert len(rows) == len(trees) == 16
    contact = rows[next(n for n, t in enumerate(trees) if _has_quartic(t))]
    assert contact.amplitude.count("f_{") == 6  # three colour terms, two f's each
    rng = random.Random(2)
    for n, row in enumerate(rows):
        assert check_roundtrip(row.amplitude).ok and check_roundtrip(row.squared_amplitude).ok
        checked = check_row(Row(n, row.amplitude, row.squared_amplitude, row.interaction, row.diagram), "qcd", 2, rng)
        assert checked.status == "match", checked.reason


def _parke_taylor(k: list[np.ndarray]) -> float:
    """Colour- and helicity-summed |M|^2 of n = 4 or 5 gluons (g = 1, N = 3, Tr t^a t^b = delta/2) from
    the Parke-Taylor amplitudes (Mangano & Parke, Phys. Rep. 200 (1991) 301):
    N^(n-2) (N^2-1) h_n sum_{i<j} s_ij^4 sum_{(n-1)! orderings} 1/(s_12 s_23 ... s_n1), s_ij = 2 k_i.k_j,
    where h_n counts the MHV configurations and their parity conjugates (the same at n = 4: h_4 = 1;
    h_5 = 2). At n <= 5 the leading-colour sum is exact."""
    n = len(k)
    s = {(i, j): 2 * dot(k[i], k[j]) for i in range(n) for j in range(n) if i != j}
    mhv = sum(s[i, j] ** 4 for i, j in itertools.combinations(range(n), 2))
    orderings = sum(
        1 / math.prod(s[c[i], c[(i + 1) % n]] for i in range(n))
        for c in ((0, *perm) for perm in itertools.permutations(range(1, n)))
    )
    return 3 ** (n - 2) * 8 * (1 if n == 4 else 2) * mhv * orderings


@pytest.mark.parametrize("text", ["g g > g g", "g g > g g g"])
def test_pure_gluon_scattering_matches_parke_taylor(text: str):
    """The numeric evaluator (three- and four-gluon vertices, physical polarisations, explicit colour)
    against the Parke-Taylor formula at random points: g g > g g g needs the four-gluon vertex in 10
    of its 25 diagrams."""
    p = Process.parse(text)
    rng = np.random.default_rng(4)
    for _ in range(2 if p.n_legs == 4 else 1):
        point = collision_point([0.0] * p.n_legs, 100.0, rng)
        k = [point[0], point[1], *(-x for x in point[2:])]  # all incoming
        summed = me2_trees_at(p, "qcd", point, [0.0] * p.n_legs)[1] * 4 * 64  # undo the initial average
        assert summed == pytest.approx(_parke_taylor(k), rel=1e-9)


def _esw_event(x1: float, x2: float, sqrt_s: float, beam: np.ndarray) -> np.ndarray:
    energy = sqrt_s / 2
    x3 = 2 - x1 - x2
    cos12 = 1 - 2 * (1 - x3) / (x1 * x2)  # massless: the angle between quark and antiquark
    q = np.array([x1 * energy, 0, 0, x1 * energy])
    qbar = x2 * energy * np.array([1, math.sqrt(1 - cos12**2), 0, cos12])
    gluon = np.concatenate([[x3 * energy], -(q[1:] + qbar[1:])])
    return np.array([[energy, *(energy * beam)], [energy, *(-energy * beam)], q, qbar, gluon])


def test_e_e_to_q_qbar_g_matches_ellis_stirling_webber():
    """Averaged over the event's orientation, |M|^2 of e+ e- -> q q~ g is (8/3) N C_F Q^2 e^4 g^2 / s
    times (x1^2 + x2^2) / ((1 - x1)(1 - x2)) (ESW eq. 3.13 with sigma_0 and 3-body phase space). |M|^2
    is quadratic in the beam direction n, so the mean over n = x, y, z is the exact sphere average."""
    sqrt_s, charge = 91.0, 2 / 3
    constant = 8 / 3 * 3 * (4 / 3) * charge**2 / sqrt_s**2
    rng = np.random.default_rng(3)
    for _ in range(6):
        x1, x2 = rng.uniform(0.3, 0.99, size=2)
        if x1 + x2 <= 1.02:
            continue
        mean = np.mean([me2_at("e+ e- > u u~ g", _esw_event(x1, x2, sqrt_s, n), massless=True) for n in np.eye(3)])
        assert mean == pytest.approx(constant * (x1**2 + x2**2) / ((1 - x1) * (1 - x2)), rel=1e-10)


def test_rambo_points_conserve_momentum_and_sit_on_shell():
    rng = np.random.default_rng(11)
    for masses in ([0.0, 0.0, 0.0], [0.1, 1.7, 0.0], [173.0, 173.0, 0.0]):
        p = rambo(500.0, masses, rng)
        assert np.allclose(p.sum(axis=0), [500.0, 0, 0, 0], atol=1e-9)
        assert np.allclose(dot(p, p), np.square(masses), atol=1e-7 * 500**2)
        assert np.all(p[:, 0] > 0)
    with pytest.raises(SymtokError):
        rambo(300.0, [173.0, 173.0, 0.0], rng)
    # massless RAMBO is uniform: a final-state direction is isotropic
    cos = [rambo(100.0, [0.0] * 3, rng)[0, 3] / 100.0 * 2 for _ in range(4000)]
    assert abs(np.mean(cos) / np.std(cos)) < 0.1


def test_me2_at_refuses_bad_momenta_and_matches_the_2to2_numeric():
    p = Process.parse("e+ e- > mu+ mu-")
    masses = process_masses(p)
    point = momenta(tuple(masses), 10.0, 0.2)
    assert me2_at(p, point) == pytest.approx(me2_numeric_at(p, "qed", point, masses), rel=1e-12)
    bad = point.copy()
    bad[3, 1] += 0.1
    for momenta_, match in ((bad, "conserve"), (point[:3], "shape"), (point * np.nan, "finite")):
        with pytest.raises(SymtokError, match=match):
            me2_at(p, momenta_)
    with pytest.raises(SymtokError, match="mass shells"):
        me2_at(p, point, massless=True)
    on_shell = collision_point(process_masses(Process.parse("e+ e- > mu+ mu- a")), 20.0, np.random.default_rng(0))
    with pytest.raises(SymtokError, match="off-shell"):
        me2_at("e+ e- > mu+ mu- a*", on_shell)


def test_generated_2to3_rows_round_trip_and_pass_check_symba():
    """Rows of 2→3 processes (on and off shell) parse, round-trip through the codec and are found
    again by check-symba; an off-shell row at p_i^2 = m_i^2 equals the on-shell row."""
    rng = random.Random(5)
    for theory, text in (("qed", "e+ e- > mu+ mu- a"), ("qcd", "u u~ > d d~ g"), ("mixed", "e+ e- > u u~ g")):
        for variant in (text, text + "*"):
            rows = process_rows(Process.parse(variant), theory)
            assert len(rows) == len(tree_diagrams(Process.parse(text), theory))
            for n, row in enumerate(rows):
                for field in (row.amplitude, row.squared_amplitude):
                    assert check_roundtrip(field).ok, (variant, field[:80])
                row_ = Row(n, row.amplitude, row.squared_amplitude, row.interaction, row.diagram)
                check = check_row(row_, theory, 2, rng)
                assert check.status == "match", (variant, check.reason)
        on, off = process_rows(Process.parse(text), theory), process_rows(Process.parse(text + "*"), theory)
        p = Process.parse(text)
        point = collision_point(process_masses(p), 60.0, np.random.default_rng(2))
        values = point_values(p, invariants(point))
        values["s_55"] = float(dot(point[4], point[4]))
        for a, b in zip(on, off, strict=True):
            ours, theirs = _value(parse(b.squared_amplitude), values), _value(parse(a.squared_amplitude), values)
            assert ours == pytest.approx(theirs, rel=1e-10)
