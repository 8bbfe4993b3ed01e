"""CI-sized fuzzing (the nightly-sized run is benchmarks/fuzz.py): valid expressions of every form
and grammar-aware mutations of them; only SymtokError escapes, every input finishes within a time
bound, and every accepted input round-trips."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import check, mutate, written_forms
from tests.strategies import expressions, squared_amplitudes


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(expressions, squared_amplitudes), st.randoms(use_true_random=False), st.integers(0, 6))
def test_valid_and_mutated_text_of_every_form_keeps_the_contract(expr, rng: random.Random, rounds: int):
    for text in written_forms(expr):
        valid = check(text)
        assert valid.failure is None, (text, valid.failure)
        assert valid.accepted, text  # what a writer writes, the reader reads
        mutated = mutate(text, rng, rounds)
        outcome = check(mutated)
        assert outcome.failure is None, (mutated[:300], outcome.failure)
