"""Every task trainer under ``torchrun --nproc_per_node 2`` (gloo, CPU) gives the weights of the
same run in one process: each rank takes half of every batch and the loss is the mean over both
ranks' examples; the JEPA pretrainings draw their targets over the whole batch, and their EMA target
encoders must agree too (the squared trainer has its own test beside it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.ddp_task_worker import run
from tests.torchrun import torchrun


@pytest.fixture(scope="module")
def regressor_rows(tmp_path_factory):
    from amplitudes.generate import generate

    path = tmp_path_factory.mktemp("rows") / "rows.txt"
    processes = ["e+ e- > mu+ mu-", "e- a > e- a", "e+ e- > a a", "e- mu- > e- mu-", "e+ e- > u u~", "a a > mu+ mu-"]
    generate("qed", path, processes=processes, mode="process")
    return path


@pytest.fixture(scope="module")
def jet_file(tmp_path_factory):
    from jets.generate import generate_jets

    path = tmp_path_factory.mktemp("jets") / "top.parquet"
    generate_jets("top", 120, path, seed=2)
    return path


@pytest.mark.parametrize("task", ["regressor", "tagger", "amplitude-jepa", "jet-jepa"])
def test_two_processes_give_the_one_process_weights(task, regressor_rows, jet_file, tmp_path):
    data = str(regressor_rows if task in ("regressor", "amplitude-jepa") else jet_file)
    single = run(task, data, str(tmp_path / "single"))
    if task.endswith("jepa"):
        assert any(k.startswith("target_encoder.") for k in single)
    weights = tmp_path / "ddp.safetensors"
    result = torchrun("tests.ddp_task_worker", task, data, str(weights), str(tmp_path / "ddp"), port=29523)
    assert result.returncode == 0, result.stderr[-3000:]
    ddp = load_file(str(weights))
    assert set(ddp) == set(single)
    for name, value in single.items():
        torch.testing.assert_close(ddp[name], value, rtol=1e-4, atol=1e-5, msg=name)
    if task != "tagger":  # (finetune_tagger keeps no training log)
        # the logged loss is the mean over both ranks' examples: the one-process curve
        assert logged_losses(tmp_path / "ddp") == pytest.approx(logged_losses(tmp_path / "single"), rel=1e-4)


def logged_losses(run_dir: Path) -> list[float]:
    (log,) = run_dir.rglob("metrics.jsonl")
    return [json.loads(line)["loss"] for line in log.read_text().splitlines() if line.strip()]
