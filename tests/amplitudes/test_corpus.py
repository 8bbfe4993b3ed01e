"""The sharded corpus: orderings, deterministic shards equal to a one-shot build, manifest, splits."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from amplitudes.corpus import CorpusConfig, build_corpus, distinct_rows, family, merge_corpus, orderings, plan
from amplitudes.physics.process import Process
from cli.main import run
from symtok import SymtokError
from symtok.io import Row, read_rows


def _rows(directory):
    rows = []
    for path in sorted(directory.glob("rows-*.parquet")):
        table = pq.read_table(path, columns=["process", "diagram", "amplitude", "squared_amplitude", "split_row"])
        rows += [tuple(r.values()) for r in table.to_pylist()]
    return sorted(rows)


def test_orderings_are_distinct_and_carry_offshell_legs():
    assert [str(p) for p in orderings(Process.parse("e+ e- > mu+ mu-*"))] == [
        "e+ e- > mu+ mu-*",
        "e+ e- > mu-* mu+",
        "e- e+ > mu+ mu-*",
        "e- e+ > mu-* mu+",
    ]
    assert len(orderings(Process.parse("e- e- > e- e-"))) == 1
    assert len(orderings(Process.parse("e- e- > e- e-*"))) == 2
    assert family("e-* e+ > a* a") == family("e+ e- > a a") == "e+ e- > a a"


def test_sharded_build_equals_one_shot_and_merge_writes_the_manifest(tmp_path):
    config = CorpusConfig(theories=("qed",), offshell=True, orderings="all", seed=3)
    # a small corpus: only processes with a muon pair in the final state
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    import amplitudes.corpus as corpus

    original = corpus.plan
    corpus.plan = lambda c: [item for item in original(c) if "> mu" in item[1]][:40]
    try:
        report = build_corpus(config, whole, workers=2)
        assert report.manifest and report.errors == 0 and report.rows >= 40
        for k in (2, 0):
            assert build_corpus(config, sharded, shard=(k, 3)).manifest is None
        with pytest.raises(SymtokError, match="1 of 3 shards are missing"):
            merge_corpus(sharded)
        build_corpus(config, sharded, shard=(1, 3))
        assert build_corpus(config, sharded, shard=(1, 3)).shards_skipped == 1  # finished shards are skipped
        assert merge_corpus(sharded).manifest
        manifest = json.loads((sharded / "manifest.json").read_text())
    finally:
        corpus.plan = original
    assert _rows(whole) == _rows(sharded)
    assert manifest["rows"] == report.rows and manifest["errors"] == 0 and len(manifest["shards"]) == 3
    from symtok import tokenize

    texts = [(r[2], r[3]) for r in _rows(whole)]
    pairs = {(tuple(tokenize(a)), tuple(tokenize(q))) for a, q in texts}
    qed = manifest["by_theory"]["qed"]
    assert qed["distinct_rows"] == len(pairs) and qed["distinct_amplitudes"] == len({p[0] for p in pairs})
    both = distinct_rows([whole, sharded])["qed"]  # two directories holding the same rows: no new distinct row
    assert both == {
        "rows": 2 * manifest["rows"],
        "distinct_rows": len(pairs),
        "distinct_amplitudes": len({p[0] for p in pairs}),
    }
    assert sum(manifest["splits"]["row"].values()) == manifest["rows"]
    lengths = manifest["by_theory"]["qed"]["squared_amplitude_tokens"]
    assert 0 < lengths["p50"] <= lengths["p90"] <= lengths["p99"] <= lengths["max"]
    with pytest.raises(SymtokError, match="other settings"):
        build_corpus(CorpusConfig(theories=("qed",), seed=4), sharded, shard=(0, 3))


def test_process_split_holds_out_whole_families(tmp_path):
    config = CorpusConfig(theories=("qed",), orderings="all", test_fraction=0.3, valid_fraction=0.0)
    build_corpus(config, tmp_path)
    table = pq.read_table(next(tmp_path.glob("rows-*.parquet")), columns=["process", "split_process"]).to_pylist()
    by_family: dict[str, set[str]] = {}
    for row in table:
        by_family.setdefault(family(row["process"]), set()).add(row["split_process"])
    assert all(len(s) == 1 for s in by_family.values())
    assert {"train", "test"} <= {s for v in by_family.values() for s in v}
    assert len(plan(config)) == len({r["process"] for r in table})
    errors = next(tmp_path.glob("rows-*.errors.jsonl"))
    errors.write_text('{"item": 0, "reason": "from another run"}\n')  # a shard beside another run's errors
    with pytest.raises(SymtokError, match="damaged"):
        merge_corpus(tmp_path)


def test_corpus_shards_are_rows_for_every_reader_and_the_cli(tmp_path, capsys):
    out = tmp_path / "c"
    assert run(["amplitudes", "corpus", "-o", str(out), "--theory", "qcd", "--no-progress"]) == 0
    shard = next(out.glob("rows-*.parquet"))
    rows = list(read_rows(str(shard)))
    assert rows and all(isinstance(r, Row) and r.squared_amplitude for r in rows)
    from amplitudes.learn.dataset import DatasetConfig, build_dataset

    dataset = build_dataset(str(shard), DatasetConfig(points_per_row=2))  # the surrogate trains on shards too
    assert len(dataset.examples) + len(dataset.skipped) == len(rows) and len(dataset.examples) > 0.9 * len(rows)
    assert run(["amplitudes", "check-symba", str(out / "missing.txt"), "--no-progress"]) == 2
    assert run(["amplitudes", "corpus", "-o", str(out), "--theory", "qed,zz"]) == 2
    assert run(["amplitudes", "corpus", "-o", str(out), "--shard", "3/3"]) == 2
    assert run(["amplitudes", "corpus-merge", str(tmp_path / "nothing")]) == 2
    assert "theories must be" in capsys.readouterr().err


def test_generated_training_split_comes_from_the_corpus(tmp_path):
    from amplitudes.learn.squared_train import split_generated
    from symtok.io import Row, read_rows

    def pairs(path):
        rows = list(read_rows(str(path)))
        assert all(isinstance(r, Row) and r.process for r in rows)  # SYMBA rows: the header travels along
        return [(r.process, r.amplitude, r.squared_amplitude) for r in rows]

    train, test = split_generated(tmp_path, theories=("qed",), split="processes", test_fraction=0.2, offshell=False)
    train_rows, test_rows, seen_rows = pairs(train), pairs(test), pairs(tmp_path / "test_rows.txt")
    manifest = json.loads((tmp_path / "corpus" / "manifest.json").read_text())
    assert len(train_rows) + len(test_rows) + len(seen_rows) == manifest["rows"] and test_rows and seen_rows
    assert not set(train_rows) & set(test_rows) and not set(train_rows) & set(seen_rows)
    from amplitudes.corpus import family, read_corpus

    table = read_corpus(tmp_path / "corpus", ["process", "amplitude", "squared_amplitude"]).to_pylist()
    process = {(r["amplitude"], r["squared_amplitude"]): r["process"] for r in table}

    def processes(rows):
        return {family(process[a, sq]) for _, a, sq in rows}  # every ordering and OffShell variant

    assert not processes(train_rows) & processes(test_rows)  # held-out processes are unseen in training
    assert processes(seen_rows) <= processes(train_rows)  # held-out rows of processes seen in training
    assert manifest["config"]["orderings"] == "all"


def test_2to3_orderings_offshell_limits_and_grouped_shards(tmp_path):
    p = Process.parse("e+ e- > mu+ mu- a")
    assert len(orderings(p)) == 12 and len({str(x) for x in orderings(p)}) == 12
    assert len(orderings(Process.parse("e+ e- > a a a"))) == 2
    config = CorpusConfig(theories=("qed",), legs=("2to3",), offshell=True, offshell_max=1, orderings="one")
    items = plan(config)
    assert items and all(len(Process.parse(x).offshell) <= 1 and Process.parse(x).n_legs == 5 for _, x in items)
    assert len(items) == 6 * len(plan(CorpusConfig(theories=("qed",), legs=("2to3",))))
    upper = plan(CorpusConfig(theories=("qed",), legs=("2to3",), offshell=True, offshell_min=2, orderings="one"))
    assert len(upper) == 26 * len(items) // 6 and not set(upper) & set(items)  # the patterns the first left out
    for bad in (
        {"legs": ("2to4",)},
        {"legs": ()},
        {"offshell_max": 1},
        {"offshell": True, "offshell_max": 9},
        {"offshell_min": 1},
        {"offshell": True, "offshell_min": 3, "offshell_max": 2},
    ):
        with pytest.raises(SymtokError):
            CorpusConfig(**bad)
    import amplitudes.corpus as corpus

    # every OffShell pattern of one process ordering is one task in one shard (one symbolic computation)
    groups = corpus._groups(items)
    assert sum(len(g) for g in groups) == len(items)
    assert all(len({str(Process.parse(x).on_shell) for _, (_, x) in g}) == 1 for g in groups)
    original = corpus.plan
    target = family("e+ e- > mu+ mu- a")
    corpus.plan = lambda c: [item for item in original(c) if family(item[1]) == target]
    try:
        whole = build_corpus(config, tmp_path / "whole")
        for k in range(2):
            build_corpus(config, tmp_path / "two", shard=(k, 2))
        merge_corpus(tmp_path / "two")
    finally:
        corpus.plan = original
    assert whole.errors == 0 and whole.rows == 4 * 6
    assert _rows(tmp_path / "whole") == _rows(tmp_path / "two")


def test_corpus_token_ids_equal_tokenizing_the_row_text(tmp_path):
    """Corpus rows are encoded from the generator's expressions, not by parsing their text again: the
    ids must be exactly those of tokenizing the text."""
    from symtok.io import encode_expression
    from symtok.vocab import Vocab

    config = CorpusConfig(theories=("qcd",), legs=("2to2", "2to3"), offshell=True, offshell_max=1)
    import amplitudes.corpus as corpus

    original = corpus.plan
    chosen = {family("u u~ > d d~"), family("u g > u g"), family("u u~ > d d~ g")}
    corpus.plan = lambda c: [x for x in original(c) if family(x[1]) in chosen]
    try:
        build_corpus(config, tmp_path)
    finally:
        corpus.plan = original
    vocab = Vocab.default()
    table = pq.read_table(next(tmp_path.glob("rows-*.parquet"))).to_pylist()
    assert len(table) > 30
    for record in table:
        for field in ("amplitude", "squared_amplitude"):
            assert record[f"{field}_ids"] == encode_expression(record[field], vocab)
