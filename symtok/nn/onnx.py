"""ONNX export of Encoder-based models and a validating onnxruntime wrapper (shared by every task).

Exports with named inputs and dynamic batch/length axes, FAVOR+ features fixed (they are buffers,
so they become constants), and writes ``preprocess.json`` beside the model describing each input
(name, order, dtype, shape) and the preprocessing (vocabulary, feature scaling), as weaver-core
does for CMSSW.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from symtok.atomic import atomic_path, atomic_write_text
from symtok.onnxrt import InputSpec, OnnxModel, Preprocess

__all__ = ["DEFAULT_OPSET", "InputSpec", "OnnxModel", "Preprocess", "export_onnx", "fix_all_features"]

DEFAULT_OPSET = 18


def fix_all_features(model: nn.Module) -> None:
    """Stop FAVOR+ redraws everywhere so the exported constants are the trained features."""
    from symtok.nn.attention import FastAttention

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
) -> Path:
    """Trace ``model`` on ``example_inputs`` (use sizes >= 2 on dynamic axes) and write
    ``path`` plus ``preprocess.json`` beside it, both atomically."""
    model.eval()
    fix_all_features(model)
    dynamic_axes = {
        spec.name: {k: str(d) for k, d in enumerate(spec.shape) if isinstance(d, str)} for spec in preprocess.inputs
    }
    for name in preprocess.outputs:
        dynamic_axes[name] = {0: "batch"} | ({1: "points"} if preprocess.kind == "amplitude-regressor" else {})
    target = Path(path)
    with atomic_path(target) as tmp, torch.no_grad():
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
    atomic_write_text(target.with_name("preprocess.json"), preprocess.to_json())
    return target
