"""check-symba: every row gets a verdict; unreadable rows are errors and the run goes on."""

from __future__ import annotations

import json

from amplitudes.generate import generate
from amplitudes.symba import check_symba_file, check_symba_rows
from cli.main import run


def _rows(tmp_path):
    path = tmp_path / "gen.txt"
    generate("qed", path, processes=["e+ e- > mu+ mu-", "e- mu- > e- mu-"], mode="diagram", progress=False)
    rows = path.read_text().splitlines()
    head, rest = rows[0].split(" : ", 1)
    unknown = head.replace("Interaction:  ", "Interaction:  Weird ", 1) + " : " + rest  # a leg no theory has
    wrong = rows[1].rsplit(" : ", 1)[0] + " : e^4*s_12^2"  # a squared amplitude no diagram has
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("\n".join([*rows, unknown, "not a row", wrong]) + "\n")
    return mixed, len(rows)


def test_every_row_gets_a_verdict(tmp_path):
    path, n = _rows(tmp_path)
    results = list(check_symba_rows(str(path)))
    assert [r.line for r in results] == list(range(1, n + 4))
    assert [r.status for r in results] == ["match"] * n + ["error", "error", "mismatch"]
    assert "Weird" in results[n].reason and "4 fields" in results[n + 1].reason
    report = check_symba_file(str(path))
    assert report.rows == report.matched + len(report.mismatched) + len(report.errors) == n + 3
    assert not report.ok


def test_the_cli_counts_and_prints_json_per_row(tmp_path, capsys):
    path, n = _rows(tmp_path)
    assert run(["amplitudes", "check-symba", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines() if x.strip()]
    assert len(lines) == n + 3 and {x["status"] for x in lines} == {"match", "mismatch", "error"}
    assert f"{n}/{n + 3} rows match" in captured.err


def test_the_amplitude_text_of_each_on_shell_row_is_squared_and_a_wrong_one_fails(tmp_path, capsys):
    path = tmp_path / "gen.txt"
    generate("qed", path, processes=["e- a > e- a"], mode="diagram", progress=False)
    rows = path.read_text().splitlines()
    assert [r.squares for r in check_symba_rows(str(path))] == [True] * len(rows)
    head, amplitude, squared = rows[0].rsplit(" : ", 2)
    broken = tmp_path / "broken.txt"  # twice the row's amplitude: its square is 4 times the row's
    broken.write_text(f"{head} : 2*({amplitude}) : {squared}\n")
    (result,) = check_symba_rows(str(broken))
    assert result.status == "match" and result.squares is False
    assert run(["amplitudes", "check-symba", str(broken)]) == 1
    assert "does not square" in capsys.readouterr().err
