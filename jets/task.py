"""Jet tagging on the shared Encoder: a tagger (Encoder with continuous input + head), a Deep Sets /
particle-flow-network baseline, jet JEPA pretraining on subjet groups, and evaluation.

Attention, the encoder, JEPA and the training loop come from symtok.nn; only the task lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jets.features import FeatureConfig, JetBatch, pad_batch, prepare_jets
from jets.metrics import TaggingMetrics, tagging_metrics
from symtok.errors import SymtokError
from symtok.nn.encoder import Encoder, EncoderConfig, masked_mean
from symtok.nn.jepa import JEPA, JEPAConfig
from symtok.nn.masks import group_mask
from symtok.nn.train import StepInfo, TrainConfig, fit


@dataclass(frozen=True)
class TaggerConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggerConfig:
        """Inverse of dataclasses.asdict (as stored in checkpoints)."""
        data = dict(data)
        return cls(features=FeatureConfig(**data.pop("features")), **data)


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
    prepared = prepare_jets(jets, features, with_subjets=False)
    fit(
        model,
        tagging_loss,
        prepared,
        train,
        collate=lambda items: _tensors(pad_batch(items)),
        out_dir=out_dir,
        checkpoint_config=config or {"kind": "jet-model"},
    )
    return model


@torch.no_grad()
def scores(model: nn.Module, jets: list[Any], features: FeatureConfig, batch_size: int = 128) -> np.ndarray:
    """Signal probabilities of ``jets``."""
    model.eval()
    batches = _batches(jets, features, batch_size)
    return np.concatenate([torch.sigmoid(model(t["features"], t["padding"])).numpy() for t in batches])


def _batches(jets: list[Any], features: FeatureConfig, batch_size: int) -> Iterator[dict[str, Tensor]]:
    prepared = prepare_jets(jets, features, with_subjets=False)
    for start in range(0, len(prepared), batch_size):
        yield _tensors(pad_batch(prepared[start : start + batch_size]))


@torch.no_grad()
def embeddings(tagger: JetTagger, jets: list[Any], batch_size: int = 256) -> np.ndarray:
    """The encoder's pooled embeddings (B, dim) of ``jets``, frozen (no head)."""
    tagger.eval()
    batches = _batches(jets, tagger.config.features, batch_size)
    return np.concatenate([tagger.encoder(t["features"], t["padding"]).pooled.numpy() for t in batches])


def linear_probe(tagger: JetTagger, train: list[Any], test: list[Any]) -> float:
    """Test AUC of a logistic regression on the frozen, standardised pooled embeddings: the usual
    measure of what self-supervised pretraining put into the representation (no fine-tuning)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    z_train, z_test = embeddings(tagger, train), embeddings(tagger, test)
    y_train = np.array([int(j.label) for j in train])
    y_test = np.array([int(j.label) for j in test])
    if len(set(y_train.tolist())) < 2 or len(set(y_test.tolist())) < 2:
        raise SymtokError("a linear probe needs jets of both labels in its training and test sets")
    scaler = StandardScaler().fit(z_train)
    clf = LogisticRegression(max_iter=2000).fit(scaler.transform(z_train), y_train)
    return float(roc_auc_score(y_test, clf.predict_proba(scaler.transform(z_test))[:, 1]))


def evaluate(model: nn.Module, jets: list[Any], features: FeatureConfig) -> TaggingMetrics:
    return tagging_metrics(np.array([int(j.label) for j in jets]), scores(model, jets, features))


def jet_jepa_config(config: TaggerConfig) -> JEPAConfig:
    """The jet JEPA's defaults: a predictor half as wide as the encoder, subjet axes as hints."""
    return JEPAConfig(predictor_dim=max(16, config.dim // 2), predictor_depth=1, hint_dim=2)


def pretrain_jepa(
    jets: list[Any],
    config: TaggerConfig,
    train: TrainConfig,
    out_dir: str | Path,
    *,
    jepa: JEPAConfig | None = None,
    target_frac: float = 0.3,
) -> Path:
    """Jet JEPA: whole subjets are the targets; the predictor gets the subjet axes (eta, phi) as hints."""
    jepa = jepa or jet_jepa_config(config)
    if jepa.hint_dim != 2:
        raise SymtokError("the jet JEPA's predictor hints are the subjet axes: hint_dim must be 2")
    model = JEPA(Encoder(config.encoder()), jepa)

    prepared = prepare_jets(jets, config.features, with_subjets=True)
    if any(int(p.groups.max(initial=-1)) < 0 for p in prepared):
        raise SymtokError("jet JEPA pretraining needs jets prepared with their subjets (with_subjets=True)")

    def loss_fn(m: nn.Module, batch: dict[str, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
        target = group_mask(batch["groups"], target_frac=target_frac, generator=info.generator)
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
        prepared,
        train,
        collate=lambda items: _tensors(pad_batch(items)),
        out_dir=out_dir,
        checkpoint_config={"kind": "jet-jepa", "tagger": asdict(config), "jepa": asdict(jepa)},
        after_step=lambda m, i: m.update_target(m.momentum(i.progress)),
    )
    return Path(out_dir) / "checkpoint"


def pretrained_config(checkpoint_dir: str | Path) -> TaggerConfig:
    """The TaggerConfig a jet-JEPA checkpoint was pretrained with (a tagger must match it to load it)."""
    from symtok.nn.checkpoint import load_checkpoint_of_kind

    return TaggerConfig.from_dict(
        load_checkpoint_of_kind(checkpoint_dir, "jet-jepa", "a jet JEPA checkpoint").config["tagger"]
    )


def load_pretrained(tagger: JetTagger, checkpoint_dir: str | Path) -> None:
    """Copy a jet-JEPA context encoder into a tagger."""
    from symtok.nn.checkpoint import load_context_encoder

    load_context_encoder(tagger.encoder, checkpoint_dir, "jet-jepa")


__all__ = [
    "DeepSets",
    "JetTagger",
    "TaggerConfig",
    "embeddings",
    "evaluate",
    "jet_jepa_config",
    "linear_probe",
    "masked_mean",
    "pretrain_jepa",
    "pretrained_config",
    "train_classifier",
]


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
    model = JetTagger(TaggerConfig.from_dict(ckpt.config["tagger"]))
    load_weights(model, ckpt)
    model.eval()
    model.encoder.fix_features()
    return model
