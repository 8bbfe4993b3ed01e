"""The prefix codec: fixed arities, digit-wise integers, escapes, and clear errors on malformed sequences."""

from __future__ import annotations

import pytest
from sympy import Add, Integer, Rational

from symtok import TokenError, decode, encode, tokenize
from symtok.indices import DIRAC, LORENTZ, Index
from symtok.objects import REGISTRY
from symtok.symbols import symbol_for
from symtok.tokens import (
    CHAR_TOKENS,
    DIGITS,
    INDEX_ESCAPE,
    KNOWN_SYMBOLS,
    OBJECT_TOKENS,
    OPERATORS,
    SPECIALS,
    core_tokens,
    index_tokens,
)


def test_integers_are_sign_then_digits():
    assert encode(Integer(-1203)) == ["INT-", "1", "2", "0", "3"]
    assert encode(Integer(0)) == ["INT+", "0"]
    big = Integer(10**40 + 7)
    assert decode(encode(big)) == big


def test_rationals_have_their_own_operator():
    assert encode(Rational(-4, 9)) == ["rat", "INT-", "4", "INT+", "9"]


def test_sums_are_right_chained_binary_operators():
    x = Add(*[symbol_for(f"s_{i}{j}") for i, j in ((1, 2), (1, 3), (2, 4), (3, 4))])
    tokens = encode(x)
    assert tokens[:3] == ["add"] * 3 and tokens.count("add") == 3
    assert decode(tokens) == x


def test_unknown_names_are_escaped_not_unk():
    tokens = encode(symbol_for("theta_W"))
    assert tokens == ["sym", "~t", "~h", "~e", "~t", "~a", "~_", "~W"]
    assert decode(tokens) == symbol_for("theta_W")


def test_canonical_indices_are_single_tokens_others_escaped():
    assert encode(Index("\\mu_5", LORENTZ)) == ["L5"]
    assert encode(Index("\\mu_5", LORENTZ, up=True)) == ["up", "L5"]
    assert encode(Index("del_0", DIRAC)) == ["D0"]
    assert encode(Index("del_05", DIRAC))[0] == INDEX_ESCAPE[DIRAC]  # leading zero is not canonical
    assert encode(Index("del_500", DIRAC))[0] == INDEX_ESCAPE[DIRAC]  # beyond the slots
    for name in ("del_05", "del_500", "gam_3"):
        assert decode(encode(Index(name, DIRAC))) == Index(name, DIRAC)


def test_every_object_token_has_the_arity_of_its_class():
    for spec in REGISTRY:
        assert OBJECT_TOKENS[spec.token] == len(spec.cls.slots)


def test_token_families_are_disjoint():
    families = [set(SPECIALS), set(OPERATORS), set(DIGITS), set(OBJECT_TOKENS), set(KNOWN_SYMBOLS), set(CHAR_TOKENS)]
    families += [set(index_tokens(k)) for k in INDEX_ESCAPE]
    total = sum(len(f) for f in families)
    assert len(set().union(*families)) == total
    assert len(core_tokens()) == len(set(core_tokens()))


def test_tokenize_real_looking_amplitude():
    tokens = tokenize(
        r"-1/2*i*e^2*gamma_{+%\sigma_9,%gam_1,%del_2}*gamma_{%\sigma_9,%gam_3,%del_4}*e_{k_1,%del_4}(p_1)_u*e_{l_1,%gam_3}(p_2)_v^(*)*mu_{i_2,%gam_1}(p_3)_u^(*)*mu_{j_2,%del_2}(p_4)_v/(m_e^2 + s_12 + 1/2*reg_prop)"
    )
    assert "gamma" in tokens and "conj" in tokens and "spinor_u" in tokens and "sym" not in tokens
    assert all("?" not in t for t in tokens)


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (["add", "e"], "needs 2 operands"),
        (["e", "g"], "2 expressions"),
        (["bogus"], "unknown token"),
        (["INT+"], "no digits"),
        (["1", "2"], "digits must follow"),
        (["sym"], "no characters"),
        (["gamma", "L0", "D0", "e"], "dirac index"),
        (["up", "e"], "lower index"),
        (["rat", "INT+", "1", "INT-", "2"], "positive integer"),
        (["INT+", "0", "7"], "leading zero"),
        ([], "empty"),
    ],
)
def test_malformed_sequences_raise_token_error(tokens, message):
    with pytest.raises(TokenError, match=message):
        decode(tokens)


def test_long_chain_decodes_without_recursion():
    x = Add(*[symbol_for(f"x_{k}") for k in range(5000)])
    assert decode(encode(x)) == x


def test_tokenize_is_invariant_to_dummy_names_and_factor_order():
    a = tokenize(
        r"gamma_{+%\sigma_1,%gam_1,%del_1}*gamma_{%\sigma_1,%gam_2,%del_2}*e_{i_3,%del_2}(p_1)_u*e_{j_3,%gam_1}(p_2)_v^(*)"
    )
    b = tokenize(
        r"e_{k_9,%eps_7}(p_2)_v^(*)*gamma_{%\tau_77,%alpha_5,%eta_4}*e_{l_1,%eta_4}(p_1)_u*gamma_{+%\tau_77,%eps_7,%del_8}"
    )
    c = tokenize(
        r"gamma_{+%\sigma_1,%gam_1,%del_1}*gamma_{%\sigma_1,%gam_2,%del_2}*e_{i_3,%del_2}(p_1)_u*e_{j_3,%gam_2}(p_2)_v^(*)"
    )
    assert a == b  # b relabels every index of a and shuffles the factors
    assert a != c  # c contracts the conjugate spinor differently: must differ
    assert decode(a) == decode(b)
