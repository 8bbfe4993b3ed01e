"""Grammar-constrained generation of prefix tokens: which tokens keep a prefix completable.

Every token of the prefix codec has a fixed arity and each argument slot a known kind (an
expression, an index of one kind, a symbol, a wave function, an integer), so a left-to-right
scan keeps a stack of the slots still to fill. :class:`PrefixGrammar` turns that stack into
the set of tokens allowed next, and, given a length budget, only allows tokens after which the
shortest completion still fits: a decoder that samples inside the mask always ends with a
sequence that :func:`symtok.prefix.decode` accepts, by the budget at the latest.

Torch-free (numpy masks over a :class:`~symtok.vocab.Vocab`); states are immutable, so beam
search can share them between hypotheses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from symtok.diagnostics import MAX_DIGITS
from symtok.errors import TokenError
from symtok.objects import REGISTRY, SYMBOL_SLOTS, WAVEFUNCTION, WaveFunction
from symtok.tokens import (
    CHAR_PREFIX,
    CHAR_TOKENS,
    DIGITS,
    IMAGINARY,
    INDEX_ESCAPE,
    INDEX_PREFIX,
    INT_NEG,
    INT_POS,
    KNOWN_SYMBOLS,
    SPECIALS,
    SYMBOL_ESCAPE,
    UP,
    index_tokens,
)
from symtok.vocab import Vocab

# Slot kinds: an expression, a symbol (field, momentum, tag), a wave function, an integer, a positive
# integer, an index of a kind (upper allowed) and a lower index of a kind.
EXPR, SYMBOL, WAVE, INTEGER, POSITIVE = "expr", "symbol", "wave", "int", "posint"
# Runs: after a sign, digits; after an escape, characters.
_NO_RUN, _NEED_DIGIT, _NEED_NONZERO, _DIGITS_OPEN, _LEADING_ZERO, _NEED_CHAR, _CHARS_OPEN = range(7)


def _index_slot(kind: str, lower: bool = False) -> str:
    return f"{'lower' if lower else 'index'}:{kind}"


def _object_slot(slot: str) -> str:
    if slot in SYMBOL_SLOTS:
        return SYMBOL
    if slot == WAVEFUNCTION:
        return WAVE
    return _index_slot(slot)


_WAVE_TOKENS = tuple(spec.token for spec in REGISTRY if issubclass(spec.cls, WaveFunction))
_CHILDREN: dict[str, tuple[str, ...]] = {
    **{spec.token: tuple(_object_slot(s) for s in spec.slots) for spec in REGISTRY},
    "add": (EXPR, EXPR),
    "mul": (EXPR, EXPR),
    "pow": (EXPR, EXPR),
    "rat": (INTEGER, POSITIVE),
}
_INDEX_KINDS = tuple(INDEX_PREFIX)


def _slot_costs() -> dict[str, int]:
    """Fewest tokens that fill a slot of each kind."""
    costs = {EXPR: 1, SYMBOL: 1, INTEGER: 2, POSITIVE: 2}
    for kind in _INDEX_KINDS:
        costs[_index_slot(kind)] = costs[_index_slot(kind, lower=True)] = 1
    costs[WAVE] = min(1 + sum(costs[s] for s in _CHILDREN[t]) for t in _WAVE_TOKENS)
    return costs


_COST = _slot_costs()


@dataclass(frozen=True)
class _Stack:
    """Immutable linked stack of pending slots (top first), with the fewest tokens that fill them."""

    top: str
    rest: _Stack | None
    cost: int


def _push(stack: _Stack | None, slots: Sequence[str]) -> _Stack | None:
    for slot in reversed(slots):
        stack = _Stack(slot, stack, _COST[slot] + (stack.cost if stack else 0))
    return stack


@dataclass(frozen=True)
class PrefixState:
    """A prefix being generated: pending slots, the open digit/character run, tokens so far."""

    grammar: PrefixGrammar
    stack: _Stack | None
    run: int = _NO_RUN
    run_text: str = ""
    run_slot: str = ""
    length: int = 0

    @property
    def complete(self) -> bool:
        """True when the tokens so far are one whole expression (end of sequence allowed)."""
        return (
            self.stack is None
            and self.run not in (_NEED_DIGIT, _NEED_NONZERO, _NEED_CHAR)
            and (not self._run_needs_more())
        )

    def _run_needs_more(self) -> bool:
        # a symbol slot spelled "i" would decode to the imaginary unit, which is not a symbol
        return self.run == _CHARS_OPEN and self.run_slot == SYMBOL and self.run_text == "i"

    def remaining_cost(self) -> int:
        """Fewest tokens that complete the expression."""
        cost = self.stack.cost if self.stack else 0
        if self.run in (_NEED_DIGIT, _NEED_NONZERO, _NEED_CHAR) or self._run_needs_more():
            cost += 1
        return cost

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary: the tokens that keep the sequence completable within
        the grammar's length budget (the end-of-sequence id when it is complete)."""
        g = self.grammar
        slack = g.max_length - self.length - self.remaining_cost()
        mask = np.zeros(len(g.vocab), dtype=bool)
        run = self.run
        if run in (_NEED_DIGIT, _NEED_NONZERO):
            mask[g.digit_ids if run == _NEED_DIGIT else g.digit_ids[1:]] = True
            return mask
        if run == _NEED_CHAR or self._run_needs_more():
            mask[g.char_ids] = slack >= 0
            return mask
        if run == _DIGITS_OPEN and slack >= 1 and len(self.run_text) < MAX_DIGITS:
            mask[g.digit_ids] = True
        if run == _CHARS_OPEN and slack >= 1:
            mask[g.char_ids] = True
        if self.stack is None:
            mask[g.vocab.eos_id] = True
            return mask
        need = g.need[self.stack.top]
        mask |= g.start[self.stack.top] & (need <= slack)
        return mask

    def allowed_tokens(self) -> list[str]:
        """The allowed next tokens as strings (``<eos>`` when the expression may end)."""
        return [self.grammar.vocab.tokens[i] for i in np.flatnonzero(self.allowed())]

    def advance(self, token_id: int) -> PrefixState:
        """The state after ``token_id``; TokenError if the grammar does not allow it here."""
        g = self.grammar
        if not 0 <= token_id < len(g.vocab) or not self.allowed()[token_id]:
            token = g.vocab.tokens[token_id] if 0 <= token_id < len(g.vocab) else token_id
            raise TokenError(f"token {self.length + 1} ({token!r}) cannot follow here")
        if token_id == g.vocab.eos_id:
            return self
        token = g.vocab.tokens[token_id]
        length = self.length + 1
        if token in g.digits:
            if self.run == _NEED_DIGIT and token == "0":
                return PrefixState(g, self.stack, _LEADING_ZERO, "", "", length)
            return PrefixState(g, self.stack, _DIGITS_OPEN, self.run_text + token, "", length)
        if token in g.chars:
            text = self.run_text + token[len(CHAR_PREFIX) :]
            return PrefixState(g, self.stack, _CHARS_OPEN, text, self.run_slot, length)
        slot, rest = self.stack.top, self.stack.rest  # a run, if any, ends here
        if token in (INT_POS, INT_NEG):
            run = _NEED_NONZERO if slot == POSITIVE else _NEED_DIGIT
            return PrefixState(g, rest, run, "", "", length)
        if token == SYMBOL_ESCAPE or token in g.index_escapes:
            return PrefixState(g, rest, _NEED_CHAR, "", slot, length)
        if token == UP:
            return PrefixState(g, _push(rest, (_index_slot(slot.split(":", 1)[1], lower=True),)), length=length)
        return PrefixState(g, _push(rest, _CHILDREN.get(token, ())), length=length)


