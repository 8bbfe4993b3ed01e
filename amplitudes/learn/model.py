"""The regression surrogate: the shared Encoder on amplitude tokens + a kinematics embedding + a
head predicting the standardised log10 |M|^2; its scaling, batches, loss, checkpoint kind and batched
prediction. Attention, the encoder and checkpoints come from symtok.nn."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from amplitudes.learn.dataset import Example
from amplitudes.learn.features import KIN_FEATURES, LEGACY_KIN_FEATURES, check_features
from symtok.config import Config
from symtok.errors import SymtokError
from symtok.nn.checkpoint import CheckpointError, load_model, register_model
from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.infer import batched, to_model
from symtok.nn.train import StepInfo, global_count
from symtok.vocab import Vocab

KIND = "amplitude-regressor"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegressorConfig(Config):
    """Model shape; the encoder part is an EncoderConfig."""

    encoder: EncoderConfig = field(
        default_factory=lambda: EncoderConfig(dim=64, depth=2, heads=4, nb_features=64, dropout=0.0)
    )
    kin_features: tuple[str, ...] = KIN_FEATURES  # amplitudes.learn.features names them
    hidden: int = 128

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "kin_features", check_features(self.kin_features))

    @property
    def kin_dim(self) -> int:
        return len(self.kin_features)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegressorConfig:
        """Strict, and reads the config of a model trained before ``kin_features`` (``kin_dim`` 8)."""
        if isinstance(data, dict) and "kin_dim" in data and "kin_features" not in data:
            if data["kin_dim"] != len(LEGACY_KIN_FEATURES):
                raise SymtokError(f"kin_dim {data['kin_dim']!r} names no known feature set; retrain the model")
            data = {**{k: v for k, v in data.items() if k != "kin_dim"}, "kin_features": list(LEGACY_KIN_FEATURES)}
        return super().from_dict(data)


@dataclass(frozen=True)
class Standardizer:
    """Target and kinematic-feature scaling fitted on the training split."""

    target_mean: float
    target_std: float
    kin_mean: tuple[float, ...]
    kin_std: tuple[float, ...]

    @classmethod
    def fit(cls, examples: list[Example]) -> Standardizer:
        t = np.concatenate([e.target[[s == "train" for s in e.split]] for e in examples])
        k = np.concatenate([e.kin[[s == "train" for s in e.split]] for e in examples])
        return cls(
            float(t.mean()),
            float(t.std() or 1.0),
            tuple(map(float, k.mean(0))),
            tuple(float(x or 1.0) for x in k.std(0)),
        )

    def kin(self, kin: np.ndarray) -> np.ndarray:
        return ((kin - np.array(self.kin_mean)) / np.array(self.kin_std)).astype(np.float32)


class AmplitudeRegressor(nn.Module):
    """Encoder(tokens).pooled ⊕ MLP(kinematics) → MLP → standardised log10 |M|^2 for each point."""

    def __init__(self, config: RegressorConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.encoder.dim
        self.encoder = Encoder(config.encoder)
        self.kinematics = nn.Sequential(nn.Linear(config.kin_dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.head = nn.Sequential(
            nn.Linear(2 * dim, config.hidden),
            nn.GELU(),
            nn.Linear(config.hidden, config.hidden),
            nn.GELU(),
            nn.Linear(config.hidden, 1),
        )

    def forward(self, tokens: Tensor, kin: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        """tokens: (B, N) ids; kin: (B, K, kin_dim) standardised features -> (B, K)."""
        pooled = self.encoder(tokens, padding_mask).pooled
        k = self.kinematics(kin)
        h = torch.cat([pooled.unsqueeze(1).expand(-1, k.shape[1], -1), k], dim=-1)
        return self.head(h).squeeze(-1)


# ------------------------------------------------------------------------------------ batches


@dataclass
class Batch:
    tokens: Tensor  # (B, N)
    kin: Tensor  # (B, K, F)
    target: Tensor  # (B, K) standardised
    mask: Tensor  # (B, K) True where a point belongs to the batch's split


def make_items(
    examples: list[Example], split: str, scale: Standardizer
) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
    """(tokens, standardised kin, standardised targets) of the points of one split, per row."""
    items = []
    for e in examples:
        keep = np.array([s == split for s in e.split])
        if keep.any():
            items.append(
                (
                    e.tokens,
                    scale.kin(e.kin[keep]),
                    ((e.target[keep] - scale.target_mean) / scale.target_std).astype(np.float32),
                )
            )
    return items


def collate(items: list[tuple[list[int], np.ndarray, np.ndarray]]) -> Batch:
    n = max(len(t) for t, _, _ in items)
    k = max(len(y) for _, _, y in items)
    tokens = torch.zeros(len(items), n, dtype=torch.long)
    kin = torch.zeros(len(items), k, items[0][1].shape[1])
    target = torch.zeros(len(items), k)
    mask = torch.zeros(len(items), k, dtype=torch.bool)
    for b, (t, x, y) in enumerate(items):
        tokens[b, : len(t)] = torch.tensor(t)
        kin[b, : len(y)] = torch.from_numpy(x)
        target[b, : len(y)] = torch.from_numpy(y)
        mask[b, : len(y)] = True
    return Batch(tokens, kin, target, mask)


def regression_loss(model: nn.Module, batch: Batch, info: StepInfo) -> tuple[Tensor, dict[str, float]]:
    pred = model(batch.tokens, batch.kin)
    summed = F.mse_loss(pred[batch.mask], batch.target[batch.mask], reduction="sum")
    # the mean over every rank's points (torchrun): DDP's gradient average is then the global mean
    loss = summed * info.world_size / global_count(batch.mask.sum()).clamp(min=1)
    return loss, {"mse": float(loss.detach()) / info.world_size}


def _build(config: dict[str, Any]) -> AmplitudeRegressor:
    return AmplitudeRegressor(RegressorConfig.from_dict(config["regressor"]))


register_model(KIND, "an amplitude regressor", _build)


def load_regressor(directory: str | Path) -> tuple[AmplitudeRegressor, Standardizer, Vocab, dict[str, Any]]:
    """A trained regressor from its checkpoint directory (model/ or model/checkpoint/)."""
    model, ckpt = load_model(directory, KIND)
    vocab = Vocab.load(ckpt.path / "vocab.json") if (ckpt.path / "vocab.json").exists() else Vocab.default()
    try:
        scale = Standardizer(**ckpt.config["scale"])
    except (KeyError, TypeError) as err:
        raise CheckpointError(f"{ckpt.path / 'config.json'} has no valid target scaling: {err}") from None
    return model, scale, vocab, ckpt.metrics  # type: ignore[return-value]


# ------------------------------------------------------------------------------- prediction


def predict_log10(
    model: AmplitudeRegressor, scale: Standardizer, tokens: list[list[int]], kin: list[np.ndarray], batch_size: int = 64
) -> list[np.ndarray]:
    """log10 |M|^2 predictions for each row's points (kin: one (K_row, F) array of raw features per row)."""

    def run(m: nn.Module, rows: list[tuple[list[int], np.ndarray]]) -> list[np.ndarray]:
        items = [(t, scale.kin(k), np.zeros(len(k), dtype=np.float32)) for t, k in rows]
        batch = collate(items)
        out = m(to_model(m, batch.tokens), to_model(m, batch.kin))
        pred = out.detach().float().cpu().numpy() * scale.target_std + scale.target_mean
        return [pred[b, : len(items[b][2])] for b in range(len(items))]

    return batched(model, list(zip(tokens, kin, strict=True)), run, batch_size=batch_size)


def relative_errors(pred_log10: np.ndarray, true_log10: np.ndarray) -> np.ndarray:
    """|M^2_pred / M^2_true - 1| from log10 values."""
    return np.abs(np.power(10.0, pred_log10 - true_log10) - 1.0)


def with_attention(config: RegressorConfig, attention: str) -> RegressorConfig:
    return replace(config, encoder=replace(config.encoder, attention=attention))


__all__ = [
    "KIND",
    "AmplitudeRegressor",
    "RegressorConfig",
    "Standardizer",
    "collate",
    "load_regressor",
    "make_items",
    "predict_log10",
    "regression_loss",
    "relative_errors",
    "with_attention",
]
