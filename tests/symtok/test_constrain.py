"""The prefix grammar constraint: every expression's tokens are allowed, and anything generated
inside the masks decodes, within the length budget."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symtok import decode, encode, normalize
from symtok.constrain import PrefixGrammar, allowed_next
from symtok.errors import TokenError
from symtok.vocab import Vocab
from tests.strategies import expressions

VOCAB = Vocab.default()


@settings()
@given(expressions)
def test_every_encoded_expression_is_allowed_token_by_token(x):
    tokens = encode(normalize(x))
    state = PrefixGrammar(VOCAB, max_length=len(tokens)).initial()
    for token in tokens:
        assert state.allowed()[VOCAB.eos_id] == state.complete
        state = state.advance(VOCAB.id(token))
    assert state.complete and state.allowed()[VOCAB.eos_id]
    assert set(np.flatnonzero(state.allowed())) <= {VOCAB.eos_id}  # the budget is spent exactly


@settings(max_examples=300)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_random_walks_inside_the_masks_always_decode_within_the_budget(seed, budget):
    rng = random.Random(seed)
    grammar = PrefixGrammar(VOCAB, max_length=budget)
    state, tokens = grammar.initial(), []
    while True:
        allowed = np.flatnonzero(state.allowed())
        assert len(allowed) > 0, tokens  # never stuck
        token = int(rng.choice(allowed))
        if token == VOCAB.eos_id:
            break
        state = state.advance(token)
        tokens.append(VOCAB.tokens[token])
    assert len(tokens) <= budget
    decode(tokens)  # raises if the sequence is not an expression


def test_what_may_follow():
    assert allowed_next(["rat"]) == {"INT+", "INT-"}
    assert allowed_next(["rat", "INT-", "3"]) == {"INT+", *"0123456789"}  # q is positive
    assert allowed_next(["rat", "INT-", "3", "INT+"]) == set("123456789")  # no leading zero
    assert allowed_next(["INT+", "0"]) == {"<eos>"}
    assert "<eos>" not in allowed_next(["add", "e"])
    assert allowed_next(["e"]) == {"<eos>"}
    after_gamma = allowed_next(["gamma"])
    assert "L0" in after_gamma and "up" in after_gamma and "D0" not in after_gamma and "e" not in after_gamma
    assert allowed_next(["gamma", "up"]) >= {"L0", "L?"} and "up" not in allowed_next(["gamma", "up"])
    assert allowed_next(["conj"]) == {"spinor_u", "spinor_v", "cspinor_u", "cspinor_v", "pol", "cpol"}
    # a symbol slot spelled "i" would be the imaginary unit: it must go on
    assert allowed_next(["spinor_u", "sym", "~i"]) <= {f"~{c}" for c in "abcdefghijklmnopqrstuvwxyz"} | {
        f"~{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_\\"
    }


def test_the_budget_forbids_what_cannot_finish():
    assert "add" not in allowed_next([], max_length=2)
    assert "add" in allowed_next([], max_length=3)
    assert "mul" not in allowed_next(["add", "e"], max_length=3)
    assert "mul" in allowed_next(["add", "e"], max_length=5)
    assert "INT+" not in allowed_next(["add", "e"], max_length=3)  # an integer takes two tokens


def test_a_token_the_grammar_forbids_is_an_error():
    with pytest.raises(TokenError, match="cannot follow"):
        PrefixGrammar(VOCAB).state_after(["rat", "e"])
    with pytest.raises(TokenError, match="not in the vocabulary"):
        PrefixGrammar(VOCAB).state_after(["nonsense"])


def test_rank_beams_orders_each_sources_live_hypotheses():
    from symtok.constrain import rank_beams

    inf = float("-inf")
    scores = [-2.0, -1.0, inf, -3.0, -3.0, -6.0]  # two sources, three beams each
    tokens = [[1], [2, 3], [4], [5], [6, 7, 8], [9, 9, 9]]
    finished = [True, True, False, True, False, True]
    first, second = rank_beams(scores, tokens, finished, 3)
    assert [h.ids for h in first] == [(2, 3), (1,)]  # best first, a dead beam dropped
    assert [h.ids for h in second] == [(5,), (6, 7, 8), (9, 9, 9)]  # a tie keeps the earlier beam first
    assert [h.finished for h in second] == [True, False, True]
    # length-normalised: -3/1 < -3/3 and -6/3 = -2 beats -3
    assert [h.ids for h in rank_beams(scores, tokens, finished, 3, length_penalty=1.0)[1]] == [
        (6, 7, 8),
        (9, 9, 9),
        (5,),
    ]
    assert rank_beams(scores, tokens, finished, 3, length_penalty=1.0)[1][0].log_prob == -1.0
