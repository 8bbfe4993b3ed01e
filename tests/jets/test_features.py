"""Jet features and subjets on generated jets."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from jets.features import BASE_FEATURES, PID_FEATURES, FeatureConfig, constituent_features, make_batch, subjets
from jets.generate import generate_jets


@pytest.fixture(scope="module")
def jets(tmp_path_factory):
    path = tmp_path_factory.mktemp("j") / "top.parquet"
    generate_jets("top", 20, path, seed=3)
    return list(pq.read_table(path).to_pandas().itertuples())


def test_features_are_relative_to_the_axis_and_sorted(jets):
    config = FeatureConfig()
    for jet in jets:
        f = constituent_features(jet, config)
        assert f.shape == (min(len(jet.pt), 128), len(BASE_FEATURES))
        assert np.all(np.diff(f[:, 0]) <= 1e-6)  # log pT descending
        # anti-kT clusters in (rapidity, phi): every constituent lies within R = 0.8 of the axis there
        pt, eta, phi, e = (np.asarray(getattr(jet, k)) for k in ("pt", "eta", "phi", "e"))
        pz = pt * np.sinh(eta)
        y = 0.5 * np.log((e + pz) / (e - pz))
        jet_y = 0.5 * np.log((e.sum() + pz.sum()) / (e.sum() - pz.sum()))
        dphi = (phi - jet.jet_phi + np.pi) % (2 * np.pi) - np.pi
        assert np.all(np.hypot(y - jet_y, dphi) < 0.8 + 1e-6)
        assert np.allclose(f[:, 4], np.hypot(f[:, 2], f[:, 3]))
        assert np.all(f[:, 5] <= 0)  # pT fractions


def test_pid_one_hots(jets):
    f = constituent_features(jets[0], FeatureConfig(use_pid=True))
    assert f.shape[1] == len(BASE_FEATURES) + len(PID_FEATURES)
    onehot = f[:, len(BASE_FEATURES) : len(BASE_FEATURES) + 5]
    assert np.all(onehot.sum(axis=1) == 1)


def test_subjets_partition_the_constituents(jets):
    config = FeatureConfig(subjet_radius=0.2, max_subjets=6)
    for jet in jets[:5]:
        groups, axes = subjets(jet, config)
        assert len(groups) == min(len(jet.pt), 128)
        kept = groups[groups >= 0]
        assert kept.max() < 6 and set(range(kept.max() + 1)) <= set(kept.tolist())
        # each subjet axis lies among its constituents (E-scheme recombination: up to a small margin)
        feats = constituent_features(jet, config)
        for g in set(groups.tolist()) - {-1}:
            members = groups == g
            assert np.hypot(*axes[members][0]) <= feats[members, 4].max() + 0.05


def test_batch_padding_and_masks(jets):
    batch = make_batch(jets[:6], FeatureConfig(max_constituents=40))
    assert batch.features.shape[:2] == batch.padding.shape == batch.groups.shape
    assert batch.features.shape[1] <= 40
    assert np.all(batch.features[batch.padding] == 0) and np.all(batch.groups[batch.padding] == -1)
    assert set(batch.labels.tolist()) <= {0, 1}


def test_prepared_jets_batch_exactly_like_raw_rows(jets):
    from jets.features import pad_batch, prepare_jets

    config = FeatureConfig(max_constituents=40, use_pid=True)
    raw = make_batch(jets[:7], config)
    prepared = prepare_jets(jets[:7], config)
    cached = pad_batch(prepared)
    for field in ("features", "padding", "groups", "hints", "labels"):
        assert np.array_equal(getattr(raw, field), getattr(cached, field)), field
    # prepared jets pass through a second preparation unchanged (no recomputation)
    assert all(a is b for a, b in zip(prepare_jets(prepared, config), prepared, strict=True))
    no_subjets = prepare_jets(jets[:3], config, with_subjets=False)
    assert all(int(p.groups.max()) == -1 for p in no_subjets)
