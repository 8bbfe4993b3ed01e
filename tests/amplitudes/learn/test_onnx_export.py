"""ONNX export: onnxruntime agrees with PyTorch (both attention backends, batch sizes and lengths
never seen at export), preprocess.json, input validation, and `predict --backend onnx`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from amplitudes.learn.features import KIN_FEATURES
from amplitudes.learn.model import AmplitudeRegressor, RegressorConfig, Standardizer, load_regressor
from amplitudes.learn.onnx_export import ExportedRegressor, export_regressor
from amplitudes.learn.predict import onnx_predict_log10, pad_batch
from symtok import SymtokError
from symtok.nn.checkpoint import save_checkpoint
from symtok.nn.encoder import EncoderConfig
from symtok.nn.onnx_export import OnnxModel, Preprocess
from symtok.vocab import Vocab

SCALE = Standardizer(
    0.3, 1.7, tuple(0.1 * k for k in range(len(KIN_FEATURES))), tuple(1.0 + 0.1 * k for k in range(len(KIN_FEATURES)))
)


def regressor_dir(tmp_path, attention):
    torch.manual_seed(0)
    config = RegressorConfig(
        encoder=EncoderConfig(dim=32, depth=2, heads=4, nb_features=32, dropout=0.0, attention=attention), hidden=64
    )
    model = AmplitudeRegressor(config)
    from dataclasses import asdict

    path = tmp_path / f"model-{attention}"
    save_checkpoint(
        path,
        model,
        {"kind": "amplitude-regressor", "regressor": asdict(config), "scale": asdict(SCALE)},
        vocab_json=Vocab.default().to_json(),
    )
    return path


@pytest.mark.parametrize("attention", ["fast", "softmax"])
def test_onnxruntime_matches_pytorch(tmp_path, attention):
    directory = regressor_dir(tmp_path, attention)
    path = export_regressor(directory, tmp_path / "onnx" / "model.onnx")
    session = OnnxModel(path)
    model, scale, _, _ = load_regressor(directory)
    wrapper = ExportedRegressor(model, scale).eval()
    rng = np.random.default_rng(1)
    for batch, length, points in ((1, 5, 1), (2, 12, 3), (4, 37, 2), (7, 130, 4)):
        seqs = [list(rng.integers(6, 734, size=int(rng.integers(2, length + 1)))) for _ in range(batch)]
        kin = rng.normal(size=(batch, points, len(KIN_FEATURES))).astype(np.float32)
        ours = onnx_predict_log10(session, seqs, kin)
        tokens, mask = pad_batch(seqs)
        with torch.no_grad():
            reference = wrapper(torch.from_numpy(tokens), torch.from_numpy(mask), torch.from_numpy(kin)).numpy()
        assert ours.shape == (batch, points)
        np.testing.assert_allclose(ours, reference, atol=1e-4, rtol=0)


def test_preprocess_json_describes_the_inputs(tmp_path):
    path = export_regressor(regressor_dir(tmp_path, "fast"), tmp_path / "onnx" / "model.onnx")
    pre = Preprocess.load(path.with_name("preprocess.json"))
    assert [s.name for s in pre.inputs] == ["tokens", "attention_mask", "kinematics"]
    assert [s.dtype for s in pre.inputs] == ["int64", "int64", "float32"]
    assert pre.metadata["vocab_size"] == len(Vocab.default()) and pre.metadata["kin_features"] == list(KIN_FEATURES)
    assert Vocab.load(path.with_name("vocab.json")) == Vocab.default()
    assert json.loads(path.with_name("preprocess.json").read_text())["outputs"] == ["log10_me2"]


def test_inputs_are_validated(tmp_path):
    session = OnnxModel(export_regressor(regressor_dir(tmp_path, "fast"), tmp_path / "onnx" / "model.onnx"))
    tokens, mask = pad_batch([[7, 8, 9]])
    kin = np.zeros((1, 2, len(KIN_FEATURES)), dtype=np.float32)
    with pytest.raises(SymtokError, match="missing input"):
        session.run({"tokens": tokens, "attention_mask": mask})
    with pytest.raises(SymtokError, match="must be float32"):
        session.run({"tokens": tokens, "attention_mask": mask, "kinematics": kin.astype(np.float64)})
    with pytest.raises(SymtokError, match="token ids"):
        session.run({"tokens": tokens + 10_000, "attention_mask": mask, "kinematics": kin})
    with pytest.raises(SymtokError, match="axis 'batch'"):
        session.run(
            {
                "tokens": tokens,
                "attention_mask": mask,
                "kinematics": np.zeros((2, 2, len(KIN_FEATURES)), dtype=np.float32),
            }
        )
    with pytest.raises(SymtokError, match="no ONNX model"):
        OnnxModel(tmp_path / "missing.onnx")


def test_export_command_and_predict_backend_onnx(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    directory = regressor_dir(tmp_path, "fast")
    runner = CliRunner()
    exported = runner.invoke(app, ["export", "onnx", "--model", str(directory), "-o", str(directory / "model.onnx")])
    assert exported.exit_code == 0, exported.output
    args = [
        "predict",
        "--process",
        "e+ e- > mu+ mu-",
        "--sqrt-s",
        "9",
        "--cos-theta",
        "0.2",
        "--model",
        str(directory),
        "--json",
    ]
    torch_result = json.loads(runner.invoke(app, args).stdout)
    onnx_result = json.loads(runner.invoke(app, [*args, "--backend", "onnx"]).stdout)
    assert onnx_result["prediction"] == pytest.approx(torch_result["prediction"], rel=1e-3)
    # "-o NEWDIR/" (the trailing slash says directory) creates it and writes model.onnx there
    fresh = tmp_path / "deploy" / "new"
    exported = runner.invoke(app, ["export", "onnx", "--model", str(directory), "-o", f"{fresh}/"])
    assert exported.exit_code == 0, exported.output
    assert {"model.onnx", "preprocess.json"} <= {p.name for p in fresh.iterdir()}


def test_the_shipped_models_onnx_graphs_match_their_weights():
    """Every shipped model ships its ONNX graphs, and they compute what its weights compute."""
    from amplitudes.learn.predict import predict
    from amplitudes.learn.squared_predict import predict_texts
    from symtok.files import data_path
    from symtok.io import read_rows

    regressor = data_path("models", "amplitude-default")
    for process, sqrt_s, cos_theta in (("e+ e- > mu+ mu-", 9.0, -0.3), ("e- mu- > e- mu-", 30.0, 0.5)):
        torch_value = predict(sqrt_s, cos_theta, process=process, model_dir=regressor).prediction
        onnx_value = predict(sqrt_s, cos_theta, process=process, model_dir=regressor, backend="onnx").prediction
        assert onnx_value == pytest.approx(torch_value, rel=1e-4)
    amplitudes = [r.amplitude for r in read_rows(str(data_path("examples", "qed_rows.txt")))]
    qcd = [r.amplitude for r in read_rows(str(data_path("examples", "qcd_rows.txt")))][:8]
    for name, texts in (("squared-symba2025", amplitudes), ("squared-default", amplitudes[:8] + qcd)):
        squared = data_path("models", name)
        torch_out = predict_texts(squared, texts)
        onnx_out = predict_texts(squared, texts, backend="onnx")
        assert [p.tokens for p in onnx_out] == [p.tokens for p in torch_out], name
        assert all(p.text or "longer than the model's maximum" in (p.error or "") for p in torch_out), name
