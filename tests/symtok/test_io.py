"""Batch files: readers, Parquet output, errors file, counts in = out + errors, workers, atomic writes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from symtok import SymtokError, Vocab, tokenize
from symtok.io import BadRow, Row, build_vocab_from_files, encode_file, parse_symba_line, read_rows

GOOD_AMP = r"-1/2*i*e^2*gamma_{+%\sigma_1,%gam_2,%del_3}*gamma_{%\sigma_1,%gam_4,%del_5}*e_{k_1,%del_5}(p_1)_u*e_{l_1,%gam_4}(p_2)_v^(*)*mu_{i_2,%gam_2}(p_3)_u^(*)*mu_{j_2,%del_3}(p_4)_v/(m_e^2 + s_12 + 1/2*reg_prop)"
GOOD_SQ = "2*e^4*(s_13*s_24 + s_14*s_23 + m_mu^2*s_12 + m_e^2*s_34 + 2*m_e^2*m_mu^2)*(m_e^2 + s_12 + 1/2*reg_prop)^(-2)"
HEAD = "Interaction:  e_gam_1(X)^(*)  AntiPart e_del_2(X)  to  mu_eps_3(X)  AntiPart mu_eta_4(X)^(*)"
DIAGRAM = (
    "Vertex V_0:e(X_1), AntiPart e(X_2),  OffShell A(V_0), Vertex V_1:mu(X_3), AntiPart mu(X_4),  OffShell A(V_1),"
)


def symba_line(amp=GOOD_AMP, sq=GOOD_SQ):
    return f"{HEAD} : {DIAGRAM} : {amp} : {sq}"


@pytest.fixture
def mixed_symba(tmp_path):
    lines = [
        symba_line(),
        "",
        symba_line(amp="gamma_{%a}"),  # wrong index count
        "Interaction: only two : fields",
        symba_line(sq="(e + "),  # truncated squared amplitude
        symba_line(amp=GOOD_AMP.replace("k_1", "k_7")),
    ]
    path = tmp_path / "rows.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_parse_symba_line_fields():
    row = parse_symba_line(symba_line(), 7)
    assert isinstance(row, Row) and row.line == 7
    assert row.process.startswith("e_gam_1(X)^(*)  AntiPart") and row.diagram == DIAGRAM
    assert row.amplitude == GOOD_AMP and row.squared_amplitude == GOOD_SQ


def test_counts_in_equal_out_plus_errors(mixed_symba, tmp_path):
    out = tmp_path / "out.parquet"
    report = encode_file(str(mixed_symba), out)
    assert (report.rows_in, report.rows_out, report.errors) == (5, 2, 3)
    table = pq.read_table(out).to_pylist()
    assert [r["line"] for r in table] == [1, 6]
    vocab = Vocab.default()
    assert table[0]["amplitude_ids"] == vocab.encode(tokenize(GOOD_AMP))
    assert table[0]["amplitude_length"] == len(table[0]["amplitude_ids"])
    assert table[0]["amplitude"] == GOOD_AMP and table[0]["process"].startswith("e_gam_1")
    errors = [json.loads(line) for line in open(f"{out}.errors.jsonl")]
    assert [e["line"] for e in errors] == [3, 4, 5]
    assert errors[0]["reason"].startswith("amplitude: line 1, column 1: gamma takes 3 indices")
    assert "expected 4 fields" in errors[1]["reason"]
    assert errors[2]["reason"].startswith("squared_amplitude:")


def test_vocab_is_stored_in_parquet_metadata(mixed_symba, tmp_path):
    out = tmp_path / "out.parquet"
    encode_file(str(mixed_symba), out)
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[b"symtok.vocab"])["tokens"] == list(Vocab.default().tokens)


def test_workers_give_identical_output(mixed_symba, tmp_path):
    one, two = tmp_path / "a.parquet", tmp_path / "b.parquet"
    encode_file(str(mixed_symba), one, workers=1)
    encode_file(str(mixed_symba), two, workers=2)
    assert pq.read_table(one).equals(pq.read_table(two))
    assert open(f"{one}.errors.jsonl").read() == open(f"{two}.errors.jsonl").read()


def test_csv_and_lines_formats(tmp_path):
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(f'amp,sqamp\n"{GOOD_AMP}",{GOOD_SQ}\n"e^",e\n')
    report = encode_file(str(csv_path), tmp_path / "c.parquet")
    assert (report.rows_in, report.rows_out, report.errors) == (2, 1, 1)
    assert json.loads(open(tmp_path / "c.parquet.errors.jsonl").readline())["line"] == 3
    lines = tmp_path / "x.txt"
    lines.write_text("e^2*s_12\n\nmul(e, g)\n)\n")
    report = encode_file(str(lines), tmp_path / "l.parquet", fmt="lines")
    assert (report.rows_in, report.rows_out, report.errors) == (3, 2, 1)
    rows = pq.read_table(tmp_path / "l.parquet").to_pylist()
    assert rows[1]["squared_amplitude"] is None and rows[1]["line"] == 3


def test_output_is_atomic_and_unchanged_on_failure(tmp_path):
    out = tmp_path / "keep.parquet"
    out.write_bytes(b"previous")
    with pytest.raises(SymtokError, match="cannot read"):
        encode_file(str(tmp_path / "missing.txt"), out, fmt="lines")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.parquet"]


def test_read_rows_reports_bad_rows_without_stopping(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(symba_line() + "\nno separators here\n" + symba_line() + "\n")
    rows = list(read_rows(str(path), "symba"))
    assert [type(r) for r in rows] == [Row, BadRow, Row]


def test_build_vocab_from_files_reports_coverage(mixed_symba):
    result = build_vocab_from_files([str(mixed_symba)])
    # 2 good rows (2 expressions each) + 2 rows with one bad field (1 each); 3 failures in all
    assert result.added == 0 and result.errors == 3 and result.expressions == 6
    assert result.escaped == 0


def test_an_unforeseen_exception_in_one_row_is_that_rows_error(mixed_symba, tmp_path, monkeypatch):
    """Not only SymtokError: any exception of one row (here a ValueError from the encoder) becomes an
    errors-file entry with its type, and in = out + errors still holds."""
    import symtok.io as io_module

    real = io_module.encode_expression
    calls = {"n": 0}

    def flaky(text, vocab, *rest):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("integer too long to print")
        return real(text, vocab, *rest)

    monkeypatch.setattr(io_module, "encode_expression", flaky)
    out = tmp_path / "out.parquet"
    report = encode_file(str(mixed_symba), out)
    assert report.rows_in == report.rows_out + report.errors
    errors = [json.loads(line) for line in (tmp_path / "out.parquet.errors.jsonl").read_text().splitlines()]
    assert any("ValueError: integer too long to print" in e["reason"] for e in errors)


def test_a_stray_quote_spoils_only_its_own_csv_row(tmp_path):
    from symtok.io import BadRow, Row, read_rows

    path = tmp_path / "quote.csv"
    path.write_text('amp,sqamp\n"e^2*s_12,s_12\ne^2,e^4\n"e^2","e^4"\n')
    rows = list(read_rows(str(path)))
    assert [type(r) for r in rows] == [BadRow, Row, Row]
    assert rows[0].line == 2 and "malformed CSV" in rows[0].reason
    assert [r.line for r in rows[1:]] == [3, 4]


def test_a_headerless_csv_is_data_from_its_first_line(tmp_path):
    from symtok.io import read_rows

    path = tmp_path / "bare.csv"
    path.write_text("e^2,e^4\ne^3,e^6\n")
    rows = list(read_rows(str(path)))
    assert [(r.line, r.amplitude, r.squared_amplitude) for r in rows] == [(1, "e^2", "e^4"), (2, "e^3", "e^6")]


def test_outputs_get_the_permissions_of_the_umask_not_tempfiles_private_ones(tmp_path):
    import os
    import stat

    from symtok import files
    from symtok.files import atomic_write_text

    old = os.umask(0o022)
    files._umask.cache_clear()
    try:
        atomic_write_text(tmp_path / "out.txt", "x")
        assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644
        os.umask(0o077)
        files._umask.cache_clear()
        atomic_write_text(tmp_path / "private.txt", "x")
        assert stat.S_IMODE((tmp_path / "private.txt").stat().st_mode) == 0o600
    finally:
        os.umask(old)
        files._umask.cache_clear()
    assert not list(tmp_path.glob(".*.tmp"))


def test_replace_directory_swaps_a_finished_directory_into_place(tmp_path):
    from symtok.files import replace_directory

    target, new = tmp_path / "model", tmp_path / ".model.new"
    target.mkdir()
    (target / "a.txt").write_text("old")
    new.mkdir()
    (new / "a.txt").write_text("new")
    replace_directory(new, target)
    assert (target / "a.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # nothing left beside it
    fresh = tmp_path / ".other.new"
    fresh.mkdir()
    replace_directory(fresh, tmp_path / "other")
    assert (tmp_path / "other").is_dir() and not fresh.exists()


def test_temporaries_of_killed_writers_are_removed_on_the_next_write(tmp_path):
    """A kill -9 leaves ``.out.<host>.<pid>-*.tmp``; the next write of that output removes it unless
    its writer still runs here or it belongs to another host sharing the filesystem."""
    import os
    import subprocess
    import sys

    from symtok.files import _HOST, atomic_write_text, make_temporary

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    target = tmp_path / "out.parquet"
    stale = tmp_path / f".out.parquet.{_HOST}.{dead_pid}-abc.tmp"
    stale_dir = tmp_path / f".out.parquet.{_HOST}.{dead_pid}-dir.tmp"
    live = tmp_path / f".out.parquet.{_HOST}.{os.getpid()}-xyz.tmp"
    other_host = tmp_path / f".out.parquet.elsewhere.{dead_pid}-abc.tmp"
    for path in (stale, live, other_host):
        path.write_text("partial")
    stale_dir.mkdir()
    (stale_dir / "model.safetensors").write_text("partial")
    atomic_write_text(target, "done")
    assert target.read_text() == "done"
    assert not stale.exists() and not stale_dir.exists()
    assert live.exists() and other_host.exists()
    made = make_temporary(tmp_path / "ckpt", directory=True)
    assert made.is_dir() and made.name.startswith(f".ckpt.{_HOST}.{os.getpid()}-") and made.name.endswith(".tmp")
    torch = pytest.importorskip("torch")
    from symtok.nn.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "ckpt2", torch.nn.Linear(2, 2), {"kind": "test"})
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ckpt2.")]


def test_encode_output_and_errors_file_are_a_checked_pair(tmp_path):
    """A kill between the two atomic renames would leave a new errors file beside an old data file:
    the data file's footer names its errors file (counts, SHA-256), so the mismatch is detected."""
    from symtok.io import check_pair, encode_file

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("s_12 + m_e^2\nnot ( valid\n")
    second.write_text("e^2*s_13\n)(\n((\n")
    out = tmp_path / "out.parquet"
    encode_file(str(first), out)
    pair = check_pair(out)
    assert pair.ok and (pair.rows, pair.errors) == (1, 1)
    old_data = out.read_bytes()
    encode_file(str(second), out)
    assert check_pair(out).ok and check_pair(out).errors == 2
    out.write_bytes(old_data)  # as if killed after the errors file was renamed, before the data file
    stale = check_pair(out)
    assert not stale.ok and "not the errors file" in stale.reason
    (tmp_path / "out.parquet.errors.jsonl").unlink()
    assert "missing" in check_pair(out).reason
