"""Index bookkeeping: summed indices appear twice per product, terms agree, no stray powers; the real
rows pass, and --strict turns problems into errors (exit 2 for one expression, errors-file rows)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from symtok import parse
from symtok.errors import SymtokError
from symtok.files import data_path
from symtok.index_check import check_indices, index_problems
from symtok.io import Row, encode_file, read_rows


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("gamma_{%\\sigma_1,%a,%b}*gamma_{%\\sigma_1,%b,%c}*gamma_{%\\sigma_1,%c,%a}", "appears 3 times"),
        ("p_1_%\\mu_1*gamma_{+%\\mu_1,%a,%b} + p_2_%\\nu_2*gamma_{+%\\mu_1,%a,%b}", "different free indices"),
        ("gamma_{%\\sigma_1,%a,%a}", "appears once: nothing sums it"),
        ("(p_1_%\\mu_1)^3", "a power other than 2"),
        ("p_1_%\\mu_1*gamma_{%mu_1,%a,%a}", "appears once"),
    ],
)
def test_problems_are_named(text, problem):
    problems = index_problems(parse(text))
    assert any(problem in p for p in problems), problems
    with pytest.raises(SymtokError, match="index check"):
        check_indices(parse(text))


def test_well_formed_expressions_pass():
    for text in (
        "p_1_%\\mu_1*p_1_%\\mu_1",  # SymPy makes it a square: one sum
        "gamma_{%\\sigma_1,%a,%b}*gamma_{+%\\sigma_1,%b,%a}*e^2",
        "2*e^4*(s_12 + m_e^2)^(-2)",
    ):
        assert index_problems(parse(text)) == [], text
    open_tensor = parse("mul(pow(alpha,2), Tr(gamma_mu, slash(p1), gamma_nu, slash(p2)))")
    assert index_problems(open_tensor, scalar=False) == []
    assert len(index_problems(open_tensor)) == 2  # \mu and \nu are free: not a scalar


def test_every_shipped_row_passes():
    for name in ("qed_rows.txt", "qcd_rows.txt", "prenormalized.csv"):
        for row in read_rows(str(data_path("examples", name))):
            assert isinstance(row, Row)
            for text in (row.amplitude, row.squared_amplitude):
                if text:
                    assert index_problems(parse(text)) == [], (name, row.line)


def test_strict_on_the_cli_and_in_batches(tmp_path):
    runner = CliRunner()
    bad = "gamma_{%\\sigma_1,%a,%a}*e"
    lenient = runner.invoke(app, ["tokenize", bad])
    assert lenient.exit_code == 0 and lenient.stderr == ""  # an open index may be meant: no warning
    strict = runner.invoke(app, ["tokenize", "--strict", bad])
    assert strict.exit_code == 2 and strict.stderr.startswith("error: index check:")
    tripled = runner.invoke(app, ["tokenize", "p_1_%\\mu_1*p_2_%\\mu_1*gamma_{%\\mu_1,%a,%a}"])
    assert tripled.exit_code == 0 and "warning: lorentz index \\mu_1 appears 3 times" in tripled.stderr
    src = tmp_path / "rows.txt"
    src.write_text(f"e^2*s_12\n{bad}\n")
    report = encode_file(str(src), tmp_path / "out.parquet", strict=True)
    assert (report.rows_in, report.rows_out, report.errors) == (2, 1, 1)
    (error,) = [json.loads(x) for x in (tmp_path / "out.parquet.errors.jsonl").read_text().splitlines()]
    assert error["line"] == 2 and "index check" in error["reason"]
