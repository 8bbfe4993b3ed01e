"""JEPA: predict the target encoder's latent states of masked positions from the visible context.

Following I-JEPA (Assran et al. 2023): the context encoder sees only context positions (masked
positions are removed, not replaced); a frozen EMA copy of it encodes the whole input and its
layer-normalised states are the targets; a narrow predictor (the same Encoder class, continuous
input) receives the context states plus a learned mask vector at every target position and
predicts the targets. Collapse monitors: per-dimension std of normalised embeddings and the
effective rank (RankMe, Garrido et al. 2023), and the effective rank after removing the batch mean
(``centered_rank``): mean-pooled embeddings share a large common direction, so the first two stay
low even for a randomly initialised encoder whose embeddings a linear probe can still separate.

Optional auxiliary span loss for token models (weight ``jepa_lambda``; 0 costs nothing): with
hidden states h of one sequence and a sampled span [a, b), context = (h[a-1] - h[0]) +
(h[T-1] - h[b]), patch = h[b] - h[a-1], loss = 1 - cos(context, patch).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from symtok.config import Config
from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.train import StepInfo, TrainConfig, fit, global_count, rows_of_rank


@dataclass(frozen=True)
class JEPAConfig(Config):
    """JEPA hyper-parameters (the encoder has its own EncoderConfig)."""

    predictor_dim: int = 64
    predictor_depth: int = 2
    predictor_heads: int = 4
    hint_dim: int = 0  # extra per-position inputs to the predictor (jets: subjet eta, phi)
    ema_start: float = 0.996
    ema_end: float = 1.0
    loss: Literal["smooth_l1", "mse"] = "smooth_l1"
    jepa_lambda: float = 0.0
    jepa_max_span_frac: float = 0.5
    jepa_start_frac: float = 0.0
    jepa_layer: int = -1
    # VICReg-style anti-collapse terms on the context encoder's pooled embeddings (0 = off, no cost)
    variance_weight: float = 0.0
    covariance_weight: float = 0.0


@dataclass
class JEPAOutput:
    """loss = latent loss (+ jepa_lambda * span loss); metrics are floats for logging."""

    loss: Tensor
    metrics: dict[str, float] = field(default_factory=dict)
    context_pooled: Tensor | None = None


def gather_positions(x: Tensor, keep: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Pack the kept positions of each row to the front.

    x: (B, N) or (B, N, F); keep: bool (B, N). Returns packed x (B, K, ...), their original
    positions (B, K) and a padding mask (B, K), K = max kept count.
    """
    counts = keep.sum(dim=1)
    width = max(int(counts.max()), 1)
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)[:, :width]
    padding = torch.arange(width, device=x.device)[None, :] >= counts[:, None]
    index = order if x.dim() == 2 else order.unsqueeze(-1).expand(-1, -1, x.shape[-1])
    packed = torch.gather(x, 1, index)
    if x.dim() == 2:
        packed = packed.masked_fill(padding, 0)
    return packed, order, padding


def scatter_positions(values: Tensor, positions: Tensor, padding: Tensor, length: int) -> Tensor:
    """Inverse of gather_positions for states: (B, K, D) at positions (B, K) -> (B, length, D), zeros elsewhere."""
    out = values.new_zeros(values.shape[0], length, values.shape[-1])
    values = values.masked_fill(padding.unsqueeze(-1), 0.0)
    # padded slots point at position 0 with value 0: scatter_add keeps real values intact
    return out.scatter_add(1, positions.unsqueeze(-1).expand_as(values), values)


def embedding_std(z: Tensor) -> float:
    """Mean over dimensions of the std of L2-normalised embeddings (→ 0 under collapse; 1/sqrt(D) healthy)."""
    if z.shape[0] < 2:
        return float("nan")  # undefined for one embedding
    z = F.normalize(z.detach().float(), dim=-1)
    return float(z.std(dim=0).mean())


def effective_rank(z: Tensor) -> float:
    """RankMe: exp(entropy of the normalised singular values) of a (B, D) embedding batch."""
    s = torch.linalg.svdvals(z.detach().float())
    p = s / s.sum().clamp_min(1e-12) + 1e-12
    return float(torch.exp(-(p * p.log()).sum()))


