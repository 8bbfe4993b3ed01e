"""Symbolic |M|^2 (Dirac traces) against the independent numeric evaluator, on every process."""

from __future__ import annotations

import random

import pytest

from amplitudes.physics.me2 import me2, symbolic
from amplitudes.physics.numeric import me2_numeric
from amplitudes.physics.phase_space import invariants, momenta
from amplitudes.physics.process import Process
from amplitudes.physics.theory import enumerate_processes
from symtok import parse, to_string, tokenize


def random_point(process: Process, rng: random.Random) -> tuple[float, float]:
    masses = [p.mass for p in process.legs]
    threshold = max(masses[0] + masses[1], masses[2] + masses[3])
    return threshold * rng.uniform(1.05, 3.0) + rng.uniform(1.0, 50.0), rng.uniform(-0.98, 0.98)


@pytest.mark.parametrize(
    ("process", "theory"),
    [
        ("e+ e- > mu+ mu-", "qed"),
        ("e+ e- > e+ e-", "qed"),
        ("e- a > e- a", "qed"),
        ("a a > t t~", "qed"),
        ("u u~ > g g", "qcd"),
        ("g u > g u", "qcd"),
        ("g g > t t~", "qcd"),
        ("u u > u u", "qcd"),
        ("u u~ > a g", "mixed"),
        ("a g > t t~", "mixed"),
        ("u u~ > d d~", "mixed"),
    ],
)
def test_two_methods_agree(process, theory):
    rng = random.Random(process)
    for _ in range(5):
        sqrt_s, cos = random_point(Process.parse(process), rng)
        for massless in (False, True):
            a = me2(process, sqrt_s, cos, theory=theory, massless=massless)
            b = me2_numeric(process, sqrt_s, cos, theory=theory, massless=massless)
            assert a == pytest.approx(b, rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("theory", ["qed", "qcd", "mixed"])
def test_two_methods_agree_on_every_process(theory):
    rng = random.Random(theory)
    failures = []
    for process in enumerate_processes(theory):
        sqrt_s, cos = random_point(process, rng)
        a = me2(process, sqrt_s, cos, theory=theory)
        b = me2_numeric(process, sqrt_s, cos, theory=theory)
        if abs(a / b - 1) > 1e-9:
            failures.append((str(process), a, b))
    assert not failures, failures[:5]


def test_per_diagram_terms_sum_to_the_total_without_interference():
    sq = symbolic("e+ e- > mu+ mu-", "qed", False)
    assert len(sq.per_diagram) == 1 and sq.per_diagram[0] == sq.total
    bhabha = symbolic("e+ e- > e+ e-", "qed", False)
    assert len(bhabha.per_diagram) == 2 and (bhabha.total - sum(bhabha.per_diagram)).expand() != 0  # interference


def test_squared_amplitudes_round_trip_through_the_tokenizer():
    for process, theory in (("e+ e- > mu+ mu-", "qed"), ("u u~ > g g", "qcd"), ("a a > t t~", "qed")):
        expr = symbolic(process, theory, False).total
        text = to_string(expr)
        assert parse(text) == expr
        assert tokenize(text)


def test_symbolic_uses_marty_variables():
    expr = symbolic("e+ e- > mu+ mu-", "qed", False).total
    names = {s.name for s in expr.free_symbols}
    assert names <= {"e", "m_e", "m_mu", "s_12", "s_13", "s_14", "s_23", "s_24", "s_34", "reg_prop"}
    assert {"e", "s_12", "reg_prop"} <= names


def test_mixed_processes_use_both_couplings_and_one_gluon_sums_agree():
    from amplitudes.physics.diagrams import couplings_used
    from amplitudes.physics.theory import enumerate_processes, infer_theory

    processes = enumerate_processes("mixed")
    assert processes and all(couplings_used(p, "mixed") == {"a", "g"} for p in processes)
    assert Process.parse("u u~ > a g") in processes and Process.parse("e+ e- > u u~") not in processes
    assert infer_theory(Process.parse("u g > u a")) == "mixed" and infer_theory(Process.parse("u g > u g")) == "qcd"
    # with one external gluon the -g sum is exact (Ward identity): both modes give the same total
    rng = random.Random(5)
    for text in ("u u~ > a g", "u g > u a"):
        sqrt_s, cos = random_point(Process.parse(text), rng)
        physical = symbolic(text, "mixed", False).total
        feynman = symbolic(text, "mixed", False, "feynman").total
        from amplitudes.physics.me2 import point_values

        values = point_values(
            Process.parse(text), invariants(momenta(tuple(p.mass for p in Process.parse(text).legs), sqrt_s, cos))
        )
        a, b = (complex(x.subs({v: values[v.name] for v in x.free_symbols})).real for x in (physical, feynman))
        assert a == pytest.approx(b, rel=1e-9)
