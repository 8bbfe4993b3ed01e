"""The amplitude as written, evaluated with explicit spinors, polarisations, Dirac and colour
matrices: for every generated diagram, sum |A|^2 equals the generator's per-diagram |M_d|^2 (which
the squared-amplitude tests check against textbooks and MARTY's rows), whatever form the text takes
(spinor equation, Fierz, term by term, either factoring, process rows)."""

from __future__ import annotations

import numpy as np
import pytest
from sympy import lambdify

from amplitudes.physics.amplitude import AmplitudeBuilder, IndexFactory, diagram_amplitudes
from amplitudes.physics.me2 import point_values, symbolic_per_diagram
from amplitudes.physics.particles import marty_field
from amplitudes.physics.phase_space import collision_point, invariants
from amplitudes.physics.process import Process
from amplitudes.physics.text_numeric import TooLarge, amplitude_squared
from symtok import parse
from symtok.errors import SymtokError

PROCESSES = [
    ("e+ e- > mu+ mu-", "qed"),
    ("e- a > e- a", "qed"),
    ("e+ e- > a a", "qed"),
    ("a a > t t~", "qed"),
    ("e+ e- > e+ e-", "qed"),
    ("u u~ > d d~", "qcd"),
    ("u d > u d", "qcd"),
    ("u u~ > g g", "qcd"),
    ("u g > u g", "qcd"),
    ("g g > g g", "qcd"),
    ("u u~ > a g", "mixed"),
    ("e+ e- > mu+ mu- a", "qed"),
    ("u u~ > d d~ g", "qcd"),
    ("u u~ > d d~ a", "mixed"),
]


def point(process: Process, theory: str, seed: int = 3):
    masses = [float(p.mass) for p in process.legs]
    sqrt_s = max(masses[0] + masses[1], sum(masses[2:])) * 1.5 + 5.0
    p = collision_point(masses, sqrt_s, np.random.default_rng(seed))
    values = point_values(process, invariants(p)) | {f"m_{marty_field(x.pdg, theory)}": x.mass for x in process.legs}
    return p, values


def per_diagram(process: str, theory: str, values: dict[str, float]) -> list[float]:
    out = []
    for square in symbolic_per_diagram(process, theory):
        symbols = sorted(square.free_symbols, key=str)
        out.append(complex(lambdify(symbols, square)(*(values[s.name] for s in symbols))).real)
    return out


@pytest.mark.parametrize(("process", "theory"), PROCESSES)
@pytest.mark.parametrize(
    "variant", [{"line_unit_term": 0, "fierz_cross_first": True}, {"line_unit_term": 1, "fierz_cross_first": False}]
)
def test_every_diagram_text_squares_to_its_squared_amplitude(process, theory, variant):
    parsed = Process.parse(process)
    p, values = point(parsed, theory)
    amplitudes = diagram_amplitudes(parsed, theory, IndexFactory(7), **variant)
    expected = per_diagram(process, theory, values)
    assert len(amplitudes) == len(expected)
    for amplitude, square in zip(amplitudes, expected, strict=True):
        assert amplitude_squared(amplitude, parsed, p, values) == pytest.approx(square, rel=1e-9)


@pytest.mark.parametrize(("process", "theory"), [("e- a > e- a", "qed"), ("u u~ > g g", "qcd")])
def test_marty_form_and_process_form_have_the_same_value(process, theory):
    """The spinor-equation form (MARTY's rows) and the plain (qslash + m) form of one diagram."""
    parsed = Process.parse(process)
    p, values = point(parsed, theory, seed=11)
    marty = diagram_amplitudes(parsed, theory, IndexFactory(1))
    plain = diagram_amplitudes(parsed, theory, IndexFactory(1), marty=False)
    assert any(str(a) != str(b) for a, b in zip(marty, plain, strict=True))
    for a, b in zip(marty, plain, strict=True):
        assert amplitude_squared(a, parsed, p, values) == pytest.approx(
            amplitude_squared(b, parsed, p, values), rel=1e-9
        )


def test_physical_polarisations_give_the_gauge_invariant_total():
    """Summed over the diagrams first, the physical-polarisation |M|^2 of e+ e- > a a equals the -g one."""
    parsed = Process.parse("e+ e- > a a")
    p, values = point(parsed, "qed")
    total = sum(diagram_amplitudes(parsed, "qed", IndexFactory(2)))
    feynman = amplitude_squared(total, parsed, p, values)
    physical = amplitude_squared(total, parsed, p, values, vector_sum="physical")
    assert physical == pytest.approx(feynman, rel=1e-9)
    single = diagram_amplitudes(parsed, "qed", IndexFactory(2))[0]
    assert amplitude_squared(single, parsed, p, values, vector_sum="physical") != pytest.approx(
        amplitude_squared(single, parsed, p, values), rel=1e-3
    )


def test_bad_text_is_a_clear_error():
    parsed = Process.parse("e+ e- > mu+ mu-")
    p, values = point(parsed, "qed")
    thrice = parse("gamma_{%\\mu_1,%a_1,%a_2}*gamma_{%\\mu_1,%a_2,%a_3}*gamma_{+%\\mu_1,%a_3,%a_1}")
    with pytest.raises(SymtokError, match="occurs 3 times"):
        amplitude_squared(thrice, parsed, p, values)
    amplitude = diagram_amplitudes(parsed, "qed", IndexFactory(1))[0]
    with pytest.raises(SymtokError, match="no value for e"):
        amplitude_squared(amplitude, parsed, p, {k: v for k, v in values.items() if k != "e"})


@pytest.mark.parametrize(
    ("process", "eliminated"),
    [
        ("e- a > e- a", 2),  # every fermion on shell: the first vector boson's momentum
        ("e- a* > e- a", 2),  # an off-shell boson changes nothing
        ("e-* a > e- a", 4),  # an off-shell fermion: the last leg's
        ("a a > e- e+", 1),
        ("a a > e- e+*", 4),
        ("u u~ > g g", 3),
    ],
)
def test_the_momentum_marty_eliminates(process, eliminated):
    """Measured on every OffShell pattern of the 2025 rows (docs/physics.md); the amplitude's value
    does not depend on it (the tests above)."""
    parsed = Process.parse(process)
    theory = "qcd" if " g" in process else "qed"
    assert AmplitudeBuilder(parsed, theory, IndexFactory(0)).eliminated_leg() == eliminated


def test_an_amplitude_too_large_to_evaluate_is_refused_at_once():
    """g g > g g g has 4^5 polarisation x 8^5 colour states: refused before any expansion."""
    parsed = Process.parse("g g > g g g")
    p, values = point(parsed, "qcd")
    amplitude = diagram_amplitudes(parsed, "qcd", IndexFactory(0))[0]
    with pytest.raises(TooLarge, match="external helicity and colour states"):
        amplitude_squared(amplitude, parsed, p, values)