class PrefixGrammar:
    """The prefix grammar over one vocabulary, with a length budget (tokens, end marker excluded)."""

    def __init__(self, vocab: Vocab, max_length: int = 1024) -> None:
        if max_length < 1:
            raise TokenError(f"max_length must be at least 1, got {max_length}")
        self.vocab = vocab
        self.max_length = max_length
        size = len(vocab)
        ids = {t: i for i, t in enumerate(vocab.tokens)}
        self.digits = frozenset(DIGITS)
        self.chars = frozenset(CHAR_TOKENS)
        self.index_escapes = frozenset(INDEX_ESCAPE.values())
        self.digit_ids = np.array([ids[d] for d in DIGITS], dtype=np.int64)
        self.char_ids = np.array([ids[c] for c in CHAR_TOKENS if c in ids], dtype=np.int64)
        starts: dict[str, list[tuple[str, int]]] = {}  # slot -> (token, tokens it adds beyond the slot's cost)
        # an integer costs 2 where an expression costs 1: INT+ leaves one digit to place
        expr = [(t, 1 + sum(_COST[s] for s in c) - 1) for t, c in _CHILDREN.items() if t not in _WAVE_TOKENS]
        expr += [(t, 1 + sum(_COST[s] for s in _CHILDREN[t]) - 1) for t in _WAVE_TOKENS]
        expr += [(INT_POS, 1), (INT_NEG, 1), (IMAGINARY, 0), (SYMBOL_ESCAPE, 1)]
        expr += [(s, 0) for s in KNOWN_SYMBOLS]
        starts[EXPR] = expr
        starts[SYMBOL] = [(SYMBOL_ESCAPE, 1), *((s, 0) for s in KNOWN_SYMBOLS)]
        starts[WAVE] = [(t, 1 + sum(_COST[s] for s in _CHILDREN[t]) - _COST[WAVE]) for t in _WAVE_TOKENS]
        starts[INTEGER] = [(INT_POS, 0), (INT_NEG, 0)]
        starts[POSITIVE] = [(INT_POS, 0)]
        for kind in _INDEX_KINDS:
            lower = [(t, 0) for t in index_tokens(kind)] + [(INDEX_ESCAPE[kind], 1)]
            starts[_index_slot(kind, lower=True)] = lower
            starts[_index_slot(kind)] = [*lower, (UP, 1)]
        self.start: dict[str, np.ndarray] = {}
        self.need: dict[str, np.ndarray] = {}
        for slot, options in starts.items():
            mask = np.zeros(size, dtype=bool)
            need = np.zeros(size, dtype=np.int64)
            for token, extra in options:
                if token in ids and token not in SPECIALS:
                    mask[ids[token]] = True
                    need[ids[token]] = extra
            self.start[slot], self.need[slot] = mask, need

    def initial(self) -> PrefixState:
        """The state before the first token: one expression to generate."""
        return PrefixState(self, _push(None, (EXPR,)))

    def state_after(self, tokens: Sequence[str]) -> PrefixState:
        """The state after ``tokens`` (TokenError at the first token the grammar does not allow)."""
        state = self.initial()
        for token in tokens:
            if token not in self.vocab:
                raise TokenError(f"token {state.length + 1} ({token!r}) is not in the vocabulary")
            state = state.advance(self.vocab.id(token))
        return state


