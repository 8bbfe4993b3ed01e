"""Amplitude construction and dataset generation: MARTY form, index structure, tokenizer round trip,
determinism, workers."""

from __future__ import annotations

from collections import Counter

import pyarrow.parquet as pq
import pytest

from amplitudes.generate import affordable, generate, process_rows
from amplitudes.physics.amplitude import IndexFactory, diagram_amplitudes
from amplitudes.physics.process import Process
from amplitudes.symba import process_of_interaction
from symtok import detokenize, normalize, parse, to_string, tokenize
from symtok.errors import SymtokError
from symtok.indices import LABEL, Index
from symtok.io import Row, read_rows
from symtok.roundtrip import roundtrip_file

PROCESSES = [
    ("e+ e- > mu+ mu-", "qed"),
    ("e- a > e- a", "qed"),
    ("e+ e- > e+ e-", "qed"),
    ("a a > t t~", "qed"),
    ("u d > u d", "qcd"),
    ("u u~ > g g", "qcd"),
    ("g u > g u", "qcd"),
    ("g g > g g", "qcd"),
]


@pytest.mark.parametrize(("process", "theory"), PROCESSES)
def test_every_index_is_contracted_once_and_labels_are_free(process, theory):
    amplitudes = diagram_amplitudes(Process.parse(process), theory, IndexFactory(3))
    for amp in amplitudes:
        for term in amp.expand().args if amp.expand().is_Add else [amp]:
            counts: Counter = Counter()
            positions: dict = {}
            for idx in _index_occurrences(term):
                counts[idx.key] += 1
                positions.setdefault(idx.key, []).append(idx.up)
            for (name, kind), n in counts.items():
                if kind == LABEL:
                    assert n == 1, (name, term)
                else:
                    assert n == 2, (name, kind, term)
                if kind == "lorentz":
                    assert sorted(positions[(name, kind)]) == [False, True], (name, term)


def _index_occurrences(expr):
    out = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Index):
            out.append(node)
        elif node.args and not (node.is_Pow and node.exp.is_Integer and node.exp > 1 and node.base.has(Index)):
            stack.extend(node.args)
        elif node.is_Pow:
            out.extend(_index_occurrences(node.base) * int(node.exp))
    return out


@pytest.mark.parametrize(("process", "theory"), PROCESSES)
def test_rows_round_trip_through_the_tokenizer(process, theory):
    for row in process_rows(Process.parse(process), theory):
        for text in (row.amplitude, row.squared_amplitude):
            x = parse(text)
            assert parse(to_string(x)) == x
            assert detokenize(tokenize(text)) == normalize(x)
        assert process_of_interaction(row.interaction) == Process.parse(process)


def test_process_mode_sums_the_diagrams():
    rows = process_rows(Process.parse("e+ e- > e+ e-"), "qed", mode="process")
    assert len(rows) == 1 and rows[0].diagram == "all"
    per = process_rows(Process.parse("e+ e- > e+ e-"), "qed")
    assert len(per) == 2 and all(r.interaction == per[0].interaction for r in per)


def test_process_rows_leave_out_a_total_too_costly_to_compute(tmp_path):
    """g g > g g g's process total (> 15 minutes) is left out of an enumeration by name and refused
    when asked for; diagram rows keep it."""
    five, other = Process.parse("g g > g g g"), Process.parse("u u~ > d d~ g")
    assert affordable([five, other], "process", given=False) == ([other], ["g g > g g g"])
    assert affordable([five, other], "diagram", given=True) == ([five, other], [])
    with pytest.raises(SymtokError, match="not computed"):
        affordable([five, other], "process", given=True)
    with pytest.raises(SymtokError, match="not computed"):
        generate("qcd", tmp_path / "x.txt", processes=["g g > g g g"], mode="process", n_out=(3,))
    assert not (tmp_path / "x.txt").exists()


def test_generate_is_deterministic_and_worker_independent(tmp_path):
    chosen = ["e+ e- > mu+ mu-", "e- a > e- a", "u u~ > d d~"]
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    generate("qed", a, processes=chosen[:2], seed=4)
    generate("qed", b, processes=chosen[:2], seed=4, workers=2)
    generate("qed", c, processes=chosen[:2], seed=5)
    assert a.read_text() == b.read_text() != c.read_text()
    assert tokenize(a.read_text().split(" : ")[2]) == tokenize(c.read_text().split(" : ")[2])  # same up to names
    rows = [r for r in read_rows(str(a), "symba")]
    assert len(rows) == 3 and all(isinstance(r, Row) for r in rows)
    report = roundtrip_file(str(a))
    assert report.ok and report.expressions == 6


def test_generate_every_ordering_of_2to3_processes(tmp_path):
    from amplitudes.physics.process import Process, orderings

    out = tmp_path / "rows.txt"
    report = generate("qed", out, processes=["e+ e- > mu+ mu- a", "e+ e- > a a a"], all_orderings=True)
    expected = len(orderings(Process.parse("e+ e- > mu+ mu- a"))) + len(orderings(Process.parse("e+ e- > a a a")))
    assert report.processes == expected == 14
    assert report.rows == 12 * 4 + 2 * 6
    assert len(out.read_text().splitlines()) == report.rows


def test_generate_parquet_and_bad_input(tmp_path):
    out = tmp_path / "g.parquet"
    report = generate("qcd", out, processes=["u u~ > g g"], fmt="parquet")
    table = pq.read_table(out).to_pylist()
    assert report.rows == 3 == len(table) and {r["theory"] for r in table} == {"qcd"}
    from symtok import SymtokError

    with pytest.raises(SymtokError, match="no tree-level diagram"):
        generate("qed", tmp_path / "x.txt", processes=["a a > a a"])
    assert not (tmp_path / "x.txt").exists()


def test_indices_grow_like_marty_counters():
    text = process_rows(Process.parse("e- a > e- a"), "qed", seed=1)[0].amplitude
    numbers = [int(n) for n in __import__("re").findall(r"%\\?[a-z]+_([0-9]+)", text)]
    assert len(set(numbers)) > 5 and max(numbers) > 10
