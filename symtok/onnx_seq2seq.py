"""Greedy decoding of an exported encoder–decoder (encoder.onnx + decoder_step.onnx) with
onnxruntime and numpy only (no torch), grammar-constrained like the torch decoder, whose greedy
outputs it reproduces."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from symtok.constrain import PrefixGrammar
from symtok.errors import SymtokError
from symtok.onnx_runtime import OnnxModel
from symtok.vocab import Vocab


class OnnxSeq2Seq:
    """The two graphs of a directory written by symtok.nn.seq2seq_onnx.export_seq2seq."""

    def __init__(self, directory: str | os.PathLike[str], *, threads: int | None = None) -> None:
        path = Path(directory)
        for name in ("encoder.onnx", "decoder_step.onnx"):
            if not (path / name).exists():
                raise SymtokError(f"no {name} in {path}; export the model with `symtok export onnx --model {path}`")
        self.encoder = OnnxModel(path / "encoder.onnx", threads=threads, preprocess_name="encoder.json")
        self.step = OnnxModel(path / "decoder_step.onnx", threads=threads, preprocess_name="decoder_step.json")
        self.meta = self.encoder.preprocess.metadata

    def greedy(
        self,
        sources: Sequence[Sequence[int]],
        *,
        max_length: int,
        vocab: Vocab | None = None,
        constrained: bool = True,
    ) -> list[tuple[int, ...]]:
        """Greedy decoding of a batch of source id sequences (no <bos>/<eos>), like
        symtok.nn.decode.beam_search(beam=1)."""
        meta = self.meta
        width = max(1, max(len(s) for s in sources))
        tokens = np.full((len(sources), width), meta["pad_id"], dtype=np.int64)
        for i, s in enumerate(sources):
            tokens[i, : len(s)] = s
        padding, *cross = self.encoder.run({"tokens": tokens})
        b = len(sources)
        state = [np.zeros((b, *shape), dtype=np.float32) for shape in meta["state_shapes"]]
        grammar = PrefixGrammar(vocab or Vocab.default(), max_length) if constrained else None
        states = [grammar.initial() if grammar else None for _ in range(b)]
        out: list[list[int]] = [[] for _ in range(b)]
        finished = np.zeros(b, dtype=bool)
        current = np.full(b, meta["bos_id"], dtype=np.int64)
        cross_names = [s.name for s in self.step.preprocess.inputs[3 : 3 + len(cross)]]
        state_names = [s.name for s in self.step.preprocess.inputs[3 + len(cross) :]]
        for position in range(max_length + 1):
            feeds = {"token": current, "position": np.array(position, dtype=np.int64), "memory_padding": padding}
            feeds |= dict(zip(cross_names, cross, strict=True)) | dict(zip(state_names, state, strict=True))
            logits, *state = self.step.run(feeds)
            for i in range(b):
                if finished[i]:
                    current[i] = meta["eos_id"]
                    continue
                scores = logits[i].astype(np.float64)
                if states[i] is not None:
                    scores = np.where(states[i].allowed()[: len(scores)], scores, -np.inf)
                if position == max_length:
                    token = meta["eos_id"]
                else:
                    token = int(np.argmax(scores))
                if token == meta["eos_id"]:
                    finished[i] = True
                else:
                    out[i].append(token)
                    if states[i] is not None:
                        states[i] = states[i].advance(token)
                current[i] = token
            if finished.all():
                break
        return [tuple(o) for o in out]
