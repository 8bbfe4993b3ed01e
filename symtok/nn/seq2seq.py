"""Encoder–decoder on the shared Encoder: token sequence in, token sequence out.

The encoder is :class:`~symtok.nn.encoder.Encoder`; the decoder stacks pre-norm blocks of the same
shape with causal self-attention and cross-attention to the encoder states. One vocabulary and one
embedding serve both sides and the output projection (tied weights). Attention is FAVOR+ or
softmax by config on both sides.

Incremental decoding (:meth:`Seq2Seq.start`, :meth:`Seq2Seq.step`) costs O(1) per token in the
sequence length for FAVOR+ (its causal form is a recurrence over a (features x dim) state) and
O(t) for softmax (a key/value cache). Both give the same outputs as the full forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from symtok.config import Config, ConfigError
from symtok.nn.attention import FastAttention, SoftmaxAttention, favor_features
from symtok.nn.encoder import Attention, Encoder, EncoderConfig, sinusoidal_positions


@dataclass(frozen=True)
class Seq2SeqConfig(Config):
    """Encoder–decoder hyper-parameters; the defaults suit squared amplitudes on a CPU."""

    vocab_size: int = 734
    dim: int = 192
    encoder_depth: int = 3
    decoder_depth: int = 3
    heads: int = 6
    mlp_ratio: float = 4.0
    dropout: float = 0.1
    attention: Attention = "softmax"
    nb_features: int | None = None
    max_source_len: int = 1024
    max_target_len: int = 1024
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dim % self.heads:
            raise ConfigError(f"dim {self.dim} is not divisible by heads {self.heads}")
        if min(self.vocab_size, self.dim, self.heads, self.max_source_len, self.max_target_len) <= 0:
            raise ConfigError("vocab_size, dim, heads and the maximum lengths must be positive")
        if self.encoder_depth < 1 or self.decoder_depth < 1:
            raise ConfigError("encoder_depth and decoder_depth must be at least 1")

    def encoder_config(self) -> EncoderConfig:
        return EncoderConfig(
            vocab_size=self.vocab_size,
            dim=self.dim,
            depth=self.encoder_depth,
            heads=self.heads,
            mlp_ratio=self.mlp_ratio,
            dropout=self.dropout,
            attention=self.attention,
            nb_features=self.nb_features,
            pad_id=self.pad_id,
            seed=self.seed,
        )


class _Heads(nn.Module):
    """An attention backend behind head projections; queries and keys/values may differ (cross)."""

    def __init__(self, cfg: Seq2SeqConfig, *, causal: bool, seed: int) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.causal = causal
        self.q = nn.Linear(cfg.dim, cfg.dim)
        self.kv = nn.Linear(cfg.dim, 2 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)
        dim_head = cfg.dim // cfg.heads
        if cfg.attention == "fast":
            self.attention: nn.Module = FastAttention(dim_head, cfg.nb_features, causal=causal, seed=seed)
        else:
            self.attention = SoftmaxAttention(dim_head, causal=causal)

    def split(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        return x.view(b, n, self.heads, d // self.heads).transpose(1, 2)

    def merge(self, y: Tensor) -> Tensor:
        b, h, n, d = y.shape
        return self.out(y.transpose(1, 2).reshape(b, n, h * d))

    def keys_values(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        k, v = self.kv(memory).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def forward(self, x: Tensor, memory: Tensor, key_padding_mask: Tensor | None) -> Tensor:
        k, v = self.keys_values(memory)
        return self.merge(self.attention(self.split(self.q(x)), k, v, key_padding_mask=key_padding_mask))


class DecoderBlock(nn.Module):
    """Pre-norm block: causal self-attention, cross-attention, MLP, each with a residual."""

    def __init__(self, cfg: Seq2SeqConfig, layer: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.self_attn = _Heads(cfg, causal=True, seed=cfg.seed * 1009 + 500 + 2 * layer)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.cross_attn = _Heads(cfg, causal=False, seed=cfg.seed * 1009 + 501 + 2 * layer)
        self.norm3 = nn.LayerNorm(cfg.dim)
        hidden = int(cfg.dim * cfg.mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(cfg.dim, hidden), nn.GELU(), nn.Linear(hidden, cfg.dim))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, memory: Tensor, memory_padding: Tensor | None) -> Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.self_attn(h, h, None))
        x = x + self.drop(self.cross_attn(self.norm2(x), memory, memory_padding))
        return x + self.drop(self.mlp(self.norm3(x)))


@dataclass
class DecodeCache:
    """Per-layer state of incremental decoding for a batch of sequences (reorderable for beams)."""

    memory_padding: Tensor | None
    cross: list[tuple[Tensor, Tensor]]  # per layer: encoder keys and values (B, H, S, D)
    self_state: list[list[Tensor]]  # per layer: softmax [keys, values] or FAVOR+ [kv_sum, key_sum]
    position: int | Tensor = 0

    def select(self, index: Tensor, *, cross: bool = True) -> DecodeCache:
        """The cache of the sequences ``index`` (beam search duplicates rows, then reorders them).
        ``cross=False`` keeps the encoder side as it is: right when ``index`` only permutes rows
        that share a source (the beams of one source)."""

        def pick(t: Tensor) -> Tensor:
            return t.index_select(0, index)

        return DecodeCache(
            self.memory_padding if not cross or self.memory_padding is None else pick(self.memory_padding),
            [(pick(k), pick(v)) for k, v in self.cross] if cross else self.cross,
            [[pick(t) for t in state] for state in self.self_state],
            self.position,
        )


class Seq2Seq(nn.Module):
    """Shared Encoder + causal decoder with cross-attention, tied embeddings and output layer."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.encoder_config())
        self.blocks = nn.ModuleList(DecoderBlock(config, layer) for layer in range(config.decoder_depth))
        self.norm = nn.LayerNorm(config.dim)
        self.drop = nn.Dropout(config.dropout)

    @property
    def embedding(self) -> nn.Embedding:
        return self.encoder.embed

    def encode(self, source: Tensor) -> tuple[Tensor, Tensor]:
        """source ids (B, S) -> encoder states (B, S, dim) and its padding mask (True = padding)."""
        out = self.encoder(source)
        return out.states, out.padding_mask

    def _embed_target(self, target: Tensor, start: int | Tensor = 0) -> Tensor:
        """start: the position of the first token (an int, or a 0-d tensor in an exported step graph)."""
        positions = (torch.arange(target.shape[1], device=target.device) + start).expand(target.shape[0], -1)
        h = self.embedding(target)  # as the encoder embeds its input: no scaling
        return h + sinusoidal_positions(positions, self.config.dim).to(h.dtype)

    def logits(self, h: Tensor) -> Tensor:
        """Output scores with the tied embedding, scaled by dim^-1/2 (as T5) so they start near uniform."""
        return (self.norm(h) @ self.embedding.weight.T) * self.config.dim**-0.5

    def forward(self, source: Tensor, target_in: Tensor) -> Tensor:
        """Teacher forcing: source (B, S), target_in (B, T) starting with <bos> -> logits (B, T, V)."""
        memory, padding = self.encode(source)
        h = self.drop(self._embed_target(target_in))
        for block in self.blocks:
            h = block(h, memory, padding)
        return self.logits(h)

    def loss(self, source: Tensor, target: Tensor, label_smoothing: float = 0.0) -> tuple[Tensor, Tensor]:
        """Cross-entropy of ``target`` (B, T: tokens then <eos>, padded) given ``source``; returns
        (mean loss per real token, token accuracy)."""
        bos = torch.full_like(target[:, :1], self.config.bos_id)
        logits = self(source, torch.cat([bos, target[:, :-1]], dim=1))
        real = target != self.config.pad_id
        loss = F.cross_entropy(logits[real], target[real], label_smoothing=label_smoothing)
        accuracy = (logits[real].argmax(-1) == target[real]).float().mean()
        return loss, accuracy

    # ------------------------------------------------------------------ incremental decoding

    @torch.no_grad()
    def start(self, source: Tensor) -> DecodeCache:
        """Encode ``source`` and set up the per-layer decoding state."""
        memory, padding = self.encode(source)
        cross = [block.cross_attn.keys_values(memory) for block in self.blocks]
        b = source.shape[0]
        state: list[list[Tensor]] = []
        for block in self.blocks:
            attn = block.self_attn
            dim_head = self.config.dim // self.config.heads
            if isinstance(attn.attention, FastAttention):
                m = attn.attention.nb_features
                state.append([memory.new_zeros(b, attn.heads, m, dim_head), memory.new_zeros(b, attn.heads, m)])
            else:
                state.append(
                    [memory.new_zeros(b, attn.heads, 0, dim_head), memory.new_zeros(b, attn.heads, 0, dim_head)]
                )
        return DecodeCache(padding, cross, state)

    @torch.no_grad()
    def step(self, token: Tensor, cache: DecodeCache) -> tuple[Tensor, DecodeCache]:
        """One decoding step: token ids (B,) at position cache.position -> logits (B, V), new cache."""
        h = self._embed_target(token[:, None], cache.position)
        new_state = []
        for block, (k_mem, v_mem), state in zip(self.blocks, cache.cross, cache.self_state, strict=True):
            x = block.norm1(h)
            attn = block.self_attn
            q = attn.split(attn.q(x))
            k, v = attn.keys_values(x)
            y, state = _self_step(attn.attention, q, k, v, state)
            h = h + attn.merge(y)
            cq = block.cross_attn.split(block.cross_attn.q(block.norm2(h)))
            h = h + block.cross_attn.merge(
                block.cross_attn.attention(cq, k_mem, v_mem, key_padding_mask=cache.memory_padding)
            )
            h = h + block.mlp(block.norm3(h))
            new_state.append(state)
        cache = DecodeCache(cache.memory_padding, cache.cross, new_state, cache.position + 1)
        return self.logits(h)[:, 0], cache

    def fix_features(self) -> None:
        for module in self.modules():
            if isinstance(module, FastAttention):
                module.fix_features()


def _self_step(
    attention: nn.Module, q: Tensor, k: Tensor, v: Tensor, state: list[Tensor]
) -> tuple[Tensor, list[Tensor]]:
    """Causal self-attention of one new position given the running state; q, k, v: (B, H, 1, D)."""
    if isinstance(attention, FastAttention):
        projection = attention.projection.to(q.dtype)
        qf = favor_features(q, projection, is_query=True, eps=attention.eps)
        kf = favor_features(k, projection, is_query=False, eps=attention.eps, causal=True)
        kv_sum = state[0] + kf.transpose(-1, -2) @ v
        key_sum = state[1] + kf[:, :, 0]
        numerator = qf @ kv_sum
        normaliser = torch.einsum("bhim,bhm->bhi", qf, key_sum)
        return numerator / normaliser.unsqueeze(-1), [kv_sum, key_sum]
    keys = torch.cat([state[0], k], dim=2)
    values = torch.cat([state[1], v], dim=2)
    return F.scaled_dot_product_attention(q, keys, values), [keys, values]


def config_of(data: dict[str, Any]) -> Seq2SeqConfig:
    """Seq2SeqConfig from a checkpoint's ``model`` section (strict)."""
    return Seq2SeqConfig.from_dict(data)
