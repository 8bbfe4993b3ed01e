"""Checkpoints: models load by their registered kind; resume honours the saved TrainConfig."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from symtok.nn.checkpoint import (
    CheckpointError,
    checkpoint_kind,
    load_model,
    register_model,
    registered_kinds,
    save_checkpoint,
)
from symtok.nn.train import TrainConfig, fit
from tests.train_fixtures import collate, loss_fn, regression_data


class Affine(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(width, 1)


def test_a_registered_kind_loads_by_its_config(tmp_path):
    register_model("test-affine", "a test affine map", lambda config: Affine(config["width"]))
    assert "test-affine" in registered_kinds()
    model = Affine(3)
    save_checkpoint(tmp_path / "m", model, {"kind": "test-affine", "width": 3})
    assert checkpoint_kind(tmp_path / "m") == "test-affine"
    loaded, ckpt = load_model(tmp_path / "m")
    assert isinstance(loaded, Affine) and not loaded.training
    assert torch.equal(loaded.linear.weight, model.linear.weight)
    assert ckpt.config["width"] == 3


def test_unknown_or_wrong_kind_is_a_clear_error(tmp_path):
    register_model("test-affine", "a test affine map", lambda config: Affine(config["width"]))
    save_checkpoint(tmp_path / "m", Affine(2), {"kind": "no-such-kind"})
    with pytest.raises(CheckpointError, match="no model kind 'no-such-kind' is registered"):
        load_model(tmp_path / "m")
    with pytest.raises(CheckpointError, match="is not a test affine map"):
        load_model(tmp_path / "m", "test-affine")
    save_checkpoint(tmp_path / "n", Affine(2), {"kind": "test-affine", "width": 5})
    with pytest.raises(CheckpointError, match="does not fit the model"):
        load_model(tmp_path / "n")
    with pytest.raises(CheckpointError, match=r"missing config\.json"):
        checkpoint_kind(tmp_path)


def _fit(out, steps, lr, resume=False, stop_after=None):
    from tests.train_fixtures import Regressor

    torch.manual_seed(1)
    cfg = TrainConfig(steps=steps, batch_size=8, lr=lr, warmup_steps=2, log_every=2, checkpoint_every=2, progress=False)
    fit(
        Regressor(), loss_fn, regression_data(), cfg, collate=collate, out_dir=out, resume=resume, stop_after=stop_after
    )


def test_resume_refuses_other_training_settings(tmp_path):
    _fit(tmp_path, 8, 3e-3, stop_after=4)
    with pytest.raises(CheckpointError, match=r"other settings \(lr=0.003\)"):
        _fit(tmp_path, 8, 1e-2, resume=True)
    saved = json.loads((tmp_path / "checkpoint" / "trainer_state.json").read_text())
    assert saved["step"] == 4
    _fit(tmp_path, 8, 3e-3, resume=True)  # the same settings resume
    assert json.loads((tmp_path / "checkpoint" / "trainer_state.json").read_text())["step"] == 8


def test_a_corrupt_or_edited_model_file_is_refused_by_its_checksum(tmp_path):
    register_model("test-affine", "a test affine map", lambda config: Affine(config["width"]))
    save_checkpoint(tmp_path / "m", Affine(3), {"kind": "test-affine", "width": 3})
    sums = json.loads((tmp_path / "m" / "checksums.json").read_text())
    assert {"config.json", "model.safetensors"} <= set(sums)
    weights = tmp_path / "m" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in a weight: still a readable file, but not the saved one
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / "checksums.json").unlink()  # without checksums: read as it is, garbage refused
    weights.write_bytes(b"\0" * 64)
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / "metrics.json").write_text("{}")  # reports beside a model may change freely
    save_checkpoint(tmp_path / "n", Affine(3), {"kind": "test-affine", "width": 3})
    (tmp_path / "n" / "metrics.json").write_text('{"rewritten": true}')
    load_model(tmp_path / "n")


def test_checkpoint_files_follow_the_umask(tmp_path):
    import os
    import stat

    from symtok import files

    register_model("test-affine", "a test affine map", lambda config: Affine(config["width"]))
    old = os.umask(0o022)
    files._umask.cache_clear()
    try:
        save_checkpoint(tmp_path / "m", Affine(3), {"kind": "test-affine", "width": 3})
    finally:
        os.umask(old)
        files._umask.cache_clear()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "m").iterdir()}
    assert set(modes.values()) == {0o644}, modes
    assert stat.S_IMODE((tmp_path / "m").stat().st_mode) == 0o755