def variance_covariance(z: Tensor, eps: float = 1e-4) -> tuple[Tensor, Tensor]:
    """VICReg's regularisers (Bardes et al. 2022) of a (B, D) batch: the hinge mean(relu(1 - std_d))
    that keeps every dimension's spread up, and the summed squared off-diagonal covariance / D that
    decorrelates dimensions. Both are 0 for a whitened batch and grow as the embedding collapses."""
    if z.shape[0] < 2:
        return z.sum() * 0.0, z.sum() * 0.0
    z = z.float() - z.float().mean(dim=0)
    std = torch.sqrt(z.var(dim=0) + eps)
    variance = F.relu(1.0 - std).mean()
    cov = (z.T @ z) / (z.shape[0] - 1)
    off = cov - torch.diag(torch.diag(cov))
    return variance, off.pow(2).sum() / z.shape[1]


def span_jepa_loss(hidden: Tensor, lengths: Tensor, max_span_frac: float, generator: torch.Generator) -> Tensor:
    """Mean over sequences of 1 - cos(context, patch) for one random span [a, b) per sequence.

    hidden: (B, T, D); lengths: (B,) real lengths (sequences shorter than 4 are skipped).
    """
    losses = []
    for row, t in enumerate(lengths.tolist()):
        if t < 4:
            continue
        longest = max(1, min(t - 3, int(max_span_frac * t)))
        size = int(torch.randint(1, longest + 1, (1,), generator=generator))
        a = int(torch.randint(1, t - size, (1,), generator=generator))  # 1 <= a, b = a + size <= t - 1
        b = a + size
        h = hidden[row]
        context = (h[a - 1] - h[0]) + (h[t - 1] - h[b])
        patch = h[b] - h[a - 1]
        losses.append(1.0 - F.cosine_similarity(context, patch, dim=0))
    if not losses:
        return hidden.sum() * 0.0
    return torch.stack(losses).mean()


