"""Squared-amplitude regression: the shared Encoder on amplitude tokens + a kinematics embedding +
a head predicting the standardised log10 |M|^2; JEPA pretraining; fine-tuning; checkpoints.

Only task code lives here: attention, the encoder, JEPA and the training loop come from symtok.nn.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from amplitudes.dataset import KIN_FEATURES, AmplitudeDataset, Example
from symtok.errors import SymtokError
from symtok.nn.checkpoint import (
    load_checkpoint_of_kind,
    load_context_encoder,
    load_weights,
)
from symtok.nn.encoder import Encoder, EncoderConfig
from symtok.nn.jepa import JEPA, JEPAConfig
from symtok.nn.masks import subtree_mask
from symtok.nn.train import StepInfo, TrainConfig, fit
from symtok.prefix import subtree_ends
from symtok.vocab import Vocab

KIND = "amplitude-regressor"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegressorConfig:
    """Model shape; the encoder part is an EncoderConfig."""

    encoder: EncoderConfig = field(
        default_factory=lambda: EncoderConfig(dim=64, depth=2, heads=4, nb_features=64, dropout=0.0)
    )
    kin_dim: int = len(KIN_FEATURES)
    hidden: int = 128


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
    loss = F.mse_loss(pred[batch.mask], batch.target[batch.mask])
    return loss, {"mse": float(loss.detach())}


# ------------------------------------------------------------------------------ pretraining


def pretrain(
    sequences: list[list[int]],
    out_dir: str | Path,
    encoder_config: EncoderConfig,
    train: TrainConfig,
    jepa: JEPAConfig | None = None,
    vocab: Vocab | None = None,
) -> Path:
    """JEPA pretraining of an Encoder on token sequences (subtree masking); writes a checkpoint."""
    vocab = vocab or Vocab.default()
    model = JEPA(
        Encoder(encoder_config), jepa or JEPAConfig(predictor_dim=max(16, encoder_config.dim // 2), predictor_depth=1)
    )
    ends = {id(s): subtree_ends(vocab.decode(s)) for s in sequences}
    data = [(torch.tensor(s), ends[id(s)]) for s in sequences]

    def collate_seq(items: list[tuple[Tensor, list[int]]]) -> tuple[Tensor, list[list[int]]]:
        return nn.utils.rnn.pad_sequence([t for t, _ in items], batch_first=True), [e for _, e in items]

    def loss_fn(m: nn.Module, batch: tuple[Tensor, list[list[int]]], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
        tokens, subtree = batch
        mask = subtree_mask(subtree, tokens.shape[1], target_frac=0.3, generator=info.generator)
        out = m(tokens, mask, progress=info.progress, generator=info.generator)
        return out.loss, out.metrics

    config = {"kind": "jepa-encoder", "encoder": asdict(encoder_config), "jepa": asdict(model.config)}
    fit(
        model,
        loss_fn,
        data,
        train,
        collate=collate_seq,
        out_dir=out_dir,
        checkpoint_config=config,
        vocab_json=vocab.to_json(),
        after_step=lambda m, i: m.update_target(m.momentum(i.progress)),
    )
    return Path(out_dir) / "checkpoint"


def load_pretrained_encoder(model: AmplitudeRegressor, checkpoint_dir: str | Path) -> None:
    """Copy the context encoder of a JEPA checkpoint into the regressor's encoder."""
    load_context_encoder(model.encoder, checkpoint_dir, "jepa-encoder")


# ------------------------------------------------------------------------------ fine-tuning


def finetune(
    dataset: AmplitudeDataset,
    out_dir: str | Path,
    config: RegressorConfig,
    train: TrainConfig,
    *,
    pretrained: str | Path | None = None,
    label_fraction: float = 1.0,
    vocab: Vocab | None = None,
) -> tuple[AmplitudeRegressor, Standardizer]:
    """Train the regressor on the train split (a seeded fraction of its rows); writes a checkpoint."""
    vocab = vocab or Vocab.default()
    torch.manual_seed(train.seed)
    scale = Standardizer.fit(dataset.examples)
    items = make_items(dataset.examples, "train", scale)
    if label_fraction < 1.0:
        order = torch.randperm(len(items), generator=torch.Generator().manual_seed(train.seed + 17)).tolist()
        items = [items[i] for i in order[: max(train.batch_size, round(label_fraction * len(items)))]]
    if not items:
        raise SymtokError("the training split is empty: nothing to fine-tune on")
    if len(items) < train.batch_size:
        log.warning("only %d training rows: batch size lowered from %d", len(items), train.batch_size)
        train = replace(train, batch_size=len(items))
    model = AmplitudeRegressor(config)
    if pretrained is not None:
        load_pretrained_encoder(model, pretrained)
    checkpoint = {
        "kind": KIND,
        "regressor": asdict(config),
        "scale": asdict(scale),
        "label_fraction": label_fraction,
        "pretrained": str(pretrained) if pretrained else None,
        "dataset": asdict(dataset.config),
    }
    fit(
        model,
        regression_loss,
        items,
        train,
        collate=collate,
        out_dir=out_dir,
        checkpoint_config=checkpoint,
        vocab_json=vocab.to_json(),
    )
    return model, scale


def load_regressor(directory: str | Path) -> tuple[AmplitudeRegressor, Standardizer, Vocab, dict[str, Any]]:
    """A trained regressor from its checkpoint directory (model/ or model/checkpoint/)."""
    ckpt = load_checkpoint_of_kind(directory, KIND, "an amplitude regressor")
    path = ckpt.path
    reg = dict(ckpt.config["regressor"])
    config = RegressorConfig(encoder=EncoderConfig(**reg.pop("encoder")), **reg)
    model = AmplitudeRegressor(config)
    load_weights(model, ckpt)
    model.eval()
    model.encoder.fix_features()
    vocab = Vocab.load(path / "vocab.json") if (path / "vocab.json").exists() else Vocab.default()
    return model, Standardizer(**ckpt.config["scale"]), vocab, ckpt.metrics


# ------------------------------------------------------------------------------- prediction


@torch.no_grad()
def predict_log10(
    model: AmplitudeRegressor, scale: Standardizer, tokens: list[list[int]], kin: list[np.ndarray], batch_size: int = 64
) -> list[np.ndarray]:
    """log10 |M|^2 predictions for each row's points."""
    out = []
    model.eval()
    for start in range(0, len(tokens), batch_size):
        items = [
            (t, scale.kin(k), np.zeros(len(k), dtype=np.float32))
            for t, k in zip(tokens[start : start + batch_size], kin[start : start + batch_size], strict=True)
        ]
        batch = collate(items)
        pred = model(batch.tokens, batch.kin).numpy() * scale.target_std + scale.target_mean
        out.extend(pred[b, : len(items[b][2])] for b in range(len(items)))
    return out


def relative_errors(pred_log10: np.ndarray, true_log10: np.ndarray) -> np.ndarray:
    """|M^2_pred / M^2_true - 1| from log10 values."""
    return np.abs(np.power(10.0, pred_log10 - true_log10) - 1.0)


def with_attention(config: RegressorConfig, attention: str) -> RegressorConfig:
    return replace(config, encoder=replace(config.encoder, attention=attention))


def json_dump(path: Path, data: Any) -> None:
    from symtok.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=1, default=float) + "\n")


__all__ = [
    "AmplitudeRegressor",
    "RegressorConfig",
    "Standardizer",
    "finetune",
    "load_regressor",
    "math",
    "predict_log10",
    "pretrain",
]
