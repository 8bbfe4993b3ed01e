"""The one Encoder: token ids or continuous features in, per-position states and a pooled vector out.

Pre-norm transformer blocks over a selectable attention backend (``fast`` = FAVOR+,
``softmax`` = exact). Amplitude models, jet models, the JEPA predictor and ONNX export all use
this class; tasks add heads, they never copy it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, get_args

import torch
from torch import Tensor, nn

from symtok.config import Config, ConfigError
from symtok.nn.attention import FastAttention, SoftmaxAttention

Attention = Literal["fast", "softmax"]
Positional = Literal["sinusoidal", "learned", "none"]
ATTENTION: tuple[str, ...] = get_args(Attention)
POSITIONAL: tuple[str, ...] = get_args(Positional)


@dataclass(frozen=True)
class EncoderConfig(Config):
    """Encoder hyper-parameters. Exactly one of ``vocab_size`` (token ids) and ``input_dim``
    (continuous features) is set."""

    vocab_size: int | None = 734
    input_dim: int | None = None
    dim: int = 128
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 4.0
    dropout: float = 0.1
    attention: Attention = "fast"
    nb_features: int | None = None
    feature_redraw_interval: int | None = 1000
    causal: bool = False
    positional: Positional = "sinusoidal"
    max_len: int = 4096  # only for learned positions
    pad_id: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.vocab_size is None) == (self.input_dim is None):
            raise ConfigError("set exactly one of vocab_size (tokens) and input_dim (continuous features)")
        if self.dim <= 0 or self.heads <= 0 or self.depth < 0:
            raise ConfigError(f"dim, heads must be positive and depth >= 0; got {self.dim}, {self.heads}, {self.depth}")
        if self.dim % self.heads:
            raise ConfigError(f"dim {self.dim} is not divisible by heads {self.heads}")

    @property
    def dim_head(self) -> int:
        return self.dim // self.heads


@dataclass
class EncoderOutput:
    """states: (B, N, dim); pooled: (B, dim) mean over real positions; hidden: per-block states if asked."""

    states: Tensor
    pooled: Tensor
    padding_mask: Tensor | None
    hidden: list[Tensor] = field(default_factory=list)


def sinusoidal_positions(positions: Tensor, dim: int) -> Tensor:
    """(..., N) integer positions -> (..., N, dim) sinusoidal encodings (Vaswani et al. 2017)."""
    half = dim // 2
    freq = torch.exp(torch.arange(half, device=positions.device, dtype=torch.float32) * (-math.log(10000.0) / half))
    angles = positions.to(torch.float32).unsqueeze(-1) * freq
    enc = torch.cat([angles.sin(), angles.cos()], dim=-1)
    if dim % 2:
        enc = torch.nn.functional.pad(enc, (0, 1))
    return enc


class MultiHeadAttention(nn.Module):
    """Projections to heads around one attention backend."""

    def __init__(self, cfg: EncoderConfig, layer: int) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)
        if cfg.attention == "fast":
            self.attention: nn.Module = FastAttention(
                cfg.dim_head,
                cfg.nb_features,
                causal=cfg.causal,
                feature_redraw_interval=cfg.feature_redraw_interval,
                seed=cfg.seed * 1009 + layer,
            )
        else:
            self.attention = SoftmaxAttention(cfg.dim_head, causal=cfg.causal, dropout=0.0)

    def forward(self, x: Tensor, padding_mask: Tensor | None) -> Tensor:
        """x: (B, N, dim) -> (B, N, dim)."""
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        y = self.attention(q, k, v, key_padding_mask=padding_mask)
        return self.out(y.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, cfg: EncoderConfig, layer: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.attn = MultiHeadAttention(cfg, layer)
        self.norm2 = nn.LayerNorm(cfg.dim)
        hidden = int(cfg.dim * cfg.mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(cfg.dim, hidden), nn.GELU(), nn.Linear(hidden, cfg.dim))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, padding_mask: Tensor | None) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x), padding_mask))
        return x + self.drop(self.mlp(self.norm2(x)))


class Encoder(nn.Module):
    """Token embedding or linear input projection, positions, pre-norm blocks, final norm."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        if config.vocab_size is not None:
            self.embed: nn.Module = nn.Embedding(config.vocab_size, config.dim, padding_idx=config.pad_id)
        else:
            self.embed = nn.Linear(config.input_dim, config.dim)
        if config.positional == "learned":
            self.position = nn.Embedding(config.max_len, config.dim)
        self.blocks = nn.ModuleList(Block(config, layer) for layer in range(config.depth))
        self.norm = nn.LayerNorm(config.dim)
        self.drop = nn.Dropout(config.dropout)

    def padding_mask_of(self, x: Tensor) -> Tensor | None:
        """Padding mask implied by token ids (pad_id); None for continuous input."""
        return x == self.config.pad_id if self.config.vocab_size is not None else None

    def embed_inputs(self, x: Tensor, positions: Tensor | None = None) -> Tensor:
        """x: (B, N) ids or (B, N, input_dim) features -> (B, N, dim) with positional information."""
        h = self.embed(x)
        if self.config.positional == "none":
            return h
        if positions is None:
            positions = torch.arange(h.shape[1], device=h.device).expand(h.shape[0], -1)
        if self.config.positional == "learned":
            return h + self.position(positions)
        return h + sinusoidal_positions(positions, self.config.dim).to(h.dtype)

    def forward(
        self,
        x: Tensor,
        padding_mask: Tensor | None = None,
        positions: Tensor | None = None,
        *,
        return_hidden: bool = False,
    ) -> EncoderOutput:
        """x: (B, N) ids or (B, N, F) features; padding_mask: bool (B, N), True = padding;
        positions: (B, N) integer positions (default 0..N-1; JEPA passes the original ones)."""
        if padding_mask is None:
            padding_mask = self.padding_mask_of(x)
        h = self.drop(self.embed_inputs(x, positions))
        hidden = []
        for block in self.blocks:
            h = block(h, padding_mask)
            if return_hidden:
                hidden.append(h)
        states = self.norm(h)
        return EncoderOutput(states, masked_mean(states, padding_mask), padding_mask, hidden)

    def fix_features(self) -> None:
        """Freeze FAVOR+ features in every block (evaluation, export)."""
        for module in self.modules():
            if isinstance(module, FastAttention):
                module.fix_features()


def masked_mean(states: Tensor, padding_mask: Tensor | None) -> Tensor:
    """Mean over real positions: states (B, N, D), padding_mask (B, N) True = padding -> (B, D)."""
    if padding_mask is None:
        return states.mean(dim=1)
    keep = (~padding_mask).unsqueeze(-1).to(states.dtype)
    return (states * keep).sum(dim=1) / keep.sum(dim=1).clamp_min(1.0)
