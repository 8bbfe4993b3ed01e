"""ONNX export of Encoder-based models and a validating onnxruntime wrapper (shared by every task).

Exports with named inputs and dynamic batch/length axes, FAVOR+ features fixed (they are buffers,
so they become constants), and writes ``preprocess.json`` beside the model describing each input
(name, order, dtype, shape) and the preprocessing (vocabulary, feature scaling), as weaver-core
does for CMSSW.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from symtok.files import atomic_path, atomic_write_text
from symtok.nn.attention import FastAttention
from symtok.nn.checkpoint import CheckpointError, checkpoint_kind, model_kind
from symtok.onnx_runtime import InputSpec, OnnxModel, Preprocess

__all__ = [
    "DEFAULT_OPSET",
    "InputSpec",
    "OnnxModel",
    "Preprocess",
    "export_checkpoint",
    "export_onnx",
    "fix_all_features",
]

DEFAULT_OPSET = 18


def fix_all_features(model: nn.Module) -> None:
    """Stop FAVOR+ redraws everywhere so the exported constants are the trained features."""
    for module in model.modules():
        if isinstance(module, FastAttention):
            module.fix_features()


def export_onnx(
    model: nn.Module,
    example_inputs: Sequence[torch.Tensor],
    preprocess: Preprocess,
    path: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    preprocess_name: str = "preprocess.json",
) -> Path:
    """Trace ``model`` on ``example_inputs`` (use sizes >= 2 on dynamic axes) and write
    ``path`` plus its preprocess file (``preprocess_name``) beside it, both atomically."""
    model.eval()
    fix_all_features(model)
    dynamic_axes = {
        spec.name: {k: str(d) for k, d in enumerate(spec.shape) if isinstance(d, str)} for spec in preprocess.inputs
    }
    for name in preprocess.outputs:
        dynamic_axes[name] = {int(k): v for k, v in preprocess.output_axes.get(name, {0: "batch"}).items()}
    target = Path(path)
    with atomic_path(target) as tmp, torch.no_grad(), warnings.catch_warnings():
        # FAVOR+ reads the number of random features as a Python number: a constant of the graph by design
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        # the TorchScript exporter (dynamo=False) is chosen on purpose: it exports FAVOR+ as plain ops
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript", category=DeprecationWarning)
        torch.onnx.export(
            model,
            tuple(example_inputs),
            str(tmp),
            input_names=[s.name for s in preprocess.inputs],
            output_names=preprocess.outputs,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            dynamo=False,
        )
    atomic_write_text(target.with_name(preprocess_name), preprocess.to_json())
    return target


def export_checkpoint(
    model_dir: str | os.PathLike[str], output: str | os.PathLike[str], *, opset: int = DEFAULT_OPSET
) -> Path:
    """Export any saved model by its registered kind (the task's export function)."""
    entry = model_kind(checkpoint_kind(model_dir))
    if entry.export is None:
        raise CheckpointError(f"{model_dir} is {entry.description}, which has no ONNX export")
    target = Path(output)
    if target.is_dir() or str(output).endswith(("/", os.sep)):
        target = target / "model.onnx"
    return entry.export(model_dir, target, opset=opset)
