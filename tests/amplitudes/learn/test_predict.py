"""Batch prediction never stops on one row: each row yields a prediction or its error."""

from __future__ import annotations

import pytest

from amplitudes.generate import generate
from amplitudes.learn.predict import default_model_dir, predict_file
from cli.main import run
from symtok.errors import SymtokError


def _mixed_file(tmp_path):
    good = tmp_path / "good.txt"
    generate("qed", good, processes=["e+ e- > mu+ mu-", "e+ e- > t t~"], mode="diagram", progress=False)
    rows = good.read_text().splitlines()
    broken = "Interaction: nonsense : no diagram : gamma_{%\\sigma_1 : 1"
    path = tmp_path / "mixed.txt"
    path.write_text("\n".join([rows[0], broken, *rows[1:]]) + "\n")
    return path, len(rows) + 1


def test_every_row_gets_a_prediction_or_an_error(tmp_path):
    path, n = _mixed_file(tmp_path)
    results = list(predict_file(str(path), 9.0, 0.3, exact=True))
    assert len(results) == n
    assert sorted(r.line for r in results) == list(range(1, n + 1))
    predicted = [r for r in results if r.prediction is not None]
    errors = [r for r in results if r.error is not None]
    assert len(predicted) + len(errors) == n
    assert any("threshold" in (r.error or "") for r in errors)  # the t t~ row at 9 GeV
    assert any(r.line == 2 for r in errors)  # the broken row
    assert predicted and all(r.prediction.exact is not None for r in predicted)


def test_the_cli_goes_on_and_counts(tmp_path, capsys):
    path, n = _mixed_file(tmp_path)
    model = str(default_model_dir())
    code = run(["predict", "--model", model, "--file", str(path), "--sqrt-s", "9", "--cos-theta", "0.3", "--json"])
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.strip()]
    assert code == 0
    assert len(lines) == n and all('"line"' in line for line in lines)
    assert f"{n} rows:" in captured.err


def test_a_coloured_t_is_the_top_and_an_uncoloured_t_the_tau():
    from amplitudes.learn.predict import evaluate_expression, process_of_amplitude
    from amplitudes.physics.particles import particle
    from symtok import parse

    qcd = (
        "g^2*gamma_{+%\\sigma_1,%a_1,%b_1}*gamma_{%\\sigma_1,%a_2,%b_2}*u_{i_1,%A_1,%b_1}(p_1)_u"
        "*u_{i_2,%A_1,%a_1}(p_2)_v^(*)*t_{i_3,%B_1,%a_2}(p_3)_u^(*)*t_{i_4,%B_1,%b_2}(p_4)_v/s_12"
    )
    qed = qcd.replace(",%A_1", "").replace(",%B_1", "").replace("g^2", "e^2")
    assert str(process_of_amplitude(parse(qcd))) == "u u~ > t t~"
    assert str(process_of_amplitude(parse(qed))) == "u u~ > ta- ta+"
    top = particle("t")
    # the top's mass is m_t in QCD files: evaluated with the top's mass, independently of the reader
    below, above = 2 * top.mass * 0.99, 2 * top.mass * 1.5
    with pytest.raises(SymtokError, match="threshold"):
        evaluate_expression(qcd, "m_t^2*g^4", below, 0.3)
    assert evaluate_expression(qcd, "m_t^2*g^4", above, 0.3) == pytest.approx(top.mass**2)
    assert evaluate_expression(qed, "m_t^2*e^4", above, 0.3) == pytest.approx(particle("ta-").mass ** 2)
