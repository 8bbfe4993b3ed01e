"""FastAttention (FAVOR+) and SoftmaxAttention: accuracy, padding invariance, causality, gradients, features."""

from __future__ import annotations

import itertools

import pytest
import torch

from symtok.nn.attention import FastAttention, SoftmaxAttention, causal_linear_attention, favor_features


def qkv(b=2, h=2, n=48, d=16, scale=0.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(b, h, n, d, generator=g) * s for s in (scale, scale, 1.0))


def softmax_reference(q, k, v, causal=False):
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
    if causal:
        n = q.shape[-2]
        scores = scores.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), float("-inf"))
    return scores.softmax(-1) @ v


def test_favor_approximates_softmax_and_error_falls_with_features():
    errors = []
    for m in (8, 32, 128, 512, 2048):
        err = []
        for seed in range(4):
            q, k, v = qkv(seed=seed)
            attn = FastAttention(16, m, seed=seed).eval()
            exact = softmax_reference(q, k, v)
            err.append(float((attn(q, k, v) - exact).norm() / exact.norm()))
        errors.append(sum(err) / len(err))
    assert errors[-1] < 0.1, errors
    assert all(a > b for a, b in itertools.pairwise(errors)), errors
    # Monte-Carlo rate: 256x more features should cut the error by about sqrt(256) = 16
    assert errors[-1] < errors[0] / 5, errors


@pytest.mark.parametrize("backend", ["fast", "softmax"])
def test_padding_does_not_change_real_outputs(backend):
    q, k, v = qkv(n=20)
    attn = (FastAttention(16, 64) if backend == "fast" else SoftmaxAttention(16)).eval()
    base = attn(q, k, v, key_padding_mask=torch.zeros(2, 20, dtype=torch.bool))
    junk = [torch.randn(2, 2, 13, 16) * 10 for _ in range(3)]
    padded = [torch.cat([t, j], dim=2) for t, j in zip((q, k, v), junk, strict=True)]
    mask = torch.zeros(2, 33, dtype=torch.bool)
    mask[:, 20:] = True
    out = attn(*padded, key_padding_mask=mask)
    torch.testing.assert_close(out[:, :, :20], base, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", ["fast", "softmax"])
def test_causal_outputs_ignore_the_future(backend):
    q, k, v = qkv(n=40)
    attn = (
        FastAttention(16, 64, causal=True, chunk_size=7) if backend == "fast" else SoftmaxAttention(16, causal=True)
    ).eval()
    out = attn(q, k, v)
    k2, v2 = k.clone(), v.clone()
    k2[:, :, 25:] += 5.0
    v2[:, :, 25:] -= 3.0
    torch.testing.assert_close(attn(q, k2, v2)[:, :, :25], out[:, :, :25])
    assert not torch.allclose(attn(q, k2, v2)[:, :, 25:], out[:, :, 25:])


def test_chunked_causal_matches_quadratic_formula():
    q, k, v = qkv(n=37)
    proj = FastAttention(16, 32).projection
    qf = favor_features(q, proj, is_query=True)
    kf = favor_features(k, proj, is_query=False)
    scores = (qf @ kf.transpose(-1, -2)).tril()
    expected = (scores @ v) / scores.sum(-1, keepdim=True)
    for chunk in (1, 5, 16, 64):
        torch.testing.assert_close(causal_linear_attention(qf, kf, v, chunk), expected, rtol=1e-4, atol=1e-5)


def test_causal_favor_approximates_causal_softmax():
    q, k, v = qkv(n=32, seed=3)
    exact = softmax_reference(q, k, v, causal=True)
    approx = FastAttention(16, 2048, causal=True).eval()(q, k, v)
    assert float((approx - exact).norm() / exact.norm()) < 0.08


@pytest.mark.parametrize("backend", ["fast", "softmax"])
def test_gradients_flow_to_q_k_v(backend):
    q, k, v = (t.clone().requires_grad_(True) for t in qkv(n=12))
    attn = FastAttention(16, 32) if backend == "fast" else SoftmaxAttention(16)
    attn(q, k, v).square().sum().backward()
    for t in (q, k, v):
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


def test_features_redraw_only_in_training_and_can_be_fixed():
    attn = FastAttention(16, 32, feature_redraw_interval=2)
    q, k, v = qkv(n=8)
    first = attn.projection.clone()
    attn.eval()
    for _ in range(5):
        attn(q, k, v)
    assert torch.equal(attn.projection, first)
    attn.train()
    for _ in range(3):
        attn(q, k, v)
    assert not torch.equal(attn.projection, first) and int(attn.redraws) == 1
    attn.fix_features()
    fixed = attn.projection.clone()
    for _ in range(5):
        attn(q, k, v)
    assert torch.equal(attn.projection, fixed)


def test_features_are_buffers_and_deterministic_in_seed():
    a, b, c = FastAttention(16, 32, seed=1), FastAttention(16, 32, seed=1), FastAttention(16, 32, seed=2)
    assert "projection" in a.state_dict()
    assert torch.equal(a.projection, b.projection) and not torch.equal(a.projection, c.projection)
    w = a.projection / a.projection.norm(dim=1, keepdim=True)
    torch.testing.assert_close(w[:16] @ w[:16].T, torch.eye(16), atol=1e-5, rtol=0)  # orthogonal block


def test_stable_for_large_logits():
    q, k, v = qkv(scale=8.0)
    out = FastAttention(16, 64).eval()(q, k, v)
    assert torch.isfinite(out).all()
