"""Training loop and checkpoints: identical reloads, exact resume, clear errors, DDP on 2 CPU processes."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from symtok.nn.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.train import TrainConfig, batch_indices
from tests.torchrun import torchrun
from tests.train_fixtures import Regressor, collate, regression_data, regression_fit


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    enc = Encoder(EncoderConfig(vocab_size=30, dim=32, depth=2, heads=4)).eval()
    x = torch.randint(6, 30, (2, 17))
    save_checkpoint(tmp_path / "ckpt", enc, {"encoder": {"vocab_size": 30}}, metrics={"loss": 1.0}, vocab_json="{}")
    ckpt = load_checkpoint(tmp_path / "ckpt")
    fresh = Encoder(EncoderConfig(vocab_size=30, dim=32, depth=2, heads=4, seed=99)).eval()
    assert not torch.equal(fresh(x).states, enc(x).states)  # different FAVOR+ features and weights
    load_weights(fresh, ckpt)
    assert torch.equal(fresh(x).states, enc(x).states)
    assert ckpt.metrics == {"loss": 1.0} and ckpt.config["encoder"] == {"vocab_size": 30}


def test_checkpoint_files_are_not_pickles(tmp_path):
    model = Regressor()
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(2, 4, 3), torch.zeros(2, 4, dtype=torch.bool)).sum().backward()
    optimizer.step()
    path = save_checkpoint(tmp_path / "c", model, {}, optimizer=optimizer, trainer_state={"step": 1})
    names = sorted(p.name for p in path.iterdir())
    assert names == [
        "checksums.json",
        "config.json",
        "metrics.json",
        "model.safetensors",
        "optimizer.json",
        "optimizer.safetensors",
        "trainer_state.json",
    ]
    for p in path.iterdir():
        assert not p.read_bytes().startswith(b"\x80"), f"{p.name} looks like a pickle"
    loaded = load_checkpoint(path)
    optimizer.load_state_dict(loaded.optimizer_state)


def test_checkpoint_errors_say_what_is_missing(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint directory"):
        load_checkpoint(tmp_path / "nope")
    path = save_checkpoint(tmp_path / "c", Regressor(), {})
    (path / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"missing model\.safetensors"):
        load_checkpoint(path)
    save_checkpoint(tmp_path / "d", Regressor(), {})
    with pytest.raises(CheckpointError, match="does not fit"):
        load_weights(Encoder(EncoderConfig(vocab_size=10, dim=16, heads=2)), load_checkpoint(tmp_path / "d"))


def test_overwriting_a_checkpoint_is_atomic(tmp_path):
    save_checkpoint(tmp_path / "c", Regressor(), {"n": 1})
    save_checkpoint(tmp_path / "c", Regressor(), {"n": 2})
    assert load_checkpoint(tmp_path / "c").config["n"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


def test_batches_are_deterministic_full_and_cover_an_epoch():
    cfg = TrainConfig(batch_size=8, seed=3)
    epoch = [batch_indices(64, s, cfg) for s in range(8)]
    assert sorted(i for b in epoch for i in b) == list(range(64))
    assert batch_indices(64, 3, cfg) == epoch[3]
    assert batch_indices(64, 3, cfg, rank=0, world=2) + batch_indices(64, 3, cfg, rank=1, world=2) != []
    assert sorted(batch_indices(64, 3, cfg, 0, 2) + batch_indices(64, 3, cfg, 1, 2)) == sorted(epoch[3])


def test_training_reduces_the_loss_and_logs(tmp_path):
    data = regression_data()
    regression_fit(data, tmp_path, steps=40)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(2, 41, 2))
    first = sum(r["loss"] for r in records[:3]) / 3
    last = sum(r["loss"] for r in records[-3:]) / 3
    assert last < 0.5 * first, (first, last)
    assert {"lr", "grad_norm", "items_per_s", "mse"} <= set(records[0])
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert load_checkpoint(tmp_path / "checkpoint").trainer_state["step"] == 40


def test_resume_gives_the_same_result_as_an_uninterrupted_run(tmp_path):
    data = regression_data()
    full = regression_fit(data, tmp_path / "full", steps=12, dropout=0.1, redraw=3)
    regression_fit(data, tmp_path / "cut", steps=12, stop_after=8, dropout=0.1, redraw=3)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint").trainer_state["step"] == 8
    resumed = regression_fit(data, tmp_path / "cut", steps=12, resume=True, dropout=0.1, redraw=3)
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    lines = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [2, 4, 6, 8, 10, 12]


def test_resume_without_checkpoint_fails_loudly(tmp_path):
    with pytest.raises(CheckpointError, match="nothing to resume"):
        regression_fit(regression_data(), tmp_path, resume=True)


def test_ddp_on_two_cpu_processes_matches_one_process(tmp_path):
    single = regression_fit(regression_data(), None)
    out = tmp_path / "ddp.safetensors"
    result = torchrun("tests.ddp_worker", str(out), port=29517)
    assert result.returncode == 0, result.stderr[-3000:]
    ddp = load_file(str(out))
    for name, value in single.state_dict().items():
        torch.testing.assert_close(ddp[name], value, rtol=1e-4, atol=1e-5, msg=name)


def test_collate_pads_with_mask():
    x, mask, y = collate(regression_data(4))
    assert x.shape[0] == 4 and mask.shape == x.shape[:2] and y.shape == (4,)
