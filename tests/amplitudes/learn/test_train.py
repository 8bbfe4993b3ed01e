"""Amplitude prediction: datasets with exact targets, splits, the regressor, pretraining, checkpoints,
the end-to-end preset and `predict`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from amplitudes.generate import generate, process_rows
from amplitudes.learn.dataset import DatasetConfig, build_dataset
from amplitudes.learn.model import (
    AmplitudeRegressor,
    RegressorConfig,
    Standardizer,
    collate,
    load_regressor,
    make_items,
    predict_log10,
)
from amplitudes.learn.predict import predict, process_of_amplitude
from amplitudes.learn.train import finetune, load_pretrained_encoder, pretrain, train_preset
from amplitudes.physics.me2 import me2
from amplitudes.physics.process import Process
from symtok import SymtokError, parse
from symtok.nn.checkpoint import CheckpointError
from symtok.nn.encoder import EncoderConfig
from symtok.nn.train import TrainConfig

SMALL = RegressorConfig(encoder=EncoderConfig(dim=32, depth=1, heads=2, nb_features=32, dropout=0.0))


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "rows.txt"
    chosen = [
        "e+ e- > mu+ mu-",
        "e- a > e- a",
        "e+ e- > a a",
        "e- mu- > e- mu-",
        "e+ e- > e+ e-",
        "e- e- > e- e-",
        "a a > mu+ mu-",
        "mu+ mu- > ta+ ta-",
        "e+ e- > u u~",
        "e- a > e- a",
    ]
    generate("qed", path, processes=chosen[:9], mode="process")
    return path


@pytest.fixture(scope="module")
def dataset(data_file):
    return build_dataset(str(data_file), DatasetConfig(points_per_row=12, test_process_fraction=0.25, seed=3))


def test_targets_are_exact_log10_me2(dataset):
    for e in dataset.examples[:4]:
        proc = Process.parse(e.process)
        for kin, (sqrt_s, cos), target in zip(e.kin[:3], e.points[:3], e.target[:3], strict=True):
            assert kin[0] == pytest.approx(cos)  # the features are dimensionless: cos θ, m_i/√s, s_ij/s
            assert target == pytest.approx(math.log10(me2(proc, sqrt_s, cos)), abs=1e-5)


def test_splits_hold_out_whole_processes(dataset):
    held = set(dataset.processes("test_processes"))
    assert held and not held & set(dataset.processes("train"))
    assert set(dataset.processes("test_points")) <= set(dataset.processes("train")) | set()
    assert len(dataset.examples) == 9 and not dataset.skipped


def test_dataset_is_fixed_by_seed(data_file):
    a = build_dataset(str(data_file), DatasetConfig(points_per_row=4, seed=1))
    b = build_dataset(str(data_file), DatasetConfig(points_per_row=4, seed=1))
    assert all(np.array_equal(x.kin, y.kin) and x.split == y.split for x, y in zip(a.examples, b.examples, strict=True))


def test_collate_and_forward_shapes(dataset):
    scale = Standardizer.fit(dataset.examples)
    batch = collate(make_items(dataset.examples, "train", scale)[:3])
    model = AmplitudeRegressor(SMALL)
    assert model(batch.tokens, batch.kin).shape == batch.target.shape == batch.mask.shape


def test_finetune_learns_and_reloads_identically(dataset, tmp_path):
    model, scale = finetune(
        dataset,
        tmp_path / "ft",
        SMALL,
        TrainConfig(steps=60, batch_size=4, lr=3e-3, warmup_steps=5, log_every=10, progress=False),
    )
    records = [json.loads(line) for line in (tmp_path / "ft" / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["loss"] < records[0]["loss"]
    loaded, scale2, _, _ = load_regressor(tmp_path / "ft")
    model.eval()
    model.encoder.fix_features()
    e = dataset.examples[0]
    assert np.allclose(
        predict_log10(model, scale, [e.tokens], [e.kin]), predict_log10(loaded, scale2, [e.tokens], [e.kin])
    )


def test_pretrained_encoder_is_loaded(dataset, tmp_path):
    seqs = [e.tokens for e in dataset.examples]
    ckpt = pretrain(
        seqs, tmp_path / "pt", SMALL.encoder, TrainConfig(steps=6, batch_size=4, log_every=2, progress=False)
    )
    model = AmplitudeRegressor(SMALL)
    before = model.encoder.embed.weight.clone()
    load_pretrained_encoder(model, ckpt)
    assert not torch.equal(before, model.encoder.embed.weight)
    with pytest.raises(CheckpointError):
        load_pretrained_encoder(model, tmp_path / "nope")


def test_process_of_generated_amplitudes():
    for text, theory in (
        ("u u~ > g g", "qcd"),
        ("g u > g u", "qcd"),
        ("e+ e- > mu+ mu-", "qed"),
        ("e- a > e- a", "qed"),
    ):
        row = process_rows(Process.parse(text), theory, mode="process")[0]
        assert process_of_amplitude(parse(row.amplitude)) == Process.parse(text)
    with pytest.raises(SymtokError, match=r"p_1 \.\.\. p_4"):
        process_of_amplitude(parse("e^2*s_12"))


@pytest.fixture(scope="module")
def smoke_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "smoke"
    train_preset("smoke", out, progress=False)
    return out


def test_preset_writes_a_complete_model(smoke_model):
    names = sorted(p.name for p in smoke_model.iterdir())
    assert names == [
        "checksums.json",
        "config.json",
        "metrics.json",
        "model.onnx",
        "model.safetensors",
        "parity.png",
        "preprocess.json",
        "residuals.png",
        "vocab.json",
    ]
    torch_value = predict(30.0, 0.4, process="e+ e- > mu+ mu-", model_dir=smoke_model).prediction
    onnx_value = predict(30.0, 0.4, process="e+ e- > mu+ mu-", model_dir=smoke_model, backend="onnx").prediction
    assert onnx_value == pytest.approx(torch_value, rel=1e-4)  # the graph written by training matches
    metrics = json.loads((smoke_model / "metrics.json").read_text())
    assert metrics["splits"]["train"] and metrics["splits"]["test"]
    assert not set(metrics["splits"]["train"]) & set(metrics["splits"]["test"])
    assert [e["name"] for e in metrics["evaluations"]][1].startswith("gradient boosting")


def test_predict_with_exact_value(smoke_model):
    r = predict(30.0, 0.4, process="e+ e- > mu+ mu-", model_dir=smoke_model, exact=True)
    assert r.prediction > 0 and r.exact == pytest.approx(me2("e+ e- > mu+ mu-", 30.0, 0.4))
    assert r.rel_error == pytest.approx(abs(r.prediction / r.exact - 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sqrt_s": 0.01}, "threshold"),
        ({"cos_theta": 1.5}, r"must be in \[-1, 1\]"),
        ({"process": "a a > a a"}, "no tree-level"),
    ],
)
def test_predict_errors(smoke_model, kwargs, message):
    args = {"sqrt_s": 30.0, "cos_theta": 0.1, "process": "e+ e- > mu+ mu-", **kwargs}
    with pytest.raises(SymtokError, match=message):
        predict(args.pop("sqrt_s"), args.pop("cos_theta"), model_dir=smoke_model, **args)


def test_predict_cli(smoke_model):
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "predict",
            "--process",
            "e+ e- > mu+ mu-",
            "--sqrt-s",
            "30",
            "--cos-theta",
            "0.4",
            "--model",
            str(smoke_model),
            "--exact",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"prediction", "exact", "rel_error"} <= set(data)
    bad = CliRunner().invoke(
        app, ["predict", "--process", "e+ e- > mu+ mu-", "--sqrt-s", "0.001", "--model", str(smoke_model)]
    )
    assert bad.exit_code == 2 and "threshold" in bad.stderr


def test_pretrain_finetune_evaluate_commands(data_file, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    pre = runner.invoke(
        app,
        [
            "amplitudes",
            "pretrain",
            str(data_file),
            "-o",
            str(tmp_path / "pre"),
            "--preset",
            "smoke",
            "--steps",
            "4",
            "--jepa-lambda",
            "0.1",
            "--no-progress",
        ],
    )
    assert pre.exit_code == 0, pre.output
    assert "span_loss" in (tmp_path / "pre" / "metrics.jsonl").read_text()
    ft = runner.invoke(
        app,
        [
            "amplitudes",
            "finetune",
            str(data_file),
            "-o",
            str(tmp_path / "ft"),
            "--preset",
            "smoke",
            "--steps",
            "6",
            "--pretrained",
            str(tmp_path / "pre" / "checkpoint"),
            "--label-fraction",
            "0.5",
            "--no-progress",
        ],
    )
    assert ft.exit_code == 0, ft.output
    assert "test_processes" in ft.stdout
    ev = runner.invoke(
        app,
        [
            "amplitudes",
            "evaluate",
            str(data_file),
            "--model",
            str(tmp_path / "ft"),
            "-o",
            str(tmp_path / "ev"),
            "--no-baselines",
        ],
    )
    assert ev.exit_code == 0, ev.output
    assert (tmp_path / "ev" / "parity.png").exists() and json.loads((tmp_path / "ev" / "metrics.json").read_text())[0][
        "splits"
    ]


def test_a_diagram_square_is_dimensionless_so_the_features_can_be():
    """The features are cos θ, m_i/√s and s_ij/s: right only because |M_d|^2 of a 2→2 tree has no
    dimension. Scaling every mass by λ and every invariant by λ² leaves each generated row's value."""
    from sympy import lambdify

    from amplitudes.learn.features import kinematic_features
    from amplitudes.physics.me2 import point_values

    rows = process_rows(Process.parse("e- mu- > e- mu-"), "qed", mode="diagram") + process_rows(
        Process.parse("u u~ > t t~"), "qcd", mode="diagram"
    )
    for row in rows:
        proc = process_of_amplitude(parse(row.amplitude))
        expr = parse(row.squared_amplitude)
        args = sorted(expr.free_symbols, key=lambda s: s.name)
        fn = lambdify(args, expr, "math")
        kin, inv = kinematic_features(proc, 900.0, 0.3)
        values = point_values(proc, inv)
        lam = 7.0
        power = {k: 2 if k.startswith("s_") else 1 if k.startswith("m_") else 0 for k in values}
        scaled = {k: v * lam ** power[k] for k, v in values.items()}
        a = fn(*(values[s.name] for s in args))
        b = fn(*(scaled[s.name] for s in args))
        assert b == pytest.approx(a, rel=1e-9) and a != 0
        assert kin[0] == pytest.approx(0.3)


