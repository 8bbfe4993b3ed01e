"""Subjet tokens and the label-efficiency curve (a CI-sized run on a few hundred generated jets)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jets.features import FeatureConfig, prepare_jet, subjets
from jets.generate import generate_jets
from jets.label_efficiency import CurveConfig, run_curve
from symtok.errors import SymtokError


@pytest.fixture(scope="module")
def jets(tmp_path_factory):
    import pyarrow.parquet as pq

    path = tmp_path_factory.mktemp("j") / "top.parquet"
    generate_jets("top", 360, path, seed=5, workers=2)
    return list(pq.read_table(path).to_pandas().itertuples())


def test_subjet_tokens_sum_to_the_jet_and_are_their_own_groups(jets):
    config = FeatureConfig(tokens="subjets", max_subjets=50)
    for jet in jets[:20]:
        p = prepare_jet(jet, config)
        groups, _ = subjets(jet, config)
        assert len(p.features) == groups.max() + 1 and p.features.shape[1] == len(config.names)
        assert np.array_equal(p.groups, np.arange(len(p.features)))
        assert np.allclose(p.hints, p.features[:, 2:4])  # the predictor's hint is each subjet's axis
        # every kept constituent lies in exactly one subjet: the subjets' constituent counts add up
        assert np.all(np.exp(p.features[:, 8]) >= 1)
        assert np.isclose(np.exp(p.features[:, 8]).sum(), min(len(jet.pt), config.max_constituents))
        assert np.all(np.diff(p.features[:, 0]) <= 1e-6)  # hardest subjet first


def test_the_curve_runs_every_point_and_writes_its_report(jets, tmp_path):
    config = CurveConfig(label_counts=(40, 80), seeds=2, pretrain_steps=6, min_steps=6, max_steps=8, test_jets=60)
    report = run_curve(jets, tmp_path, config)
    assert report["label_counts"] == [40, 80]
    for tokens in ("constituents", "subjets"):
        for mode in ("scratch", "JEPA, fine-tuned", "random init, linear probe", "JEPA, linear probe"):
            runs = report["results"][tokens][mode]
            assert sorted(runs) == ["40", "80"] and all(len(r) == 2 for r in runs.values())
            assert all(0.0 <= r["auc"] <= 1.0 for rs in runs.values() for r in rs)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["summary"] == report["summary"]
    assert (tmp_path / "label_efficiency.png").stat().st_size > 0
    assert "JEPA − scratch" in (tmp_path / "report.md").read_text()


def test_curve_settings_are_checked():
    with pytest.raises(SymtokError, match="tokens"):
        CurveConfig(tokens=("pixels",))  # type: ignore[arg-type]
    with pytest.raises(SymtokError, match="at least 2"):
        CurveConfig(label_counts=(1,))


@pytest.mark.parametrize(
    ("counts", "tokens", "message"),
    [("1k,3k", "subjets", "--label-counts takes"), ("1000", "pixels", "tokens must be")],
)
def test_the_cli_refuses_bad_curve_settings_in_one_line(tmp_path, capsys, counts, tokens, message):
    from cli.main import run

    args = ["jets", "report", str(tmp_path / "none.parquet"), "-o", str(tmp_path / "o")]
    assert run([*args, "--label-counts", counts, "--tokens", tokens]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
