"""ONNX export of a Seq2Seq as two graphs that an onnxruntime loop drives without torch
(symtok.onnx_seq2seq): ``encoder.onnx`` (source ids -> padding mask and every layer's cross-attention
keys and values) and ``decoder_step.onnx`` (one token and the decoder state -> logits and the next
state: the softmax key/value cache grows by one position, the FAVOR+ recurrent state keeps its size).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from symtok.nn.attention import FastAttention
from symtok.nn.onnx_export import DEFAULT_OPSET, InputSpec, Preprocess, export_onnx
from symtok.nn.seq2seq import DecodeCache, Seq2Seq

ENCODER, STEP = "encoder.onnx", "decoder_step.onnx"


def _state_names(model: Seq2Seq) -> list[str]:
    return [f"self_{layer}_{part}" for layer in range(len(model.blocks)) for part in ("a", "b")]


def _cross_names(model: Seq2Seq) -> list[str]:
    return [f"cross_{layer}_{part}" for layer in range(len(model.blocks)) for part in ("k", "v")]


class EncoderGraph(nn.Module):
    """tokens (B, S) -> memory_padding (B, S) and cross_{l}_k, cross_{l}_v (B, H, S, D) per layer."""

    def __init__(self, model: Seq2Seq) -> None:
        super().__init__()
        self.model = model

    def forward(self, tokens: Tensor) -> tuple[Tensor, ...]:
        cache = self.model.start(tokens)
        flat = [t for pair in cache.cross for t in pair]
        return (cache.memory_padding, *flat)


class StepGraph(nn.Module):
    """token (B,), position (), memory_padding, cross k/v, self state -> logits (B, V), next self state."""

    def __init__(self, model: Seq2Seq) -> None:
        super().__init__()
        self.model = model
        self.layers = len(model.blocks)

    def forward(self, token: Tensor, position: Tensor, memory_padding: Tensor, *flat: Tensor) -> tuple[Tensor, ...]:
        n = 2 * self.layers
        cross = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.layers)]
        state = [[flat[n + 2 * i], flat[n + 2 * i + 1]] for i in range(self.layers)]
        logits, cache = self.model.step(token, DecodeCache(memory_padding, cross, state, position))
        return (logits, *[t for pair in cache.self_state for t in pair])


def initial_state_shapes(model: Seq2Seq, batch: int) -> list[tuple[int, ...]]:
    """Shapes of the decoder state before the first token (softmax caches start empty)."""
    cfg = model.config
    dim_head = cfg.dim // cfg.heads
    shapes: list[tuple[int, ...]] = []
    for block in model.blocks:
        attention = block.self_attn.attention
        if isinstance(attention, FastAttention):
            shapes += [(batch, cfg.heads, attention.nb_features, dim_head), (batch, cfg.heads, attention.nb_features)]
        else:
            shapes += [(batch, cfg.heads, 0, dim_head), (batch, cfg.heads, 0, dim_head)]
    return shapes


def export_seq2seq(
    model: Seq2Seq,
    directory: str | os.PathLike[str],
    *,
    kind: str,
    metadata: dict[str, Any] | None = None,
    opset: int = DEFAULT_OPSET,
) -> Path:
    """Write encoder.onnx and decoder_step.onnx (each with its preprocess JSON) into ``directory``."""
    model.eval()
    out = Path(directory)
    cfg = model.config
    fast = cfg.attention == "fast"
    meta = {"vocab_size": cfg.vocab_size, "bos_id": cfg.bos_id, "eos_id": cfg.eos_id, "pad_id": cfg.pad_id}
    meta |= {"layers": len(model.blocks), "heads": cfg.heads, "dim_head": cfg.dim // cfg.heads}
    meta |= {"attention": cfg.attention, "max_target_len": cfg.max_target_len, **(metadata or {})}
    meta["state_shapes"] = [list(s[1:]) for s in initial_state_shapes(model, 1)]
    cross_names, state_names = _cross_names(model), _state_names(model)
    head_axes = ("batch", cfg.heads, "source", cfg.dim // cfg.heads)
    encoder = Preprocess(
        kind=kind,
        inputs=[InputSpec("tokens", "int64", ("batch", "source"), "source token ids, 0 = <pad>")],
        outputs=["memory_padding", *cross_names],
        metadata=meta,
        output_axes={
            "memory_padding": {0: "batch", 1: "source"},
            **{n: {0: "batch", 2: "source"} for n in cross_names},
        },
    )
    source = torch.randint(6, cfg.vocab_size, (2, 7))
    source[1, 5:] = cfg.pad_id
    export_onnx(EncoderGraph(model), (source,), encoder, out / ENCODER, opset=opset, preprocess_name="encoder.json")
    state_inputs = []
    for name, shape in zip(state_names, initial_state_shapes(model, 1), strict=True):
        axes: tuple[int | str, ...] = ("batch", *shape[1:])
        if not fast:
            axes = ("batch", shape[1], "past", shape[3])
        state_inputs.append(InputSpec(name, "float32", axes, "decoder state (zeros / empty before the first token)"))
    step = Preprocess(
        kind=kind,
        inputs=[
            InputSpec("token", "int64", ("batch",), "the previous token id (<bos> first)"),
            InputSpec("position", "int64", (), "the position of that token (0 for <bos>)"),
            InputSpec("memory_padding", "bool", ("batch", "source"), "from encoder.onnx"),
            *[InputSpec(n, "float32", head_axes, "from encoder.onnx") for n in cross_names],
            *state_inputs,
        ],
        outputs=["logits", *[f"next_{n}" for n in state_names]],
        metadata=meta,
        output_axes={
            "logits": {0: "batch"},
            **{f"next_{n}": ({0: "batch"} if fast else {0: "batch", 2: "next"}) for n in state_names},
        },
    )
    with torch.no_grad():
        cache = model.start(source)
        _, cache = model.step(torch.full((2,), cfg.bos_id), cache)  # a non-empty cache to trace with
    example = (
        torch.full((2,), 7, dtype=torch.long),
        torch.tensor(1, dtype=torch.long),
        cache.memory_padding,
        *[t for pair in cache.cross for t in pair],
        *[t for pair in cache.self_state for t in pair],
    )
    export_onnx(StepGraph(model), example, step, out / STEP, opset=opset, preprocess_name="decoder_step.json")
    return out
