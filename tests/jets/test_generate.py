"""Jet generation: the published cuts hold and the physics looks right on small samples."""

from __future__ import annotations

import math

import numpy as np
import pyarrow.parquet as pq
import pytest

from jets.generate import COLUMNS, generate_jets
from symtok import SymtokError


@pytest.fixture(scope="module")
def qg(tmp_path_factory):
    path = tmp_path_factory.mktemp("qg") / "qg.parquet"
    generate_jets("qg", 200, path, workers=2, seed=1)
    return pq.read_table(path).to_pandas()


@pytest.fixture(scope="module")
def top(tmp_path_factory):
    path = tmp_path_factory.mktemp("top") / "top.parquet"
    generate_jets("top", 200, path, workers=2, seed=1)
    return pq.read_table(path).to_pandas()


def test_columns_and_balance(qg):
    assert set(COLUMNS) <= set(qg.columns)
    assert sorted(qg.label.value_counts().tolist()) == [100, 100]


def test_qg_cuts(qg):
    assert qg.jet_pt.between(500, 550).all()
    rapidity = [
        0.5 * math.log((sum(e) + pz) / (sum(e) - pz))
        for e, pz in (
            (row.e, sum(pt * math.sinh(eta) for pt, eta in zip(row.pt, row.eta, strict=True)))
            for row in qg.itertuples()
        )
    ]
    assert max(abs(y) for y in rapidity) < 1.7 + 1e-6


def test_gluon_jets_have_more_constituents_than_quark_jets(qg):
    n = qg.pt.apply(len)
    assert n[qg.label == 0].mean() > 1.3 * n[qg.label == 1].mean()


def test_constituents_sum_to_the_jet(qg):
    row = qg.iloc[0]
    px = sum(pt * math.cos(phi) for pt, phi in zip(row.pt, row.phi, strict=True))
    py = sum(pt * math.sin(phi) for pt, phi in zip(row.pt, row.phi, strict=True))
    assert math.hypot(px, py) == pytest.approx(row.jet_pt, rel=1e-6)
    assert all(abs(c) <= 2 for c in row.charge) and len(row.pid) == len(row.pt)


def test_top_cuts_and_mass(top):
    assert top.jet_pt.between(550, 650).all() and (top.jet_eta.abs() < 2).all()
    near_top = lambda m: np.mean((m > 140) & (m < 200))  # noqa: E731
    assert near_top(top.jet_m[top.label == 1]) > 2 * near_top(top.jet_m[top.label == 0])


def test_seeds_reproduce_and_append_adds_new_chunks(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    generate_jets("top", 20, a, seed=7)
    generate_jets("top", 20, b, seed=7)
    assert pq.read_table(a).equals(pq.read_table(b))
    generate_jets("top", 20, a, seed=7, append=True)
    table = pq.read_table(a).to_pandas()
    assert len(table) == 40
    assert not table.duplicated(subset=["label", "seed", "chunk", "event"]).any()
    with pytest.raises(SymtokError, match="kind must be"):
        generate_jets("zz", 10, tmp_path / "x.parquet")


def test_an_interrupted_run_resumes_from_its_finished_chunks(tmp_path, monkeypatch):
    import jets.generate as generate

    monkeypatch.setattr(generate, "CHUNK", 5)
    reference = tmp_path / "ref.parquet"
    generate_jets("qg", 20, reference, seed=4)  # 2 chunks of 5 per label
    out = tmp_path / "run.parquet"
    calls = []
    real = generate.generate_chunk

    def flaky(kind, label, seed, chunk, jets):
        calls.append((label, chunk))
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed while generating the third chunk
        return real(kind, label, seed, chunk, jets)

    monkeypatch.setattr(generate, "generate_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        generate_jets("qg", 20, out, seed=4)
    assert not out.exists() and len(list((tmp_path / "run.parquet.parts").iterdir())) == 2
    calls.clear()
    report = generate_jets("qg", 20, out, seed=4)
    assert report.resumed_chunks == 2 and len(calls) == 2 and report.jets == 10
    assert pq.read_table(out).equals(pq.read_table(reference))  # same jets, same order as an uninterrupted run
    assert not (tmp_path / "run.parquet.parts").exists()


def test_shards_give_exactly_the_events_of_a_one_shot_run(tmp_path, monkeypatch):
    """Three independent shards (as batch-array jobs would run), then merge: the same table as one
    run with the same seed; merging before every shard is done is refused, naming what is missing."""
    import jets.generate as generate
    from jets.generate import generate_jets, merge_jets
    from symtok.shards import parse_shard

    monkeypatch.setattr(generate, "CHUNK", 4)  # 7 chunks per label from 28 jets: several per shard
    one_shot = tmp_path / "one.parquet"
    generate_jets("top", 56, one_shot, seed=4)
    sharded = tmp_path / "sharded.parquet"
    generate_jets("top", 56, sharded, seed=4, shard=parse_shard("0/3"))
    generate_jets("top", 56, sharded, seed=4, shard=parse_shard("2/3"))
    assert not sharded.exists()
    with pytest.raises(SymtokError, match="chunks are not in"):
        merge_jets("top", 56, sharded, seed=4)
    report = generate_jets("top", 56, sharded, seed=4, shard=parse_shard("1/3"))
    assert report.jets > 0 and report.written == 0
    assert merge_jets("top", 56, sharded, seed=4).written == pq.read_table(one_shot).num_rows
    assert pq.read_table(sharded).equals(pq.read_table(one_shot))
    assert not (tmp_path / "sharded.parquet.parts").exists()
    for bad in ("3/3", "a/b", "1", "-1/2"):
        with pytest.raises(SymtokError, match="--shard"):
            parse_shard(bad)
