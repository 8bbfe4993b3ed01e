"""ONNX export of the regression surrogate (over symtok.nn.onnx_export); inference is in amplitudes.learn.predict."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

from amplitudes.learn.model import KIND, AmplitudeRegressor, Standardizer, load_regressor
from symtok.nn.checkpoint import register_export
from symtok.nn.onnx_export import DEFAULT_OPSET, InputSpec, Preprocess, export_onnx
from symtok.vocab import Vocab


class ExportedRegressor(nn.Module):
    """Raw tokens, attention mask and raw kinematic features in; log10 |M|^2 out (scaling inside)."""

    def __init__(self, model: AmplitudeRegressor, scale: Standardizer) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("kin_mean", torch.tensor(scale.kin_mean, dtype=torch.float32))
        self.register_buffer("kin_std", torch.tensor(scale.kin_std, dtype=torch.float32))
        self.target_mean = float(scale.target_mean)
        self.target_std = float(scale.target_std)

    def forward(self, tokens: Tensor, attention_mask: Tensor, kinematics: Tensor) -> Tensor:
        """tokens (B, N) int64; attention_mask (B, N) int64, 1 = real token; kinematics (B, K, F) float32."""
        kin = (kinematics - self.kin_mean) / self.kin_std
        pred = self.model(tokens, kin, attention_mask == 0)
        return pred * self.target_std + self.target_mean


def preprocess_for(vocab: Vocab, scale: Standardizer, kin_features: tuple[str, ...]) -> Preprocess:
    return Preprocess(
        kind=KIND,
        inputs=[
            InputSpec("tokens", "int64", ("batch", "length"), "prefix token ids (symtok.tokenize + vocab), 0 = <pad>"),
            InputSpec("attention_mask", "int64", ("batch", "length"), "1 for real tokens, 0 for padding"),
            InputSpec(
                "kinematics",
                "float32",
                ("batch", "points", len(kin_features)),
                "raw features: " + ", ".join(kin_features),
            ),
        ],
        outputs=["log10_me2"],
        output_axes={"log10_me2": {0: "batch", 1: "points"}},
        metadata={
            "vocab_size": len(vocab),
            "kin_features": list(kin_features),
            "kin_mean": list(scale.kin_mean),
            "kin_std": list(scale.kin_std),
            "target": "log10 |M|^2 with e = g = 1",
            "vocab": "vocab.json beside the checkpoint",
        },
    )


def export_regressor(
    model_dir: str | os.PathLike[str], output: str | os.PathLike[str], *, opset: int = DEFAULT_OPSET
) -> Path:
    """Export a regressor checkpoint to ONNX (with preprocess.json and vocab.json beside it)."""
    model, scale, vocab, _ = load_regressor(model_dir)
    wrapper = ExportedRegressor(model, scale).eval()
    tokens = torch.randint(6, len(vocab), (2, 12))
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 9:] = 0
    tokens[1, 9:] = 0
    kin = torch.randn(2, 3, model.config.kin_dim)
    path = export_onnx(
        wrapper, (tokens, mask, kin), preprocess_for(vocab, scale, model.config.kin_features), output, opset=opset
    )
    vocab.save(Path(output).with_name("vocab.json"))
    return path


def export_squared(
    model_dir: str | os.PathLike[str], output: str | os.PathLike[str], *, opset: int = DEFAULT_OPSET
) -> Path:
    """Export a squared-amplitude model as encoder.onnx + decoder_step.onnx (+ vocab.json) into a
    directory (``output``, or the folder of ``output`` when it names a .onnx file)."""
    from amplitudes.learn.squared import KIND as SQUARED_KIND
    from amplitudes.learn.squared import load_squared
    from symtok.nn.seq2seq_onnx import STEP, export_seq2seq

    model, vocab, config = load_squared(model_dir)
    target = Path(output)
    directory = target.parent if target.suffix == ".onnx" else target
    export_seq2seq(
        model,
        directory,
        kind=SQUARED_KIND,
        metadata={
            "source_order": config.source_order,
            "source_legs": config.source_legs,
            "decode_budget": getattr(model, "decode_budget", None) or config.model.max_target_len,
            "max_source_len": config.model.max_source_len,
        },
        opset=opset,
    )
    vocab.save(directory / "vocab.json")
    return directory / STEP


def _register() -> None:
    from amplitudes.learn.squared import KIND as SQUARED_KIND

    register_export(KIND, export_regressor)
    register_export(SQUARED_KIND, export_squared)


__all__ = ["ExportedRegressor", "export_regressor", "export_squared", "preprocess_for"]


_register()
