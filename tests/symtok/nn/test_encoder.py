"""The shared Encoder: token and continuous inputs, padding invariance, pooling, configuration errors."""

from __future__ import annotations

import pytest
import torch

from symtok.nn.encoder import Encoder, EncoderConfig, masked_mean


def tokens_config(**kw):
    base = {"vocab_size": 40, "dim": 32, "depth": 2, "heads": 4, "dropout": 0.0, "nb_features": 64}
    return EncoderConfig(**{**base, **kw})


@pytest.mark.parametrize("attention", ["fast", "softmax"])
def test_token_padding_invariance(attention):
    enc = Encoder(tokens_config(attention=attention)).eval()
    x = torch.randint(6, 40, (3, 15))
    out = enc(x)
    padded = torch.cat([x, torch.zeros(3, 9, dtype=torch.long)], dim=1)
    out2 = enc(padded)
    torch.testing.assert_close(out2.states[:, :15], out.states, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out2.pooled, out.pooled, rtol=1e-4, atol=1e-5)


def test_continuous_input_with_mask_and_no_positions():
    enc = Encoder(
        EncoderConfig(vocab_size=None, input_dim=7, dim=32, depth=2, heads=4, positional="none", dropout=0.0)
    ).eval()
    x = torch.randn(2, 10, 7)
    mask = torch.zeros(2, 10, dtype=torch.bool)
    mask[1, 6:] = True
    out = enc(x, mask)
    assert out.states.shape == (2, 10, 32) and out.pooled.shape == (2, 32)
    perm = torch.randperm(6)
    out_perm = enc(x[1:2, perm], mask[1:2, :6])
    torch.testing.assert_close(out_perm.pooled[0], out.pooled[1], rtol=1e-4, atol=1e-5)  # a set: order-free


def test_hidden_states_and_gradients_reach_every_parameter():
    enc = Encoder(tokens_config())
    out = enc(torch.randint(6, 40, (2, 11)), return_hidden=True)
    assert len(out.hidden) == 2
    out.pooled.square().sum().backward()
    missing = [
        n
        for n, p in enc.named_parameters()
        if p.grad is None or not torch.isfinite(p.grad).all() or p.grad.abs().sum() == 0
    ]
    assert missing == []


def test_masked_mean_ignores_padding():
    states = torch.tensor([[[1.0], [3.0], [100.0]]])
    assert masked_mean(states, torch.tensor([[False, False, True]])).item() == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [{"vocab_size": None}, {"input_dim": 4}, {"attention": "linear"}, {"positional": "rope"}, {"dim": 30, "heads": 4}],
)
def test_config_errors(kwargs):
    with pytest.raises(ValueError):
        EncoderConfig(**{"vocab_size": 10, **kwargs})


def test_learned_positions_and_fix_features():
    enc = Encoder(tokens_config(positional="learned", max_len=64))
    enc.fix_features()
    assert all(m.feature_redraw_interval is None for m in enc.modules() if hasattr(m, "feature_redraw_interval"))
    assert enc(torch.randint(6, 40, (1, 64))).states.shape == (1, 64, 32)
