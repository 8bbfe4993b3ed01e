"""Jet tagging on the shared Encoder: a tagger (Encoder with continuous input + head), a Deep Sets /
particle-flow-network baseline, jet JEPA pretraining on subjet groups, and evaluation.

Attention, the encoder, JEPA and the training loop come from symtok.nn; only the task lives here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jets.features import FeatureConfig, JetBatch, make_batch
from jets.metrics import TaggingMetrics, tagging_metrics
from symtok.errors import SymtokError
from symtok.nn.encoder import Encoder, EncoderConfig, masked_mean
from symtok.nn.jepa import JEPA, JEPAConfig
from symtok.nn.masks import group_mask
from symtok.nn.train import StepInfo, TrainConfig, fit


@dataclass(frozen=True)
class TaggerConfig:
    features: FeatureConfig = field(default_factory=lambda: FeatureConfig(max_constituents=64))
    dim: int = 64
    depth: int = 2
    heads: int = 4
    attention: str = "fast"
    nb_features: int = 32

    def encoder(self) -> EncoderConfig:
        return EncoderConfig(
            vocab_size=None,
            input_dim=len(self.features.names),
            dim=self.dim,
            depth=self.depth,
            heads=self.heads,
            attention=self.attention,
            nb_features=self.nb_features,
            dropout=0.0,
            positional="none",
        )


class JetTagger(nn.Module):
    """Encoder(constituents).pooled -> MLP -> logit of the signal (label 1)."""

    def __init__(self, config: TaggerConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.encoder())
        self.head = nn.Sequential(nn.Linear(config.dim, config.dim), nn.GELU(), nn.Linear(config.dim, 1))

    def forward(self, features: Tensor, padding: Tensor) -> Tensor:
        """features (B, N, F), padding (B, N) True = padding -> (B,) logits."""
        return self.head(self.encoder(features, padding).pooled).squeeze(-1)


class DeepSets(nn.Module):
    """Particle-flow network (Komiske et al.): F(sum_i Phi(p_i)) over real constituents."""

    def __init__(self, input_dim: int, latent: int = 64) -> None:
        super().__init__()
        self.phi = nn.Sequential(
            nn.Linear(input_dim, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, latent)
        )
        self.f = nn.Sequential(nn.Linear(latent, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 1))

    def forward(self, features: Tensor, padding: Tensor) -> Tensor:
        latent = self.phi(features) * (~padding).unsqueeze(-1)
        return self.f(latent.sum(dim=1)).squeeze(-1)


def _tensors(batch: JetBatch) -> dict[str, Tensor]:
    return {
        "features": torch.from_numpy(batch.features),
        "padding": torch.from_numpy(batch.padding),
        "groups": torch.from_numpy(batch.groups),
        "hints": torch.from_numpy(batch.hints),
        "labels": torch.from_numpy(batch.labels).float(),
    }


def tagging_loss(model: nn.Module, batch: dict[str, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
    logits = model(batch["features"], batch["padding"])
    loss = F.binary_cross_entropy_with_logits(logits, batch["labels"])
    return loss, {"bce": float(loss.detach())}


def train_classifier(
    model: nn.Module,
    jets: list[Any],
    features: FeatureConfig,
    train: TrainConfig,
    out_dir: str | Path | None = None,
    config: dict | None = None,
) -> nn.Module:
    """Fit any (features, padding) -> logit model on labelled jets with the shared loop."""
    if len({int(j.label) for j in jets}) < 2:
        raise SymtokError("training needs jets of both labels")
    fit(
        model,
        tagging_loss,
        jets,
        train,
        collate=lambda items: _tensors(make_batch(items, features, with_subjets=False)),
        out_dir=out_dir,
        checkpoint_config=config or {"kind": "jet-model"},
    )
    return model


@torch.no_grad()
def scores(model: nn.Module, jets: list[Any], features: FeatureConfig, batch_size: int = 128) -> np.ndarray:
    """Signal probabilities of ``jets``."""
    model.eval()
    out = []
    for start in range(0, len(jets), batch_size):
        t = _tensors(make_batch(jets[start : start + batch_size], features, with_subjets=False))
        out.append(torch.sigmoid(model(t["features"], t["padding"])).numpy())
    return np.concatenate(out)


def evaluate(model: nn.Module, jets: list[Any], features: FeatureConfig) -> TaggingMetrics:
    return tagging_metrics(np.array([int(j.label) for j in jets]), scores(model, jets, features))


def pretrain_jepa(jets: list[Any], config: TaggerConfig, train: TrainConfig, out_dir: str | Path) -> Path:
    """Jet JEPA: whole subjets are the targets; the predictor gets the subjet axes (eta, phi) as hints."""
    model = JEPA(
        Encoder(config.encoder()), JEPAConfig(predictor_dim=max(16, config.dim // 2), predictor_depth=1, hint_dim=2)
    )

    def loss_fn(m: nn.Module, batch: dict[str, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
        target = group_mask(batch["groups"], target_frac=0.3, generator=info.generator)
        out = m(
            batch["features"],
            target,
            batch["padding"],
            hints=batch["hints"],
            progress=info.progress,
            generator=info.generator,
        )
        return out.loss, out.metrics

    fit(
        model,
        loss_fn,
        jets,
        train,
        collate=lambda items: _tensors(make_batch(items, config.features)),
        out_dir=out_dir,
        checkpoint_config={"kind": "jet-jepa", "tagger": asdict(config)},
        after_step=lambda m, i: m.update_target(m.momentum(i.progress)),
    )
    return Path(out_dir) / "checkpoint"


def load_pretrained(tagger: JetTagger, checkpoint_dir: str | Path) -> None:
    """Copy a jet-JEPA context encoder into a tagger."""
    from symtok.nn.checkpoint import load_context_encoder

    load_context_encoder(tagger.encoder, checkpoint_dir, "jet-jepa")


__all__ = ["DeepSets", "JetTagger", "TaggerConfig", "evaluate", "masked_mean", "pretrain_jepa", "train_classifier"]


KIND = "jet-tagger"


def save_tagger(model: JetTagger, directory: str | Path, metrics: dict[str, Any] | None = None) -> Path:
    """A loadable tagger checkpoint (config.json with the TaggerConfig, model.safetensors, metrics.json)."""
    from symtok.nn.checkpoint import save_checkpoint

    model.encoder.fix_features()
    return save_checkpoint(directory, model, {"kind": KIND, "tagger": asdict(model.config)}, metrics=metrics or {})


def load_tagger(directory: str | Path) -> JetTagger:
    """A tagger from save_tagger (or a training run's checkpoint/ written with the tagger's config)."""
    from symtok.nn.checkpoint import load_checkpoint_of_kind, load_weights

    ckpt = load_checkpoint_of_kind(directory, KIND, "a jet tagger")
    data = dict(ckpt.config["tagger"])
    config = TaggerConfig(features=FeatureConfig(**data.pop("features")), **data)
    model = JetTagger(config)
    load_weights(model, ckpt)
    model.eval()
    model.encoder.fix_features()
    return model
