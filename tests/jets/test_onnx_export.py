"""Jet tagger: checkpoints, ONNX parity for both attention backends, and the finetune/evaluate/export commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from jets.generate import generate_jets
from jets.model import JetTagger, TaggerConfig, load_tagger, save_tagger
from jets.onnx_export import ExportedTagger, export_tagger
from symtok.nn.checkpoint import CheckpointError
from symtok.onnx_runtime import OnnxModel


@pytest.mark.parametrize(("attention", "pooling"), [("fast", "mean"), ("softmax", "mean"), ("fast", "class")])
def test_onnx_matches_pytorch(tmp_path, attention, pooling):
    torch.manual_seed(0)
    config = TaggerConfig(dim=32, depth=2, heads=4, attention=attention, pooling=pooling)
    save_tagger(JetTagger(config), tmp_path / "t")
    session = OnnxModel(export_tagger(tmp_path / "t", tmp_path / "t" / "model.onnx"))
    wrapper = ExportedTagger(load_tagger(tmp_path / "t")).eval()
    rng = np.random.default_rng(2)
    for batch, n in ((1, 4), (5, 37), (3, 128)):
        x = rng.normal(size=(batch, n, 7)).astype(np.float32)
        mask = np.ones((batch, n), dtype=np.int64)
        mask[-1, n // 2 :] = 0
        with torch.no_grad():
            reference = wrapper(torch.from_numpy(x), torch.from_numpy(mask)).numpy()
        np.testing.assert_allclose(session.run({"features": x, "mask": mask})[0], reference, atol=1e-4, rtol=0)


def test_wrong_checkpoint_kind(tmp_path):
    from symtok.nn.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "x", torch.nn.Linear(2, 2), {"kind": "something-else"})
    with pytest.raises(CheckpointError, match="not a jet tagger"):
        load_tagger(tmp_path / "x")


def _finetune(runner, data, out, *options):
    return runner.invoke(app, ["jets", "finetune", str(data), "-o", str(out), *options])


def test_finetune_evaluate_export_commands(tmp_path):
    data = tmp_path / "top.parquet"
    generate_jets("top", 120, data, seed=9)
    runner = CliRunner()
    pre = runner.invoke(app, ["jets", "pretrain", str(data), "-o", str(tmp_path / "jepa"), "--steps", "3"])
    assert pre.exit_code == 0, pre.output
    ft = _finetune(
        runner,
        data,
        tmp_path / "tagger",
        "--steps",
        "20",
        "--pretrained",
        str(tmp_path / "jepa" / "checkpoint"),
        "--label-fraction",
        "0.5",
        "--pooling",
        "class",
    )
    assert ft.exit_code == 0, ft.output
    assert "AUC" in ft.stdout
    assert load_tagger(tmp_path / "tagger").config.pooling == "class"  # the JEPA encoder under a class-attention pool
    exported = runner.invoke(
        app, ["export", "onnx", "--model", str(tmp_path / "tagger"), "-o", str(tmp_path / "tagger" / "model.onnx")]
    )
    assert exported.exit_code == 0, exported.output
    torch_metrics = json.loads(
        runner.invoke(app, ["jets", "evaluate", str(data), "--model", str(tmp_path / "tagger"), "--json"]).stdout
    )
    onnx_metrics = json.loads(
        runner.invoke(
            app, ["jets", "evaluate", str(data), "--model", str(tmp_path / "tagger"), "--backend", "onnx", "--json"]
        ).stdout
    )
    assert onnx_metrics["auc"] == pytest.approx(torch_metrics["auc"], abs=1e-3)


def test_pretrain_with_pid_probe_and_mismatched_finetune(tmp_path):
    data = tmp_path / "top.parquet"
    generate_jets("top", 120, data, seed=5)
    runner = CliRunner()
    pre = runner.invoke(app, ["jets", "pretrain", str(data), "-o", str(tmp_path / "jepa"), "--steps", "3", "--pid"])
    assert pre.exit_code == 0, pre.output
    probe = runner.invoke(app, ["jets", "probe", str(data), "--pretrained", str(tmp_path / "jepa"), "--jets", "30"])
    assert probe.exit_code == 0, probe.output
    aucs = [float(w.rstrip(",")) for w in probe.stdout.split() if w.rstrip(",").replace(".", "", 1).isdigit()]
    assert len(aucs) >= 2 and all(0.0 <= a <= 1.0 for a in aucs[-2:])
    # the tagger takes the pretrained configuration (PID features); another attention cannot load it
    ft = _finetune(runner, data, tmp_path / "t", "--steps", "2", "--pretrained", str(tmp_path / "jepa"))
    assert ft.exit_code == 0, ft.output
    assert load_tagger(tmp_path / "t").config.features.use_pid
    bad = _finetune(runner, data, tmp_path / "u", "--pretrained", str(tmp_path / "jepa"), "--attention", "softmax")
    assert bad.exit_code == 2 and "pretrained with attention=fast" in bad.output


def test_report_command_writes_every_artifact(tmp_path):
    data = tmp_path / "top.parquet"
    generate_jets("top", 160, data, seed=6)
    result = CliRunner().invoke(
        app,
        [
            "jets",
            "report",
            str(data),
            "-o",
            str(tmp_path / "report"),
            "--seeds",
            "1",
            "--steps",
            "3",
            "--pretrain-steps",
            "2",
            "--max-constituents",
            "32",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert metrics["train_jets"] + metrics["test_jets"] == 160
    assert metrics["tagger"]["features"]["max_constituents"] == 32
    assert 0.0 <= metrics["linear_probe"]["jepa_auc"] <= 1.0
    assert (tmp_path / "report" / "roc.png").exists() and "| Deep Sets |" in result.stdout
