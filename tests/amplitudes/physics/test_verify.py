"""The check of a squared amplitude against its amplitude's own text: every generated diagram's
squared amplitude passes (on- and off-shell legs, QED and QCD, read from the amplitude text alone),
and a wrong one fails."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer

from amplitudes.physics.amplitude import IndexFactory, diagram_amplitudes
from amplitudes.physics.me2 import symbolic_per_diagram
from amplitudes.physics.numeric import bar, slash, spinors_u, spinors_v
from amplitudes.physics.process import Process, symba_symmetry_factor
from amplitudes.physics.text_numeric import offshell_spinors
from amplitudes.physics.verify import SquaredCheck, legs_of_amplitude, offshell_in
from symtok import parse, to_string
from symtok.errors import SymtokError
from symtok.symbols import symbol_for

PROCESSES = [
    ("e+ e- > mu+ mu-", "qed"),
    ("e- a > e- a", "qed"),
    ("e- a > e- a*", "qed"),
    ("e-* a > e- a", "qed"),
    ("e+ e- > mu+* mu-", "qed"),
    ("e+ e-* > a a", "qed"),
    ("e- e- > e- e-", "qed"),
    ("u u~ > g g", "qcd"),
    ("u g > u g*", "qcd"),
    ("e+ e- > mu+ mu- a", "qed"),
]


def rows(process: str, theory: str):
    """(amplitude text, its SYMBA squared amplitude) per generated diagram."""
    parsed = Process.parse(process)
    factor = symba_symmetry_factor(parsed)
    amplitudes = diagram_amplitudes(parsed, theory, IndexFactory(5))
    squares = symbolic_per_diagram(process, theory)
    assert len(amplitudes) == len(squares)
    return [(to_string(a), factor * s) for a, s in zip(amplitudes, squares, strict=True)]


@pytest.mark.parametrize(("process", "theory"), PROCESSES)
def test_every_generated_diagram_passes_with_legs_read_from_the_text(process, theory):
    parsed = Process.parse(process)
    for amplitude, square in rows(process, theory):
        check = SquaredCheck(parse(amplitude))
        assert [p.name for p in check.legs] == [p.name for p in parsed.legs]
        assert check.accepts(square)
        assert SquaredCheck(parse(amplitude), offshell=parsed.offshell, seed=4).accepts(square)


@pytest.mark.parametrize(("process", "theory"), PROCESSES)
def test_a_wrong_squared_amplitude_fails(process, theory):
    generated = rows(process, theory)
    for amplitude, square in generated:
        check = SquaredCheck(parse(amplitude))
        assert not check.accepts(2 * square)
        assert not check.accepts(square + symbol_for("s_13") ** 2)
        swapped = square.subs(
            {symbol_for("s_13"): symbol_for("s_14"), symbol_for("s_14"): symbol_for("s_13")}, simultaneous=True
        )
        if swapped.free_symbols & {symbol_for("s_13"), symbol_for("s_14")} and not (swapped - square).expand() == 0:
            assert not check.accepts(swapped)
        assert not check.accepts(Integer(0))
        assert not check.accepts(square * symbol_for("m_unknown"))  # a symbol with no value: not accepted


def test_on_shell_and_off_shell_differ():
    """An OffShell leg's s_ii is a number of its own: the off-shell square is not the on-shell one,
    and the check tells them apart by the legs it is given (or reads them from s_ii)."""
    found = [(a, s) for a, s in rows("e-* a > e- a", "qed") if symbol_for("s_11") in s.free_symbols]
    assert found
    for amplitude, off in found:
        on = off.subs(symbol_for("s_11"), symbol_for("m_e") ** 2)  # the same diagram with p_1 on shell
        assert SquaredCheck(parse(amplitude), offshell=()).accepts(on)
        assert not SquaredCheck(parse(amplitude), offshell=(1,)).accepts(on)
        assert SquaredCheck(parse(amplitude), offshell=(1,)).accepts(off)
        assert offshell_in(off) == {1}
        text = parse(amplitude)
        inferred = SquaredCheck(text)  # off shell where the amplitude or the candidate shows s_11
        assert inferred.accepts(off)
        assert inferred.accepts(on) == (symbol_for("s_11") not in text.free_symbols)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    st.floats(0.0, 20.0),
    st.floats(-30.0, 30.0),
    st.booleans(),
)
def test_offshell_states_sum_to_the_spin_sum(p3, mass, virtuality, v_type):
    energy = float(np.sqrt(np.dot(p3, p3) + mass**2 + 1.0)) + abs(virtuality)
    p = np.array([energy, *p3])
    waves, weights = offshell_spinors(p, mass, v_type)
    total = np.einsum("k,ka,kb->ab", weights, waves, bar(waves))
    expected = slash(p) + (-mass if v_type else mass) * np.eye(4)
    assert np.allclose(total, expected, atol=1e-9 * max(1.0, energy))


@pytest.mark.parametrize("v_type", [False, True])
def test_offshell_states_on_shell_are_the_helicity_sum(v_type):
    p3, m = np.array([1.0, -2.0, 0.5]), 1.3
    p = np.array([np.sqrt(p3 @ p3 + m * m), *p3])
    waves, weights = offshell_spinors(p, m, v_type)
    helicity = (spinors_v if v_type else spinors_u)(p, m)
    assert np.allclose(np.einsum("k,ka,kb->ab", weights, waves, waves.conj()), helicity.T @ helicity.conj())
    assert int(np.sum(np.linalg.norm(waves, axis=1) > 1e-6)) == 2  # two states vanish on shell


@pytest.mark.parametrize(
    "text",
    [
        "e^2*s_12",  # no wave functions
        "e_{i_1,%del_1}(p_1)_u*e_{i_2,%del_1}(p_2)_u^(*)",  # two legs only
        "e_{i_1,%del_1}(p_1)_u^(*)*e_{i_2,%del_1}(p_2)_u*A_{i_3,%\\sigma_1}(p_3)*A_{i_4,%\\sigma_1}(p_4)^(*)",
    ],
)
def test_an_amplitude_whose_process_cannot_be_read_is_an_error(text):
    with pytest.raises(SymtokError):
        legs_of_amplitude(parse(text))


def test_verify_rows_gives_every_row_a_verdict_and_the_cli_exits_1_on_a_failure(tmp_path, capsys):
    import csv
    import json

    from amplitudes.symba import verify_pair_rows
    from cli.main import run

    good = rows("e- a > e- a*", "qed")
    path = tmp_path / "pairs.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["amp", "sqamp"])
        for amplitude, square in good:
            writer.writerow([amplitude, to_string(square)])
        writer.writerow([good[0][0], to_string(3 * good[0][1])])  # a wrong squared amplitude
        writer.writerow(["e^2*s_12", "e^4"])  # no wave functions: uncheckable
        writer.writerow(["gamma_{%\\sigma_1", "e^2"])  # unreadable
    verdicts = list(verify_pair_rows(str(path)))
    assert [v.status for v in verdicts] == ["pass"] * len(good) + ["fail", "uncheckable", "error"]
    assert run(["amplitudes", "verify", str(path), "--json", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert len([json.loads(x) for x in captured.out.splitlines() if x.strip()]) == len(good) + 3
    assert f"{len(good)}/{len(good) + 3} rows" in captured.err
