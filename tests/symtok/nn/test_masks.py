"""Maskers: targets never on padding, at least one target and one context, edges reachable, seeded."""

from __future__ import annotations

import torch

import symtok
from symtok.nn.masks import group_mask, span_mask, subtree_mask
from symtok.prefix import subtree_ends


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_span_mask_respects_lengths_and_keeps_context():
    lengths = [10, 3, 25, 2]
    for seed in range(50):
        m = span_mask(lengths, 25, target_frac=0.4, max_span_frac=0.3, generator=gen(seed))
        for row, n in enumerate(lengths):
            assert not m[row, n:].any()
            assert 1 <= int(m[row, :n].sum()) <= n - 1


def test_span_mask_can_reach_first_and_last_position():
    hits_first = hits_last = False
    for seed in range(200):
        m = span_mask([12], target_frac=0.3, generator=gen(seed))
        hits_first |= bool(m[0, 0])
        hits_last |= bool(m[0, 11])
    assert hits_first and hits_last  # I-JEPA's collator never masked the last row


def test_span_mask_is_deterministic_in_the_generator():
    a = span_mask([30, 20], generator=gen(5))
    b = span_mask([30, 20], generator=gen(5))
    c = span_mask([30, 20], generator=gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_subtree_mask_selects_whole_subtrees():
    texts = ["e^2*s_12 + alpha*gamma_{%\\mu_1,%a_1,%b_2}", "2*e^4*(s_13*s_24 + s_14*s_23)*(m_e^2 + s_12)^(-2)"]
    ends = [subtree_ends(symtok.tokenize(t)) for t in texts]
    for seed in range(40):
        m = subtree_mask(ends, target_frac=0.3, generator=gen(seed))
        for row, e in enumerate(ends):
            n = len(e)
            chosen = m[row, :n].tolist()
            assert 1 <= sum(chosen) <= n - 1
            i = 0
            while i < n:  # every maximal masked run is a concatenation of complete subtrees
                if chosen[i]:
                    j = i
                    while j < n and chosen[j]:
                        assert e[j] > j, "a run must continue with a subtree root"
                        j = e[j]
                    assert all(chosen[i:j]) and (j == n or not chosen[j] or e[j] > j)
                    i = j
                else:
                    i += 1


def test_subtree_ends_match_decoding():
    tokens = symtok.tokenize("-1/2*i*e^2*gamma_{+%\\sigma_1,%gam_2,%del_3}/(m_e^2 + s_12)")
    ends = subtree_ends(tokens)
    assert ends[0] == len(tokens)
    for i, e in enumerate(ends):
        if e > i:
            symtok.decode(tokens[i:e])  # each span is a complete expression


def test_group_mask_takes_whole_groups():
    groups = torch.tensor([[0, 0, 1, 1, 2, 2, -1], [0, 1, 1, 1, -1, -1, -1], [0, 0, 0, -1, -1, -1, -1]])
    for seed in range(30):
        m = group_mask(groups, target_frac=0.5, generator=gen(seed))
        assert not m[groups < 0].any()
        for row in range(2):
            ids = groups[row][groups[row] >= 0]
            targeted = set(groups[row][m[row]].tolist())
            assert 1 <= len(targeted) < len(set(ids.tolist()))
            for g in targeted:
                assert m[row][groups[row] == g].all()
        assert not m[2].any()  # a single group cannot be split into context and target