def test_a_model_trained_before_named_features_still_loads():
    from amplitudes.learn.features import LEGACY_KIN_FEATURES

    old = RegressorConfig.from_dict({"kin_dim": 8, "hidden": 64})
    assert old.kin_features == LEGACY_KIN_FEATURES and old.kin_dim == 8
    with pytest.raises(SymtokError, match="kin_dim"):
        RegressorConfig.from_dict({"kin_dim": 5})
    with pytest.raises(SymtokError, match="unknown kinematic features"):
        RegressorConfig(kin_features=("cos_theta", "rapidity"))


def test_offshell_patterns_of_a_process_are_held_out_together(tmp_path):
    path = tmp_path / "rows.txt"
    generate(
        "qed", path, processes=["e+ e- > mu+ mu-", "e- mu- > e- mu-", "e+ e- > a a"], mode="diagram", offshell=True
    )
    data = build_dataset(str(path), DatasetConfig(points_per_row=2, test_process_fraction=0.34, seed=1))
    from amplitudes.corpus import family

    held = set(data.families("test_processes"))
    assert len(held) == 1 and len(data.families("train")) == 2
    assert any("*" in e.process for e in data.examples)
    for e in data.examples:  # every OffShell pattern of the held-out family, and no other row
        assert (family(e.process) in held) == all(s == "test_processes" for s in e.split)


def test_the_surrogate_is_checked_on_every_row_of_a_file(smoke_model, tmp_path):
    from amplitudes.learn.predict import check_surrogate_rows, evaluate_expression

    path = tmp_path / "rows.txt"
    generate("qed", path, processes=["e+ e- > mu+ mu-", "e- a > e- a"], mode="diagram")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "Interaction: broken : x : y : z", *lines[1:]]) + "\n")
    errors: list[tuple[int, str]] = []
    checks = check_surrogate_rows(str(path), model_dir=smoke_model, energies=(1.5, 10.0), cosines=(0.2,), errors=errors)
    assert [line for line, _ in errors] == [2]
    assert len(checks) == 2 * (len(lines))  # every readable row at both points
    for c in checks:
        assert c.prediction > 0 and c.exact > 0
        assert c.rel_error == pytest.approx(abs(c.prediction / c.exact - 1))
    first = next(c for c in checks if c.line == 1)
    from symtok.io import read_rows

    row = next(iter(read_rows(str(path), "symba")))
    assert first.exact == pytest.approx(
        evaluate_expression(row.amplitude, row.squared_amplitude, first.sqrt_s, first.cos_theta)
    )
