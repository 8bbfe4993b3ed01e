"""ONNX export of the jet tagger (over symtok.nn.onnx_export); inference is in jets.evaluate."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

from jets.model import KIND, JetTagger, load_tagger
from symtok.nn.checkpoint import register_export
from symtok.nn.onnx_export import DEFAULT_OPSET, InputSpec, Preprocess, export_onnx


class ExportedTagger(nn.Module):
    """features (B, N, F) float32 and mask (B, N) int64 (1 = real constituent) -> signal probability (B,)."""

    def __init__(self, model: JetTagger) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor, mask: Tensor) -> Tensor:
        return torch.sigmoid(self.model(features, mask == 0))


def preprocess_for(model: JetTagger) -> Preprocess:
    names = list(model.config.features.names)
    return Preprocess(
        kind=KIND,
        inputs=[
            InputSpec(
                "features",
                "float32",
                ("batch", "constituents", len(names)),
                "jets.features.constituent_features: " + ", ".join(names),
            ),
            InputSpec("mask", "int64", ("batch", "constituents"), "1 for real constituents, 0 for padding"),
        ],
        outputs=["probability"],
        metadata={
            "features": names,
            "max_constituents": model.config.features.max_constituents,
            "use_pid": model.config.features.use_pid,
            "sorted_by": "pT, descending",
        },
    )


def export_tagger(
    model_dir: str | os.PathLike[str], output: str | os.PathLike[str], *, opset: int = DEFAULT_OPSET
) -> Path:
    """Export a tagger checkpoint to ONNX (with preprocess.json beside it)."""
    model = load_tagger(model_dir)
    f = len(model.config.features.names)
    features = torch.randn(2, 10, f)
    mask = torch.ones(2, 10, dtype=torch.long)
    mask[1, 7:] = 0
    return export_onnx(ExportedTagger(model).eval(), (features, mask), preprocess_for(model), output, opset=opset)


register_export(KIND, export_tagger)
