"""Greedy and beam-search decoding of an exported encoder–decoder (encoder.onnx +
decoder_step.onnx) with onnxruntime and numpy only (no torch), grammar-constrained like the torch
decoder (symtok.nn.decode.beam_search), whose outputs it reproduces."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from symtok.constrain import Hypothesis, PrefixGrammar, extend_beams, rank_beams
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

    def _encode(self, sources: Sequence[Sequence[int]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """The padding mask and every layer's cross keys/values of a batch of source id sequences."""
        width = max(1, max(len(s) for s in sources))
        tokens = np.full((len(sources), width), self.meta["pad_id"], dtype=np.int64)
        for i, s in enumerate(sources):
            tokens[i, : len(s)] = s
        padding, *cross = self.encoder.run({"tokens": tokens})
        return padding, cross

    def _step(
        self, current: np.ndarray, position: int, padding: np.ndarray, cross: list[np.ndarray], state: list[np.ndarray]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One decoder step: logits of the next token and the next state."""
        inputs = self.step.preprocess.inputs
        feeds = {"token": current, "position": np.array(position, dtype=np.int64), "memory_padding": padding}
        feeds |= {spec.name: x for spec, x in zip(inputs[3 : 3 + len(cross)], cross, strict=True)}
        feeds |= {spec.name: x for spec, x in zip(inputs[3 + len(cross) :], state, strict=True)}
        logits, *state = self.step.run(feeds)
        return logits, state

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
        padding, cross = self._encode(sources)
        b = len(sources)
        state = [np.zeros((b, *shape), dtype=np.float32) for shape in meta["state_shapes"]]
        grammar = PrefixGrammar(vocab or Vocab.default(), max_length) if constrained else None
        states = [grammar.initial() if grammar else None for _ in range(b)]
        out: list[list[int]] = [[] for _ in range(b)]
        finished = np.zeros(b, dtype=bool)
        current = np.full(b, meta["bos_id"], dtype=np.int64)
        for position in range(max_length + 1):
            logits, state = self._step(current, position, padding, cross, state)
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

    def beam_search(
        self, sources: Sequence[Sequence[int]], *, beam: int, max_length: int, **options: Any
    ) -> list[tuple[int, ...]]:
        """The best of ``beam`` hypotheses per source (see :meth:`hypotheses`, whose ``vocab``,
        ``constrained`` and ``length_penalty`` it takes); ``beam=1`` is :meth:`greedy`."""
        if beam == 1:
            options.pop("length_penalty", None)  # one hypothesis: nothing to normalise
            return self.greedy(sources, max_length=max_length, **options)
        return [hyps[0].ids for hyps in self.hypotheses(sources, beam=beam, max_length=max_length, **options)]

    def hypotheses(
        self,
        sources: Sequence[Sequence[int]],
        *,
        beam: int,
        max_length: int,
        vocab: Vocab | None = None,
        constrained: bool = True,
        length_penalty: float = 0.0,
    ) -> list[list[Hypothesis]]:
        """Every source's ``beam`` hypotheses, best first, with their scores, as
        symtok.nn.decode.beam_search returns them (``beam=1``: the greedy sequence and its
        log-probability); what verified decoding re-ranks."""
        if beam < 1:
            raise SymtokError(f"beam must be at least 1, got {beam}")
        meta = self.meta
        b = len(sources)
        rows = b * beam
        padding, cross = self._encode(sources)
        expand = np.repeat(np.arange(b), beam)  # every beam of a source reads its encoder states
        padding, cross = padding[expand], [c[expand] for c in cross]
        state = [np.zeros((rows, *shape), dtype=np.float32) for shape in meta["state_shapes"]]
        grammar = PrefixGrammar(vocab or Vocab.default(), max_length) if constrained else None
        states: list = [grammar.initial() if grammar else None for _ in range(rows)]
        scores = np.full((b, beam), -np.inf)
        scores[:, 0] = 0.0
        scores = scores.reshape(rows)
        tokens: list[list[int]] = [[] for _ in range(rows)]
        finished = [False] * rows
        eos = int(meta["eos_id"])
        current = np.full(rows, meta["bos_id"], dtype=np.int64)
        for position in range(max_length + 1):
            logits, state = self._step(current, position, padding, cross, state)
            logits = logits.astype(np.float32)
            size = logits.shape[-1]
            log_probs = logits - _logsumexp(logits)
            allow = np.ones((rows, size), dtype=bool)
            for r in range(rows):
                if finished[r]:
                    allow[r] = False
                    allow[r, eos] = True
                elif states[r] is not None:
                    allow[r] = states[r].allowed()[:size]
                if position == max_length and not finished[r]:
                    allow[r] = False
                    allow[r, eos] = True  # the length budget is spent: end here
            log_probs = np.where(allow, log_probs, -np.inf)
            done = np.array(finished)
            log_probs[done] = np.where(allow[done], 0.0, -np.inf)
            candidates = (scores[:, None] + log_probs).reshape(b, beam * size)
            top_index = np.argsort(-candidates, axis=1, kind="stable")[:, :beam]
            top_scores = np.take_along_axis(candidates, top_index, axis=1)
            parent = (top_index // size + np.arange(b)[:, None] * beam).reshape(-1)
            token = (top_index % size).reshape(-1)
            alive = np.isfinite(top_scores).reshape(-1)
            tokens, finished, states = extend_beams(
                parent.tolist(), token.tolist(), alive.tolist(), tokens, finished, states, eos
            )
            scores = top_scores.reshape(rows)
            if all(finished):
                break
            state = [s[parent] for s in state]  # each beam continues from its parent's decoder state
            current = token.astype(np.int64)
            current[np.array(finished)] = eos
        return rank_beams(scores.tolist(), tokens, finished, beam, length_penalty)


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(x - top).sum(axis=-1, keepdims=True))
