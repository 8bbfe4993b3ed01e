"""onnxruntime inference of exported symtok models, without torch: ``preprocess.json`` and a
validating wrapper. (Export lives in symtok.nn.onnx_export.)"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from symtok.errors import SymtokError


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
    output_axes: dict[str, dict[int, str]] = field(default_factory=dict)  # dynamic axes; default {0: "batch"}

    def to_json(self) -> str:
        return json.dumps({"format": "symtok-onnx-preprocess", "version": 1, **asdict(self)}, indent=1) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Preprocess:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != "symtok-onnx-preprocess":
            raise SymtokError(f"{path} is not a symtok preprocess.json")
        inputs = [InputSpec(i["name"], i["dtype"], tuple(i["shape"]), i.get("description", "")) for i in data["inputs"]]
        axes = {name: {int(k): v for k, v in spec.items()} for name, spec in data.get("output_axes", {}).items()}
        return cls(data["kind"], inputs, list(data["outputs"]), data.get("metadata", {}), axes)


class OnnxModel:
    """An exported model run by onnxruntime, with inputs checked against preprocess.json."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        optimization: str = "all",
        preprocess_name: str = "preprocess.json",
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.exists():
            raise SymtokError(f"no ONNX model at {self.path}")
        self.preprocess = Preprocess.load(self.path.with_name(preprocess_name))
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
