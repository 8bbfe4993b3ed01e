"""Devices and mixed precision: resolution with clear errors, bf16/fp16 training on CPU, FAVOR+ kept in
fp32 under autocast, and the CUDA/MPS paths where such a device is present (skipped, with the reason,
where not: the project never needs a GPU)."""

from __future__ import annotations

import pytest
import torch

from symtok.errors import SymtokError
from symtok.nn.attention import FastAttention
from symtok.nn.device import autocast, check_precision, resolve_device
from tests.train_fixtures import regression_data, regression_fit

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def test_auto_picks_the_best_device_present():
    expected = "cuda" if HAS_CUDA else "mps" if HAS_MPS else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu0", "cuda:x"])
def test_unknown_devices_are_refused(name):
    with pytest.raises(SymtokError, match="device"):
        resolve_device(name)


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_says_so():
    with pytest.raises(SymtokError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_unknown_precision_is_refused():
    with pytest.raises(SymtokError, match="precision"):
        check_precision("fp8", torch.device("cpu"))


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_training_on_cpu_learns(precision):
    """The same run in reduced precision: finite, learning, and close to the fp32 run's loss."""
    full, reduced = [], []
    regression_fit(regression_data(), None, steps=24, history=full)
    regression_fit(regression_data(), None, steps=24, precision=precision, history=reduced)
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in reduced)
    assert reduced[-1]["mse"] < reduced[0]["mse"]
    assert reduced[-1]["mse"] == pytest.approx(full[-1]["mse"], rel=0.5, abs=0.05)


def test_favor_plus_stays_fp32_under_autocast():
    torch.manual_seed(0)
    attention = FastAttention(16, 64, seed=3).eval()
    q, k, v = (torch.randn(2, 4, 300, 16) * 3 for _ in range(3))  # large logits: exp overflows in fp16
    reference = attention(q, k, v)
    for precision in ("bf16", "fp16"):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        with autocast(torch.device("cpu"), precision):
            out = attention(q.to(dtype), k.to(dtype), v.to(dtype))
        assert out.dtype == dtype and torch.isfinite(out).all()
        # in fp32 only the inputs' and output's rounding remain (measured 0.003 bf16, 0.0003 fp16);
        # computed in the reduced dtype the same call is off by 0.006 (bf16) and 0.028 (fp16)
        assert (out.float() - reference).abs().max() / reference.abs().max() < 0.005


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU on this machine")
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_training_on_cuda(precision):
    model = regression_fit(regression_data(), None, steps=8, precision=precision, device="cuda")
    assert next(model.parameters()).device.type == "cuda"


@pytest.mark.skipif(not HAS_MPS, reason="no Apple MPS device on this machine")
def test_training_on_mps():
    model = regression_fit(regression_data(), None, steps=8, device="mps")
    assert next(model.parameters()).device.type == "mps"


def test_runtime_overrides_every_fit_inside_and_is_checked_first():
    from symtok.nn.device import runtime, runtime_overrides

    with runtime("cpu", "bf16"):
        assert runtime_overrides() == ("cpu", "bf16", False)
        history: list = []
        regression_fit(regression_data(), None, steps=4, history=history)  # its TrainConfig says fp32
    assert runtime_overrides() is None
    with pytest.raises(SymtokError, match="precision"), runtime("cpu", "fp8"):
        pass


@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")  # inside torch
def test_compiled_training_matches_eager():
    """``--compile`` (runtime(..., compile=True)): torch.compile'd training follows the eager run."""
    from symtok.nn.device import runtime

    eager, compiled = [], []
    regression_fit(regression_data(), None, steps=6, history=eager)
    with runtime("cpu", "fp32", True):
        regression_fit(regression_data(), None, steps=6, history=compiled)
    assert [r["step"] for r in compiled] == [r["step"] for r in eager]
    assert [r["loss"] for r in compiled] == pytest.approx([r["loss"] for r in eager], rel=1e-4, abs=1e-6)


def test_batches_are_pinned_only_for_a_cuda_device():
    from symtok.nn.train import _to_device

    batch = {"x": torch.ones(3), "y": [torch.zeros(2), (torch.arange(2),)]}
    moved = _to_device(batch, torch.device("cpu"), pin=True)
    assert not moved["x"].is_pinned() and torch.equal(moved["y"][1][0], torch.arange(2))
    if HAS_CUDA:
        on_gpu = _to_device(batch, torch.device("cuda"), pin=True)
        torch.cuda.synchronize()
        assert on_gpu["x"].device.type == "cuda" and torch.equal(on_gpu["x"].cpu(), batch["x"])


def test_cli_trainers_take_device_and_precision(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app
    from symtok.files import data_path

    rows = str(data_path("examples", "qed_rows.txt"))
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "amplitudes",
            "pretrain",
            rows,
            "-o",
            str(tmp_path / "pre"),
            "--preset",
            "smoke",
            "--steps",
            "2",
            "--no-progress",
            "--device",
            "cpu",
            "--precision",
            "bf16",
        ],
    )
    assert ok.exit_code == 0, ok.output
    metrics = (tmp_path / "pre" / "checkpoint" / "metrics.json").read_text()
    assert '"precision": "bf16"' in metrics
    bad = runner.invoke(app, ["amplitudes", "pretrain", rows, "-o", str(tmp_path / "x"), "--device", "tpu"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: unknown device")


def _scorer():
    torch.manual_seed(4)
    return torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.GELU(), torch.nn.Linear(32, 1))


def _score(model, items):
    from symtok.nn.infer import batched, to_model

    return batched(model, items, lambda m, b: m(to_model(m, torch.stack(b))).squeeze(-1), batch_size=16)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_batched_inference_follows_the_runtime_precision(precision):
    """Inference (regressor, jet scores, embeddings) runs in the runtime's precision and returns fp32
    numpy results close to the fp32 ones; the model goes back to its own device and dtype."""
    from symtok.nn.device import runtime

    model = _scorer()
    items = list(torch.randn(40, 6))
    full = _score(model, items)
    with runtime("cpu", precision):
        reduced = _score(model, items)
    assert all(r.dtype.name == "float32" for r in reduced)
    diffs = [abs(float(a) - float(b)) for a, b in zip(full, reduced, strict=True)]
    assert max(diffs) < 0.05 and max(diffs) > 0  # reduced precision did run, and stayed close
    assert next(model.parameters()).dtype == torch.float32


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU on this machine")
def test_batched_inference_on_cuda_returns_the_model_home():
    from symtok.nn.device import runtime

    model = _scorer()
    items = list(torch.randn(20, 6))
    cpu = _score(model, items)
    with runtime("cuda", "fp32"):
        gpu = _score(model, items)
    assert next(model.parameters()).device.type == "cpu"
    assert max(abs(float(a) - float(b)) for a, b in zip(cpu, gpu, strict=True)) < 1e-4
