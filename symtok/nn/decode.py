"""Batched greedy and beam-search decoding of a :class:`~symtok.nn.seq2seq.Seq2Seq`, optionally
constrained by a grammar (any object with ``initial()`` whose states have ``allowed()`` and
``advance(id)``, e.g. :class:`symtok.constrain.PrefixGrammar`).

Decoding always stops: after ``max_length`` tokens a hypothesis ends, and under a grammar whose
budget is ``max_length`` every hypothesis is a complete expression by then.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from symtok.constrain import Hypothesis, extend_beams, rank_beams
from symtok.nn.seq2seq import Seq2Seq


class GrammarState(Protocol):
    def allowed(self) -> np.ndarray: ...

    def advance(self, token_id: int) -> GrammarState: ...


class Grammar(Protocol):
    def initial(self) -> GrammarState: ...


@torch.no_grad()
def beam_search(
    model: Seq2Seq,
    source: Tensor,
    *,
    beam: int = 1,
    max_length: int = 512,
    grammar: Grammar | None = None,
    length_penalty: float = 0.0,
) -> list[list[Hypothesis]]:
    """Decode each row of ``source`` (B, S); returns per row its ``beam`` hypotheses, best first.

    ``beam=1`` is greedy decoding. Scores are summed log-probabilities divided by
    length**length_penalty. With a grammar, only tokens its states allow are considered.
    """
    if beam < 1:
        raise ValueError(f"beam must be at least 1, got {beam}")
    cfg = model.config
    b = source.shape[0]
    rows = b * beam
    cache = model.start(source).select(torch.arange(b, device=source.device).repeat_interleave(beam))
    scores = torch.full((b, beam), float("-inf"), device=source.device)
    scores[:, 0] = 0.0
    scores = scores.view(rows)
    tokens: list[list[int]] = [[] for _ in range(rows)]
    finished = [False] * rows
    states: list[Any] = [grammar.initial() if grammar is not None else None for _ in range(rows)]
    current = torch.full((rows,), cfg.bos_id, dtype=torch.long, device=source.device)
    vocab = cfg.vocab_size
    for step in range(max_length + 1):
        logits, cache = model.step(current, cache)
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        allow = np.ones((rows, vocab), dtype=bool)
        for r in range(rows):
            if finished[r]:
                allow[r] = False
                allow[r, cfg.eos_id] = True
            elif states[r] is not None:
                allow[r] = states[r].allowed()[:vocab]
            if step == max_length and not finished[r]:
                allow[r] = False
                allow[r, cfg.eos_id] = True  # the length budget is spent: end here
        mask = torch.from_numpy(allow).to(source.device)
        log_probs = log_probs.masked_fill(~mask, float("-inf"))
        done = torch.tensor(finished, device=source.device)
        log_probs = torch.where(done[:, None], torch.where(mask, 0.0, float("-inf")), log_probs)
        candidates = (scores[:, None] + log_probs).view(b, beam * vocab)
        top_scores, top_index = candidates.topk(beam, dim=-1)
        parent = (top_index // vocab) + torch.arange(b, device=source.device)[:, None] * beam
        token = top_index % vocab
        parent_list, token_list = parent.view(-1).tolist(), token.view(-1).tolist()
        alive = torch.isfinite(top_scores).view(-1).tolist()
        tokens, finished, states = extend_beams(parent_list, token_list, alive, tokens, finished, states, cfg.eos_id)
        scores = top_scores.view(rows)
        if all(finished):
            break
        if beam > 1:  # beams of a source share its encoder states: only the decoder side moves
            cache = cache.select(parent.view(-1), cross=False)
        current = token.view(-1).clone()
        current[torch.tensor(finished, device=source.device)] = cfg.eos_id
    return rank_beams(scores.tolist(), tokens, finished, beam, length_penalty)
