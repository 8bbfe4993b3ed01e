"""Attention backends with one interface: ``forward(q, k, v, key_padding_mask=None)``.

q, k, v: (B, H, N, D); key_padding_mask: bool (B, N), True marks padding (PyTorch's convention).

FastAttention is Performer's FAVOR+ (Choromanski et al., "Rethinking Attention with Performers",
ICLR 2021): softmax(q k^T / sqrt(D)) is approximated by phi(q) phi(k)^T with positive orthogonal
random features phi(x) = exp(w x - |x|^2 / 2) / sqrt(M), giving O(N M D) time and memory.
Unlike performer-pytorch, padded keys are removed from both the key-value sum and the
normaliser (their features are zeroed and they are excluded from the stabilising maximum), so
outputs at real positions do not change when padding is added.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def orthogonal_gaussian_matrix(rows: int, cols: int, generator: torch.Generator | None = None) -> Tensor:
    """(rows, cols) random features: blocks of orthogonal rows (QR of Gaussian blocks) whose norms
    are redrawn from the chi distribution of Gaussian rows, as FAVOR+ prescribes."""
    blocks = []
    for _ in range(math.ceil(rows / cols)):
        gaussian = torch.randn(cols, cols, generator=generator)
        q, _ = torch.linalg.qr(gaussian)
        blocks.append(q.T)
    matrix = torch.cat(blocks)[:rows]
    norms = torch.randn(rows, cols, generator=generator).norm(dim=1)
    return norms[:, None] * matrix


def favor_features(
    x: Tensor,
    projection: Tensor,
    *,
    is_query: bool,
    key_padding_mask: Tensor | None = None,
    eps: float = 1e-4,
    causal: bool = False,
) -> Tensor:
    """Positive random features of x: (B, H, N, D) -> (B, H, N, M), shifted for stability.

    Queries subtract their own row maximum. Keys subtract one shift shared by every key, so it
    is a common factor of numerator and normaliser and cancels: the maximum over the real keys,
    or, when ``causal``, the data-independent bound max_m |w_m|^2 / 2 (w.x - |x|^2/2 <= |w|^2/2,
    so nothing overflows), with eps scaled alike, so future keys cannot influence past outputs.
    Padded keys get zero features.
    """
    d = x.shape[-1]
    m = projection.shape[0]
    normalizer = d**-0.25
    # one matmul with the scale folded into the (small) projection; the shifts, the |x|^2/2 term and
    # the 1/sqrt(M) factor (as -log sqrt(M) in the exponent) are applied in place before one exp
    projected = x @ (projection * normalizer).T
    half_norm = (x * x).sum(dim=-1, keepdim=True) * (normalizer**2 / 2)
    floor = eps
    with torch.no_grad():
        if is_query:
            shift = projected.amax(dim=-1, keepdim=True)
        elif causal:
            bound = float((projection * projection).sum(dim=-1).amax() / 2)
            shift = torch.tensor(bound, dtype=x.dtype, device=x.device)
            floor = eps * math.exp(-bound)
        else:
            masked = projected
            if key_padding_mask is not None:
                masked = projected.masked_fill(key_padding_mask[:, None, :, None], float("-inf"))
            shift = masked.amax(dim=(-1, -2), keepdim=True)
        offset = half_norm.detach() + (shift + 0.5 * math.log(m)) if not half_norm.requires_grad else None
    if offset is None:  # training: |x|^2/2 must stay in the graph
        features = (projected - half_norm).sub_(shift + 0.5 * math.log(m)).exp_()
    else:
        features = projected.sub_(offset).exp_()
    if features.requires_grad:
        features = features + floor * m**-0.5
    else:
        features.add_(floor * m**-0.5)
    if key_padding_mask is not None and not is_query:
        features = features.masked_fill(key_padding_mask[:, None, :, None], 0.0)
    return features


def linear_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Non-causal: D^-1 Q'(K'^T V) with D = Q'(K'^T 1). q, k: (B, H, N, M); v: (B, H, N, D).

    A column of ones appended to V makes one matmul give both numerator and normaliser."""
    ones = v.new_ones((*v.shape[:-1], 1))
    kv = k.transpose(-1, -2) @ torch.cat([v, ones], dim=-1)
    out = q @ kv
    return out[..., :-1] / out[..., -1:]


