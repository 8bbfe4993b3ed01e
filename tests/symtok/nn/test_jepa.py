"""JEPA: gather/scatter, EMA, the auxiliary span loss, and a small run that learns without collapsing."""

from __future__ import annotations

import random

import torch

import symtok
from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.jepa import (
    JEPA,
    JEPAConfig,
    effective_rank,
    embedding_std,
    gather_positions,
    scatter_positions,
    span_jepa_loss,
    variance_covariance,
)
from symtok.nn.masks import span_mask
from symtok.nn.train import TrainConfig, fit
from symtok.vocab import Vocab


def small_jepa(**jepa_kw):
    enc = Encoder(EncoderConfig(vocab_size=len(Vocab.default()), dim=48, depth=2, heads=4, dropout=0.0, nb_features=64))
    return JEPA(enc, JEPAConfig(predictor_dim=32, predictor_depth=1, **jepa_kw))


def test_gather_then_scatter_restores_kept_positions():
    x = torch.randn(3, 9, 4)
    keep = torch.rand(3, 9) > 0.4
    keep[:, 0] = True
    packed, positions, padding = gather_positions(x, keep)
    restored = scatter_positions(packed, positions, padding, 9)
    torch.testing.assert_close(restored[keep], x[keep])
    assert (restored[~keep] == 0).all()
    assert (positions[~padding].reshape(-1) == torch.nonzero(keep)[:, 1]).all()


def test_ema_update():
    model = small_jepa()
    with torch.no_grad():
        for p in model.context_encoder.parameters():
            p.add_(1.0)
    before = [p.clone() for p in model.target_encoder.parameters()]
    context = [p.clone() for p in model.context_encoder.parameters()]
    model.update_target(0.9)
    for t0, c, t in zip(before, context, model.target_encoder.parameters(), strict=True):
        torch.testing.assert_close(t, 0.9 * t0 + 0.1 * c)
    assert not any(p.requires_grad for p in model.target_encoder.parameters())
    assert model.momentum(0.0) == 0.996 and model.momentum(1.0) == 1.0


def test_span_loss_is_a_cosine_distance():
    h = torch.randn(2, 12, 8)
    loss = span_jepa_loss(h, torch.tensor([12, 6]), 0.5, torch.Generator().manual_seed(0))
    assert 0.0 <= float(loss) <= 2.0
    # linear hidden states (h[t] = t * w): context and patch are parallel, the loss vanishes
    w = torch.randn(8)
    line = torch.arange(12.0)[None, :, None] * w
    assert float(span_jepa_loss(line, torch.tensor([12]), 0.5, torch.Generator().manual_seed(1))) < 1e-6


def test_span_loss_off_costs_nothing():
    model = small_jepa(jepa_lambda=0.0)
    x = torch.tensor([symtok.Vocab.default().encode(symtok.tokenize("e^2*s_12 + g^2*s_13"))])
    out = model(x, span_mask([x.shape[1]], generator=torch.Generator().manual_seed(0)))
    assert "span_loss" not in out.metrics
    model2 = small_jepa(jepa_lambda=0.5, jepa_start_frac=0.5)
    assert (
        "span_loss"
        not in model2(x, torch.zeros_like(x, dtype=torch.bool) | (torch.arange(x.shape[1]) == 2), progress=0.2).metrics
    )
    assert (
        "span_loss"
        in model2(x, torch.zeros_like(x, dtype=torch.bool) | (torch.arange(x.shape[1]) == 2), progress=0.6).metrics
    )


def expression_dataset(n=192, seed=0):
    rng = random.Random(seed)
    vocab = Vocab.default()
    masses = ["m_e", "m_mu", "m_u", "m_d"]
    out = []
    for _ in range(n):
        a, b = rng.sample(masses, 2)
        i, j = rng.sample([1, 2, 3, 4], 2)
        text = f"{rng.randint(1, 9)}*e^{2 * rng.randint(1, 2)}*({a}^2 + s_{min(i, j)}{max(i, j)})*({b}^2 + s_12)^(-2)"
        out.append(torch.tensor(vocab.encode(symtok.tokenize(text))))
    return out


def collate(seqs):
    return torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=0)


def test_small_jepa_run_learns_without_collapse(tmp_path):
    torch.manual_seed(0)
    model = small_jepa(jepa_lambda=0.1)
    data = expression_dataset()

    def loss_fn(m, batch, info):
        lengths = (batch != 0).sum(1)
        mask = span_mask(lengths, batch.shape[1], target_frac=0.3, generator=info.generator)
        out = m(batch, mask, progress=info.progress, generator=info.generator)
        return out.loss, out.metrics

    cfg = TrainConfig(steps=120, batch_size=16, lr=1e-3, warmup_steps=10, log_every=10, progress=False)
    result = fit(
        model,
        loss_fn,
        data,
        cfg,
        collate=collate,
        out_dir=tmp_path,
        after_step=lambda m, i: m.update_target(m.momentum(i.progress)),
    )
    first, last = result.history[0], result.history[-1]
    assert last["latent_loss"] < 0.6 * first["latent_loss"], (first, last)
    assert last["embedding_std"] > 0.02 and last["effective_rank"] > 3.0, last
    assert (tmp_path / "metrics.jsonl").exists() and (tmp_path / "loss.png").exists()


def test_collapse_monitors_detect_collapse():
    healthy = torch.randn(64, 32)
    collapsed = torch.randn(1, 32).expand(64, 32) + 1e-6 * torch.randn(64, 32)
    assert embedding_std(healthy) > 10 * embedding_std(collapsed)
    assert effective_rank(healthy) > 20 and effective_rank(collapsed) < 2


def test_variance_covariance_terms_grow_with_collapse():
    torch.manual_seed(0)
    whitened = torch.randn(4096, 16)
    collapsed = torch.randn(1, 16).expand(4096, 16) + 1e-3 * torch.randn(4096, 16)
    correlated = torch.randn(4096, 1).expand(4096, 16) + 0.1 * torch.randn(4096, 16)
    v_white, c_white = variance_covariance(whitened)
    v_coll, _ = variance_covariance(collapsed)
    _, c_corr = variance_covariance(correlated)
    assert float(v_white) < 0.05 and float(c_white) < 0.05
    assert float(v_coll) > 0.95  # every dimension's std is ~0: the hinge is ~1
    assert float(c_corr) > 100 * float(c_white)


def test_variance_term_spreads_embeddings_in_training():
    """Gradient steps on the variance term alone push a collapsed batch apart."""
    torch.manual_seed(0)
    z = (torch.randn(1, 8) + 1e-2 * torch.randn(64, 8)).requires_grad_(True)
    opt = torch.optim.SGD([z], lr=20.0)
    before = float(variance_covariance(z.detach())[0])
    for _ in range(50):
        opt.zero_grad()
        variance_covariance(z)[0].backward()
        opt.step()
    assert float(variance_covariance(z.detach())[0]) < 0.5 * before


def test_jepa_adds_regularisers_only_when_weighted():
    torch.manual_seed(0)
    x = torch.randint(6, 100, (4, 12))
    mask = torch.zeros(4, 12, dtype=torch.bool)
    mask[:, 3:6] = True
    plain = small_jepa()(x, mask)
    assert "variance_loss" not in plain.metrics
    torch.manual_seed(0)
    model = small_jepa(variance_weight=1.0, covariance_weight=0.5)
    out = model(x, mask)
    expected = out.metrics["latent_loss"] + out.metrics["variance_loss"] + 0.5 * out.metrics["covariance_loss"]
    assert abs(float(out.loss.detach()) - expected) < 1e-5
