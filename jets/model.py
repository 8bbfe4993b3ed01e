"""Jet taggers: the shared Encoder with continuous input + a head (``JetTagger``), the Deep Sets /
particle-flow-network baseline, their config, and the tagger's checkpoint kind. Attention, the
encoder and checkpoints come from symtok.nn; only the task lives here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from torch import Tensor, nn

from jets.features import FeatureConfig
from symtok.config import Config, ConfigError
from symtok.nn.checkpoint import load_model, register_model, save_checkpoint
from symtok.nn.encoder import Attention, Encoder, EncoderConfig
from symtok.nn.pooling import POOLING, ClassAttentionPool


@dataclass(frozen=True)
class TaggerConfig(Config):
    features: FeatureConfig = field(default_factory=FeatureConfig)
    dim: int = 64
    depth: int = 2
    heads: int = 4
    attention: Attention = "fast"
    nb_features: int = 32
    pooling: Literal["mean", "class"] = "mean"  # mean over constituents, or class attention (CaiT / ParT)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pooling not in POOLING:
            raise ConfigError(f"pooling must be one of {', '.join(POOLING)}; got {self.pooling!r}")

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
        self.pool = ClassAttentionPool(config.dim, config.heads) if config.pooling == "class" else None
        self.head = nn.Sequential(nn.Linear(config.dim, config.dim), nn.GELU(), nn.Linear(config.dim, 1))

    def forward(self, features: Tensor, padding: Tensor) -> Tensor:
        """features (B, N, F), padding (B, N) True = padding -> (B,) logits."""
        out = self.encoder(features, padding)
        pooled = out.pooled if self.pool is None else self.pool(out.states, padding)
        return self.head(pooled).squeeze(-1)


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


KIND = "jet-tagger"


def _build(config: dict[str, Any]) -> JetTagger:
    return JetTagger(TaggerConfig.from_dict(config["tagger"]))


register_model(KIND, "a jet tagger", _build)


def save_tagger(model: JetTagger, directory: str | Path, metrics: dict[str, Any] | None = None) -> Path:
    """A loadable tagger checkpoint (config.json with the TaggerConfig, model.safetensors, metrics.json)."""
    model.encoder.fix_features()
    return save_checkpoint(directory, model, {"kind": KIND, "tagger": asdict(model.config)}, metrics=metrics or {})


def load_tagger(directory: str | Path) -> JetTagger:
    """A tagger from save_tagger (or a training run's checkpoint/ written with the tagger's config)."""
    model, _ = load_model(directory, KIND)
    return model  # type: ignore[return-value]
