"""Property tests (hypothesis) of the round trips and of the normalizer over random expression trees."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational

from symtok import decode, detokenize, encode, normalize, parse, to_prefix, to_string
from symtok.indices import Index
from symtok.normalize import normalize_indices
from symtok.vocab import Vocab
from tests.strategies import dirac_traces, expressions, renamings, squared_amplitudes

normalize_module = import_module("symtok.normalize")  # the module (symtok.normalize is also the function)
SETTINGS = settings()  # profile from tests/conftest.py


@SETTINGS
@given(expressions)
def test_detokenize_inverts_to_prefix(x):
    assert detokenize(to_prefix(x)) == x


@SETTINGS
@given(expressions)
def test_detokenize_inverts_to_prefix_after_normalize(x):
    n = normalize(x)
    assert decode(encode(n)) == n


@SETTINGS
@given(expressions)
def test_to_prefix_inverts_detokenize(x):
    tokens = to_prefix(x)
    assert to_prefix(detokenize(tokens)) == tokens


@SETTINGS
@given(expressions)
def test_parse_inverts_to_string(x):
    assert parse(to_string(x)) == x


@SETTINGS
@given(expressions)
def test_valid_input_never_produces_unk(x):
    vocab = Vocab.default()
    ids = vocab.encode(encode(normalize(x)), strict=False)
    assert vocab.unk_id not in ids


@SETTINGS
@given(st.data())
def test_normalize_is_invariant_under_renaming(data):
    x = data.draw(expressions)
    renamed = x.xreplace(data.draw(renamings(x)))
    assert normalize(renamed) == normalize(x)


@SETTINGS
@given(st.data())
def test_normalize_is_invariant_on_symmetric_dirac_traces(data):
    x = data.draw(dirac_traces())
    renamed = x.xreplace(data.draw(renamings(x)))
    assert normalize(renamed) == normalize(x)
    assert encode(normalize(renamed)) == encode(normalize(x))


@SETTINGS
@given(expressions)
def test_normalize_is_idempotent(x):
    n = normalize(x)
    assert normalize(n) == n


@SETTINGS
@given(expressions)
def test_normalize_only_renames_indices_bijectively(x):
    n, renaming = normalize_indices(x)
    per_kind = {(kind, new) for (_, kind), new in renaming.items()}
    assert len(per_kind) == len(renaming) == len({i.key for i in x.atoms(Index)})
    assert x.xreplace({i: i.with_name(renaming[i.key]) for i in x.atoms(Index)}) == n


def _random_point(expr, seed):
    rng = random.Random(seed)
    return {s: Rational(rng.randint(1, 997), rng.randint(1, 97)) for s in expr.free_symbols}


@SETTINGS
@given(squared_amplitudes, st.integers(0, 10**6))
def test_value_preserved_on_squared_amplitudes(x, seed):
    point = _random_point(x, seed)
    before = x.xreplace(point)
    for y in (normalize(x), detokenize(to_prefix(normalize(x))), parse(to_string(x))):
        assert y.xreplace(point) == before


@contextmanager
def worklist_refinement() -> Iterator[None]:
    """Normalize with the worklist refinement (used above ROUND_REFINEMENT_MAX indices) on every size."""
    old = normalize_module.ROUND_REFINEMENT_MAX
    normalize_module.ROUND_REFINEMENT_MAX = 0
    try:
        yield
    finally:
        normalize_module.ROUND_REFINEMENT_MAX = old


@SETTINGS
@given(st.data())
def test_worklist_refinement_is_invariant_under_renaming(data):
    x = data.draw(expressions)
    renamed = x.xreplace(data.draw(renamings(x)))
    with worklist_refinement():
        assert normalize(renamed) == normalize(x)


@SETTINGS
@given(st.data())
def test_worklist_refinement_is_invariant_on_symmetric_dirac_traces(data):
    x = data.draw(dirac_traces())
    renamed = x.xreplace(data.draw(renamings(x)))
    with worklist_refinement():
        assert encode(normalize(renamed)) == encode(normalize(x))


@SETTINGS
@given(expressions)
def test_worklist_refinement_is_idempotent_and_only_renames(x):
    with worklist_refinement():
        n, renaming = normalize_indices(x)
        assert normalize(n) == n
    assert x.xreplace({i: i.with_name(renaming[i.key]) for i in x.atoms(Index)}) == n
