"""Class-attention pooling: padding never matters, the order of positions never matters, and the
class token really reads the states."""

from __future__ import annotations

import pytest
import torch

from symtok.nn.pooling import ClassAttentionPool


@pytest.fixture
def pool():
    torch.manual_seed(0)
    return ClassAttentionPool(dim=32, heads=4, depth=2).eval()


def test_padding_is_never_attended(pool):
    states = torch.randn(3, 9, 32)
    padding = torch.zeros(3, 9, dtype=torch.bool)
    padding[1, 6:] = True
    padded = torch.cat([states, 1e3 * torch.randn(3, 5, 32)], dim=1)  # huge junk where the mask says padding
    padded_mask = torch.cat([padding, torch.ones(3, 5, dtype=torch.bool)], dim=1)
    short = pool(states[1:2, :6], None)
    torch.testing.assert_close(pool(padded, padded_mask), pool(states, padding), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(pool(states, padding)[1:2], short, atol=1e-5, rtol=1e-5)


def test_permuting_positions_changes_nothing(pool):
    states = torch.randn(2, 11, 32)
    order = torch.randperm(11)
    torch.testing.assert_close(pool(states[:, order], None), pool(states), atol=1e-5, rtol=1e-5)


def test_the_pooled_vector_depends_on_the_states(pool):
    states = torch.randn(2, 7, 32)
    out = pool(states, None)
    assert out.shape == (2, 32)
    assert not torch.allclose(out[0], out[1], atol=1e-3)
    states.requires_grad_(True)
    (pool(states, None) * torch.randn(2, 32)).sum().backward()  # (a plain sum of a LayerNorm output is flat)
    assert states.grad is not None and states.grad.abs().sum() > 0
