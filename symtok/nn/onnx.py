"""ONNX export of Encoder-based models and a validating onnxruntime wrapper (shared by every task).

Exports with named inputs and dynamic batch/length axes, FAVOR+ features fixed (they are buffers,
so they become constants), and writes ``preprocess.json`` beside the model describing each input
(name, order, dtype, shape) and the preprocessing (vocabulary, feature scaling), as weaver-core
does for CMSSW.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from symtok.atomic import atomic_path, atomic_write_text
from symtok.errors import SymtokError

DEFAULT_OPSET = 18


@dataclass(frozen=True)
class InputSpec:
    """One graph input: name, dtype (numpy name) and shape with symbolic axes as strings."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]
    description: str = ""


@dataclass
class Preprocess:
    """What a consumer needs to feed the graph: inputs in order, outputs, and task metadata."""

    kind: str
    inputs: list[InputSpec]
    outputs: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"format": "symtok-onnx-preprocess", "version": 1, **asdict(self)}, indent=1) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Preprocess:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != "symtok-onnx-preprocess":
            raise SymtokError(f"{path} is not a symtok preprocess.json")
        inputs = [InputSpec(i["name"], i["dtype"], tuple(i["shape"]), i.get("description", "")) for i in data["inputs"]]
        return cls(data["kind"], inputs, list(data["outputs"]), data.get("metadata", {}))


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


class OnnxModel:
    """An exported model run by onnxruntime, with inputs checked against preprocess.json."""

    def __init__(self, path: str | os.PathLike[str], *, threads: int | None = None, optimization: str = "all") -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.exists():
            raise SymtokError(f"no ONNX model at {self.path}")
        self.preprocess = Preprocess.load(self.path.with_name("preprocess.json"))
        options = ort.SessionOptions()
        levels = {
            "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }
        options.graph_optimization_level = levels[optimization]
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def validate(self, feeds: dict[str, np.ndarray]) -> None:
        """Clear errors for missing inputs, wrong dtypes, ranks, inconsistent axes or token ids out of range."""
        sizes: dict[str, int] = {}
        for spec in self.preprocess.inputs:
            if spec.name not in feeds:
                raise SymtokError(
                    f"missing input {spec.name!r}; the model takes {[s.name for s in self.preprocess.inputs]}"
                )
            value = feeds[spec.name]
            if str(value.dtype) != spec.dtype:
                raise SymtokError(f"input {spec.name!r} must be {spec.dtype}, got {value.dtype}")
            if value.ndim != len(spec.shape):
                raise SymtokError(f"input {spec.name!r} must have shape {spec.shape}, got {value.shape}")
            for axis, (want, got) in enumerate(zip(spec.shape, value.shape, strict=True)):
                if isinstance(want, str):
                    if sizes.setdefault(want, got) != got:
                        raise SymtokError(f"axis {want!r} of {spec.name!r} is {got}, elsewhere {sizes[want]}")
                elif want != got:
                    raise SymtokError(f"axis {axis} of {spec.name!r} must be {want}, got {got}")
        vocab_size = self.preprocess.metadata.get("vocab_size")
        if vocab_size is not None and "tokens" in feeds:
            tokens = feeds["tokens"]
            if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
                raise SymtokError(f"token ids must be in [0, {vocab_size}); got {tokens.min()} .. {tokens.max()}")

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.validate(feeds)
        return self.session.run(self.preprocess.outputs, feeds)
