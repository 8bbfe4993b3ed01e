"""Batch prediction never stops on one row: each row yields a prediction or its error."""

from __future__ import annotations

from amplitudes.generate import generate
from amplitudes.learn.predict import default_model_dir, predict_file
from cli.main import run


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