class JEPA(nn.Module):
    """Context encoder + EMA target encoder + narrow predictor."""

    def __init__(self, encoder: Encoder, config: JEPAConfig | None = None) -> None:
        super().__init__()
        self.config = config or JEPAConfig()
        self.context_encoder = encoder
        self.target_encoder = copy.deepcopy(encoder)
        for p in self.target_encoder.parameters():
            p.requires_grad_(False)
        enc = encoder.config
        predictor_config = replace(
            enc,
            vocab_size=None,
            input_dim=enc.dim + self.config.hint_dim,
            dim=self.config.predictor_dim,
            depth=self.config.predictor_depth,
            heads=self.config.predictor_heads,
            seed=enc.seed + 7919,
        )
        self.predictor = Encoder(predictor_config)
        self.mask_vector = nn.Parameter(torch.zeros(enc.dim))
        nn.init.normal_(self.mask_vector, std=0.02)
        self.head = nn.Linear(self.config.predictor_dim, enc.dim)

    def train(self, mode: bool = True) -> JEPA:
        super().train(mode)
        self.target_encoder.eval()  # no dropout, no feature redraws in the target
        return self

    @torch.no_grad()
    def update_target(self, momentum: float) -> None:
        """target <- momentum * target + (1 - momentum) * context (parameters and buffers)."""
        for t, c in zip(self.target_encoder.parameters(), self.context_encoder.parameters(), strict=True):
            t.mul_(momentum).add_(c.detach(), alpha=1.0 - momentum)
        for t, c in zip(self.target_encoder.buffers(), self.context_encoder.buffers(), strict=True):
            t.copy_(c)

    def momentum(self, progress: float) -> float:
        """EMA momentum at training progress in [0, 1]: linear from ema_start to ema_end."""
        cfg = self.config
        return cfg.ema_start + (cfg.ema_end - cfg.ema_start) * min(max(progress, 0.0), 1.0)

    def forward(
        self,
        x: Tensor,
        target_mask: Tensor,
        padding_mask: Tensor | None = None,
        *,
        hints: Tensor | None = None,
        progress: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> JEPAOutput:
        """x: (B, N) ids or (B, N, F) features; target_mask: bool (B, N); padding_mask: bool (B, N);
        hints: (B, N, hint_dim) predictor hints; progress: fraction of training done."""
        enc = self.context_encoder
        if padding_mask is None:
            padding_mask = enc.padding_mask_of(x)
        if padding_mask is None:
            padding_mask = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
        target_mask = target_mask & ~padding_mask
        n = x.shape[1]
        with torch.no_grad():
            targets = self.target_encoder(x, padding_mask).states
            targets = F.layer_norm(targets, targets.shape[-1:])
        keep = ~padding_mask & ~target_mask
        xc, positions, padding_c = gather_positions(x, keep)
        use_span = self.config.jepa_lambda > 0 and progress >= self.config.jepa_start_frac
        context = enc(xc, padding_c, positions, return_hidden=use_span)
        full = scatter_positions(context.states, positions, padding_c, n)
        inputs = torch.where(target_mask.unsqueeze(-1), self.mask_vector.to(full.dtype), full)
        if self.config.hint_dim:
            if hints is None:
                raise ValueError("this JEPA was configured with hint_dim > 0: pass hints")
            inputs = torch.cat([inputs, hints.to(inputs.dtype)], dim=-1)
        predicted = self.head(
            self.predictor(inputs, padding_mask, torch.arange(n, device=x.device).expand(x.shape[0], -1)).states
        )
        pred, tgt = predicted[target_mask], targets[target_mask]
        if self.config.loss == "mse":
            elementwise = F.mse_loss(pred, tgt, reduction="none")
        else:
            elementwise = F.smooth_l1_loss(pred, tgt, reduction="none")
        # the mean over the target elements of every rank (under torchrun DDP averages the ranks'
        # gradients, so each rank's sum is weighted by world / global count: the 1-process loss)
        world = dist.get_world_size() if dist.is_initialized() else 1
        count = global_count(torch.tensor(float(elementwise.numel()), device=elementwise.device))
        latent = elementwise.sum() * world / count.clamp(min=1.0)
        loss = latent
        metrics = {"latent_loss": float(latent.detach())}
        if use_span:
            hidden = context.hidden[self.config.jepa_layer]
            span = span_jepa_loss(
                hidden,
                (~padding_c).sum(dim=1),
                self.config.jepa_max_span_frac,
                generator or torch.Generator().manual_seed(0),
            )
            loss = loss + self.config.jepa_lambda * span
            metrics["span_loss"] = float(span.detach())
        pooled = context.pooled
        if self.config.variance_weight or self.config.covariance_weight:
            variance, covariance = variance_covariance(pooled)
            loss = loss + self.config.variance_weight * variance + self.config.covariance_weight * covariance
            metrics["variance_loss"] = float(variance.detach())
            metrics["covariance_loss"] = float(covariance.detach())
        metrics["embedding_std"] = embedding_std(pooled)
        metrics["effective_rank"] = effective_rank(pooled)
        metrics["centered_rank"] = effective_rank(pooled - pooled.mean(dim=0))
        metrics["target_fraction"] = float(target_mask.sum() / (~padding_mask).sum().clamp_min(1))
        return JEPAOutput(loss, metrics, pooled)


def pretrain_jepa(
    model: JEPA,
    data: Sequence[Any],
    train: TrainConfig,
    forward: Callable[[nn.Module, Any, Tensor, StepInfo], JEPAOutput],
    *,
    collate: Callable[[list[Any]], Any],
    masker: Callable[[Any, torch.Generator], Tensor],
    out_dir: str | os.PathLike[str],
    checkpoint_config: dict[str, Any],
    vocab_json: str | None = None,
    resume: bool = False,
) -> Path:
    """The one JEPA pretraining entry point of every task: ``masker(batch, generator)`` draws the
    targets (bool (B, N)) of a whole collated batch, ``forward(model, batch, targets, info)`` runs the
    JEPA; the shared loop trains it and updates the EMA target after every step. Under ``torchrun``
    the targets are drawn over the whole step's batch with a generator shared by the ranks, before
    each rank keeps its rows, so N processes train what one process does with the same global batch.
    Returns the checkpoint directory (``out_dir/checkpoint``)."""

    def shard(batch: Any, info: StepInfo) -> tuple[Any, Tensor]:
        targets = masker(batch, info.shared if info.shared is not None else info.generator)
        return rows_of_rank((batch, targets), info.rank, info.world_size)

    def loss_fn(m: nn.Module, batch: tuple[Any, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
        out = forward(m, batch[0], batch[1], info)
        return out.loss, out.metrics

    fit(
        model,
        loss_fn,
        data,
        train,
        collate=collate,
        out_dir=out_dir,
        checkpoint_config=checkpoint_config,
        vocab_json=vocab_json,
        after_step=lambda m, i: m.update_target(m.momentum(i.progress)),
        resume=resume,
        shard=shard,
    )
    return Path(out_dir) / "checkpoint"


__all__ = [
    "JEPA",
    "EncoderConfig",
    "JEPAConfig",
    "JEPAOutput",
    "gather_positions",
    "pretrain_jepa",
    "variance_covariance",
]