def allowed_next(tokens: Sequence[str], vocab: Vocab | None = None, *, max_length: int = 1024) -> set[str]:
    """The tokens that may follow the prefix ``tokens`` (``<eos>`` if it may end there) so that the
    sequence still completes to a valid expression within ``max_length`` tokens."""
    vocab = vocab or Vocab.default()
    return set(PrefixGrammar(vocab, max_length).state_after(tokens).allowed_tokens())


@dataclass(frozen=True)
class Hypothesis:
    """A decoded sequence (token ids, no <bos>/<eos>), its log-probability, and whether it ended."""

    ids: tuple[int, ...]
    log_prob: float
    finished: bool


def rank_beams(
    scores: Sequence[float],
    tokens: Sequence[Sequence[int]],
    finished: Sequence[bool],
    beam: int,
    length_penalty: float = 0.0,
) -> list[list[Hypothesis]]:
    """The end of a beam search, shared by the torch and the onnxruntime decoders: per source (``beam``
    consecutive rows each), its live hypotheses best first, scored as summed log-probability /
    length**length_penalty (ties: the earlier beam first)."""
    results: list[list[Hypothesis]] = []
    for start in range(0, len(scores), beam):
        hyps = [
            Hypothesis(tuple(tokens[r]), float(scores[r]) / max(1, len(tokens[r])) ** length_penalty, finished[r])
            for r in range(start, start + beam)
            if float(scores[r]) != float("-inf")
        ]
        hyps.sort(key=lambda h: -h.log_prob)
        results.append(hyps)
    return results


def extend_beams(
    parents: list[int],
    chosen: list[int],
    alive: list[bool],
    tokens: list[list[int]],
    finished: list[bool],
    states: list,
    eos: int,
) -> tuple[list[list[int]], list[bool], list]:
    """One beam-search step's bookkeeping, shared by the torch and the onnxruntime decoders: each new
    beam continues its parent with the chosen token, or ends (the parent had ended, the token is
    <eos>, or the candidate is dead: fewer live candidates than beams); grammar states advance."""
    new_tokens, new_finished, new_states = [], [], []
    for p, t, ok in zip(parents, chosen, alive, strict=True):
        if finished[p] or t == eos or not ok:
            new_tokens.append(tokens[p])
            new_finished.append(True)
            new_states.append(states[p])
        else:
            new_tokens.append([*tokens[p], t])
            new_finished.append(False)
            new_states.append(states[p].advance(t) if states[p] is not None else None)
    return new_tokens, new_finished, new_states
