"""Jet tagging on the shared Encoder, the Deep Sets baseline and jet JEPA pretraining, on small samples."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import torch

from jets.evaluate import evaluate
from jets.generate import generate_jets
from jets.model import DeepSets, JetTagger, TaggerConfig
from jets.train import load_pretrained, pretrain_jepa, train_classifier
from symtok.errors import SymtokError
from symtok.nn.train import TrainConfig


@pytest.fixture(scope="module")
def jets(tmp_path_factory):
    path = tmp_path_factory.mktemp("j") / "top.parquet"
    generate_jets("top", 300, path, seed=11, workers=2)
    rows = list(pq.read_table(path).to_pandas().sample(frac=1.0, random_state=1).itertuples())
    return rows[:220], rows[220:]


@pytest.mark.parametrize("pooling", ["mean", "class"])
def test_encoder_tagger_learns_top_vs_qcd(jets, tmp_path, pooling):
    train, test = jets
    torch.manual_seed(0)
    config = TaggerConfig(dim=32, depth=1, heads=2, pooling=pooling)
    tagger = train_classifier(
        JetTagger(config),
        train,
        config.features,
        TrainConfig(steps=150, batch_size=32, lr=2e-3, warmup_steps=10, log_every=25, progress=False),
        out_dir=tmp_path,
    )
    metrics = evaluate(tagger, test, config.features)
    assert metrics.auc > 0.7, metrics  # chance is 0.5; 80 test jets give about +-0.05
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["loss"] < records[0]["loss"]


def test_deep_sets_baseline_learns(jets):
    train, test = jets
    torch.manual_seed(0)
    config = TaggerConfig()
    model = train_classifier(
        DeepSets(len(config.features.names)),
        train,
        config.features,
        TrainConfig(steps=150, batch_size=32, lr=2e-3, warmup_steps=10, log_every=50, progress=False),
    )
    assert evaluate(model, test, config.features).auc > 0.7


def test_jet_jepa_pretrains_and_loads(jets, tmp_path):
    train, _ = jets
    config = TaggerConfig(dim=32, depth=1, heads=2)
    ckpt = pretrain_jepa(
        train, config, TrainConfig(steps=8, batch_size=16, log_every=4, progress=False), tmp_path / "jepa"
    )
    log = [json.loads(line) for line in (tmp_path / "jepa" / "metrics.jsonl").read_text().splitlines()]
    assert {"latent_loss", "embedding_std", "effective_rank", "centered_rank"} <= set(log[-1])
    tagger = JetTagger(config)
    before = tagger.encoder.embed.weight.clone()
    load_pretrained(tagger, ckpt)
    assert not torch.equal(before, tagger.encoder.embed.weight)


def test_report_runs_every_model(jets, tmp_path):
    from jets.report import MODELS, run_report

    train, test = jets
    report = run_report(
        train + test,
        tmp_path,
        config=TaggerConfig(dim=16, depth=1, heads=2),
        fractions=(1.0,),
        seeds=1,
        steps=5,
        pretrain_steps=3,
        batch_size=32,
    )
    assert set(report["summary"]) == set(MODELS)
    assert (tmp_path / "roc.png").exists() and (tmp_path / "report.md").read_text().startswith("| model")


def test_jet_jepa_refuses_jets_prepared_without_subjets(jets, tmp_path):
    from jets.features import prepare_jets

    train, _ = jets
    config = TaggerConfig(dim=16, depth=1, heads=2)
    prepared = prepare_jets(train[:20], config.features, with_subjets=False)
    with pytest.raises(SymtokError, match="subjets"):
        pretrain_jepa(prepared, config, TrainConfig(steps=1, batch_size=8, progress=False), tmp_path)


def test_linear_probe_reads_frozen_embeddings(jets):
    from jets.evaluate import embeddings, linear_probe

    train, test = jets
    torch.manual_seed(0)
    tagger = JetTagger(TaggerConfig(dim=16, depth=1, heads=2))
    z = embeddings(tagger, test)
    assert z.shape == (len(test), 16)
    # top vs QCD differ so much in multiplicity and spread that even random pooled features separate them
    assert linear_probe(tagger, train, test) > 0.6
    with pytest.raises(SymtokError, match="both labels"):
        linear_probe(tagger, [j for j in train if j.label == 1], test)
