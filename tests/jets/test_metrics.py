"""Tagging metrics on known scores, and the classic-observable baseline on generated jets."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from jets.generate import generate_jets
from jets.metrics import background_rejection, classic_observables, observable_baseline, roc_plot, tagging_metrics


def test_metrics_on_known_scores():
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    perfect = tagging_metrics(labels, np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]))
    assert perfect.accuracy == 1.0 and perfect.auc == 1.0 and perfect.rejection_at_50 == np.inf
    # signal scores 4..1, background 3.5..0.5: at eps_S = 0.5 (two signal jets kept, cut at 3) one background passes
    scores = np.array([4, 3, 2, 1, 3.5, 2.5, 1.5, 0.5], dtype=float)
    assert background_rejection(labels, scores, 0.5) == pytest.approx(4.0)
    assert tagging_metrics(labels, scores).auc == pytest.approx(10 / 16)


def test_classic_observables_and_baseline_separate_top_from_qcd(tmp_path):
    path = tmp_path / "top.parquet"
    generate_jets("top", 300, path, seed=5)
    jets = list(pq.read_table(path).to_pandas().sample(frac=1.0, random_state=0).itertuples())
    obs = classic_observables(jets[0])
    assert obs[0] == len(jets[0].pt) and 0 < obs[3] <= 1 and obs[1] > 0
    metrics, scores = observable_baseline(jets[:200], jets[200:])
    assert metrics.auc > 0.75, metrics  # jet mass and multiplicity separate top from QCD
    roc_plot({"observables": (np.array([j.label for j in jets[200:]]), scores)}, str(tmp_path / "roc.png"))
    assert (tmp_path / "roc.png").stat().st_size > 1000