def causal_linear_attention(q: Tensor, k: Tensor, v: Tensor, chunk_size: int = 128) -> Tensor:
    """Causal prefix-sum attention in chunks: memory O(N M + C^2 + M D), linear in N.

    Within a chunk the C x C causal scores are formed explicitly; earlier chunks enter through
    the running sums S = sum k^T v and z = sum k.
    """
    b, h, n, m = q.shape
    state = q.new_zeros(b, h, m, v.shape[-1])
    key_sum = q.new_zeros(b, h, m)
    outputs = []
    for start in range(0, n, chunk_size):
        qc, kc, vc = (t[:, :, start : start + chunk_size] for t in (q, k, v))
        scores = torch.einsum("bhim,bhjm->bhij", qc, kc).tril()
        numerator = scores @ vc + qc @ state
        normaliser = scores.sum(dim=-1) + torch.einsum("bhim,bhm->bhi", qc, key_sum)
        outputs.append(numerator / normaliser.unsqueeze(-1))
        state = state + kc.transpose(-1, -2) @ vc
        key_sum = key_sum + kc.sum(dim=-2)
    return torch.cat(outputs, dim=2)


class FastAttention(nn.Module):
    """FAVOR+ attention. Features live in the ``projection`` buffer (saved with the model, so an
    exported graph is deterministic); they are redrawn only in training mode, every
    ``feature_redraw_interval`` calls, or explicitly with :meth:`redraw_features`."""

    def __init__(
        self,
        dim_heads: int,
        nb_features: int | None = None,
        *,
        causal: bool = False,
        feature_redraw_interval: int | None = 1000,
        chunk_size: int = 128,
        eps: float = 1e-4,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.dim_heads = dim_heads
        self.nb_features = nb_features or max(1, int(dim_heads * math.log(dim_heads)))
        self.causal = causal
        self.feature_redraw_interval = feature_redraw_interval
        self.chunk_size = chunk_size
        self.eps = eps
        self.seed = seed
        self.register_buffer("projection", self._draw(0), persistent=True)
        self.register_buffer("redraws", torch.zeros((), dtype=torch.long), persistent=True)
        # training calls so far: a buffer, so a resumed run redraws on the same schedule
        self.register_buffer("calls", torch.zeros((), dtype=torch.long), persistent=True)

    def _draw(self, count: int) -> Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + count)
        return orthogonal_gaussian_matrix(self.nb_features, self.dim_heads, generator)

    @torch.no_grad()
    def redraw_features(self) -> None:
        """Draw new random features (deterministic in seed and redraw count, so DDP ranks agree)."""
        self.redraws += 1
        self.projection.copy_(self._draw(int(self.redraws)).to(self.projection))

    def fix_features(self) -> None:
        """Never redraw again (for evaluation, export and fine-tuning with frozen features)."""
        self.feature_redraw_interval = None

    @torch.compiler.disable  # data-dependent bookkeeping: run eagerly, outside any compiled graph
    def _count_call(self) -> None:
        """Count a training call; redraw the features every ``feature_redraw_interval`` calls."""
        calls = int(self.calls)
        if calls and calls % self.feature_redraw_interval == 0:
            self.redraw_features()
        self.calls += 1

    def forward(self, q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """q, k, v: (B, H, N, D); key_padding_mask: bool (B, N), True = padding. Returns (B, H, N, D)."""
        if self.training and self.feature_redraw_interval:
            self._count_call()
        if q.dtype != torch.float32:
            # bf16/fp16 (autocast): exp() of the random features and the normaliser's sums overflow or
            # lose all precision there, so FAVOR+ runs in fp32 and hands back the caller's dtype
            with torch.autocast(device_type=q.device.type, enabled=False):
                return self._attend(q.float(), k.float(), v.float(), key_padding_mask).to(q.dtype)
        return self._attend(q, k, v, key_padding_mask)

    def _attend(self, q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor | None) -> Tensor:
        projection = self.projection.to(q.dtype)
        qf = favor_features(q, projection, is_query=True, eps=self.eps)
        kf = favor_features(
            k, projection, is_query=False, key_padding_mask=key_padding_mask, eps=self.eps, causal=self.causal
        )
        if self.causal:
            return causal_linear_attention(qf, kf, v, self.chunk_size)
        return linear_attention(qf, kf, v)


class SoftmaxAttention(nn.Module):
    """Exact attention over ``scaled_dot_product_attention``, same interface as FastAttention."""

    def __init__(self, dim_heads: int, *, causal: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.dim_heads = dim_heads
        self.causal = causal
        self.dropout = dropout

    def forward(self, q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """q, k, v: (B, H, N, D); key_padding_mask: bool (B, N), True = padding. Returns (B, H, N, D)."""
        mask = None
        if key_padding_mask is not None:
            mask = ~key_padding_mask[:, None, None, :]
        if self.causal:
            n = q.shape[-2]
            causal = torch.ones(n, n, dtype=torch.bool, device=q.device).tril()
            mask = causal if mask is None else mask & causal
        dropout = self.dropout if self.training else 0.0
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
