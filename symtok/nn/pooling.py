"""Pooling an Encoder's per-position states into one vector: the masked mean (``masked_mean`` in
symtok.nn.encoder) or class attention (CaiT, Touvron et al. 2021; ParT's class-attention blocks,
Qu et al. 2022): a learned class token attends over the states, the states never attend back, in
pre-norm blocks (attention, then MLP) over the class token only. Padding is never attended to, so
the result does not depend on how much padding a batch carries.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

#: pooling modes a task config may name
POOLING = ("mean", "class")


class ClassAttentionBlock(nn.Module):
    """cls <- cls + attn(norm(cls), norm([cls; states])); cls <- cls + mlp(norm(cls))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm_mlp = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, cls: Tensor, states: Tensor, padding_mask: Tensor | None) -> Tensor:
        """cls (B, 1, D), states (B, N, D), padding_mask (B, N) True = padding -> (B, 1, D)."""
        b, n, d = states.shape
        h, dh = self.heads, d // self.heads
        tokens = self.norm_kv(torch.cat([cls, states], dim=1))  # the class token attends to itself too
        q = self.q(self.norm_q(cls)).view(b, 1, h, dh).transpose(1, 2)  # (B, H, 1, dh)
        k, v = self.kv(tokens).view(b, n + 1, 2, h, dh).permute(2, 0, 3, 1, 4).unbind(0)  # (B, H, N+1, dh)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)  # (B, H, 1, N+1)
        if padding_mask is not None:
            hidden = torch.cat([torch.zeros_like(padding_mask[:, :1]), padding_mask], dim=1)
            scores = scores.masked_fill(hidden[:, None, None, :], torch.finfo(scores.dtype).min)
        y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, 1, d)
        cls = cls + self.out(y)
        return cls + self.mlp(self.norm_mlp(cls))


class ClassAttentionPool(nn.Module):
    """A learned class token through ``depth`` class-attention blocks over the states -> (B, D)."""

    def __init__(self, dim: int, heads: int, depth: int = 2) -> None:
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.blocks = nn.ModuleList(ClassAttentionBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(self, states: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        """states (B, N, D), padding_mask (B, N) True = padding -> (B, D)."""
        cls = self.cls.expand(states.shape[0], -1, -1).to(states.dtype)
        for block in self.blocks:
            cls = block(cls, states, padding_mask)
        return self.norm(cls).squeeze(1)


__all__ = ["POOLING", "ClassAttentionBlock", "ClassAttentionPool"]
