"""Training jet models: the tagging loss and classifier fit on the shared loop, jet JEPA pretraining
on whole subjets (the shared ``pretrain_jepa`` entry), and fine-tuning a tagger (from scratch or from
a JEPA checkpoint) on a labelled fraction of the jets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jets.evaluate import evaluate, tensors
from jets.features import FeatureConfig, pad_batch, prepare_jets
from jets.io import sample_labelled, split
from jets.metrics import TaggingMetrics
from jets.model import JetTagger, TaggerConfig, save_tagger
from symtok.errors import SymtokError
from symtok.nn.checkpoint import load_checkpoint_of_kind, load_context_encoder
from symtok.nn.encoder import Encoder
from symtok.nn.jepa import JEPA, JEPAConfig, JEPAOutput
from symtok.nn.jepa import pretrain_jepa as pretrain_shared_jepa
from symtok.nn.masks import group_mask
from symtok.nn.train import StepInfo, TrainConfig, fit, is_main_process

PRETRAINED_KIND = "jet-jepa"


def tagging_loss(model: nn.Module, batch: dict[str, Tensor], info: StepInfo) -> tuple[Tensor, dict[str, float]]:
    """Binary cross-entropy of the model's logits against the jets' labels."""
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
        collate=lambda items: tensors(pad_batch(items)),
        out_dir=out_dir,
        checkpoint_config=config or {"kind": "jet-model"},
    )
    return model


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
    torch.manual_seed(train.seed)  # the initial weights too: every process (torchrun rank) builds the same model
    model = JEPA(Encoder(config.encoder()), jepa)

    prepared = prepare_jets(jets, config.features, with_subjets=True)
    if any(int(p.groups.max(initial=-1)) < 0 for p in prepared):
        raise SymtokError("jet JEPA pretraining needs jets prepared with their subjets (with_subjets=True)")

    def masker(batch: dict[str, Tensor], generator: torch.Generator) -> Tensor:
        return group_mask(batch["groups"], target_frac=target_frac, generator=generator)

    def forward(m: nn.Module, batch: dict[str, Tensor], target: Tensor, info: StepInfo) -> JEPAOutput:
        return m(
            batch["features"],
            target,
            batch["padding"],
            hints=batch["hints"],
            progress=info.progress,
            generator=info.generator,
        )

    return pretrain_shared_jepa(
        model,
        prepared,
        train,
        forward,
        collate=lambda items: tensors(pad_batch(items)),
        masker=masker,
        out_dir=out_dir,
        checkpoint_config={"kind": PRETRAINED_KIND, "tagger": asdict(config), "jepa": asdict(jepa)},
    )


def pretrained_config(checkpoint_dir: str | Path) -> TaggerConfig:
    """The TaggerConfig a jet-JEPA checkpoint was pretrained with (a tagger must match it to load it)."""
    return TaggerConfig.from_dict(
        load_checkpoint_of_kind(checkpoint_dir, PRETRAINED_KIND, "a jet JEPA checkpoint").config["tagger"]
    )


def load_pretrained(tagger: JetTagger, checkpoint_dir: str | Path) -> None:
    """Copy a jet-JEPA context encoder into a tagger."""
    load_context_encoder(tagger.encoder, checkpoint_dir, PRETRAINED_KIND)


def recipe(
    steps: int, batch_size: int, lr: float, seed: int = 0, *, records: int = 10, progress: bool = False
) -> TrainConfig:
    """The TrainConfig of every jet training (tagger fine-tuning, jet JEPA): 5% warm-up, ``records`` logged records."""
    return TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        warmup_steps=max(1, steps // 20),
        log_every=max(1, steps // records),
        seed=seed,
        progress=progress,
    )


@dataclass(frozen=True)
class FinetuneResult:
    """Where the tagger went and how it did on the held-out jets."""

    output: Path
    metrics: TaggingMetrics
    train_jets: int
    test_jets: int


def finetune_tagger(
    jets: list[Any],
    output: str | Path,
    *,
    label_fraction: float = 1.0,
    steps: int = 600,
    attention: str | None = None,
    pid: bool = False,
    max_constituents: int = 128,
    pretrained: str | Path | None = None,
    seed: int = 0,
    pooling: str = "mean",
) -> FinetuneResult:
    """Train the Encoder tagger on a seeded fraction of the 75% training split (from a jet JEPA
    checkpoint when given: the tagger then takes its configuration) and test it on the rest."""
    train, test = split(jets, 0.25, 0)
    train = sample_labelled(train, label_fraction, seed)
    if pretrained is not None:
        config = replace(pretrained_config(pretrained), pooling=pooling)  # the pooling is the tagger's own
        if attention not in (None, config.attention) or (pid and not config.features.use_pid):
            raise SymtokError(
                f"{pretrained} was pretrained with attention={config.attention}, pid={config.features.use_pid}: "
                "fine-tune with the same settings"
            )
    else:
        config = TaggerConfig(
            features=FeatureConfig(max_constituents=max_constituents, use_pid=pid),
            attention=attention or "fast",
            pooling=pooling,
        )
    torch.manual_seed(seed)  # the initial weights too: the same command gives the same tagger
    model = JetTagger(config)
    if pretrained is not None:
        load_pretrained(model, pretrained)
    train_classifier(model, train, config.features, recipe(steps, min(64, len(train)), 2e-3, seed))
    metrics = evaluate(model, test, config.features)
    if is_main_process():  # under torchrun rank 0 alone writes
        save_tagger(
            model, output, {"test": asdict(metrics), "train_jets": len(train), "test_jets": len(test), "steps": steps}
        )
    return FinetuneResult(Path(output), metrics, len(train), len(test))


def probe_pretrained(jets: list[Any], pretrained: str | Path, n_jets: int = 5000) -> tuple[float, float]:
    """Linear-probe AUC of frozen pooled embeddings: (random init, JEPA-pretrained), same architecture,
    up to ``n_jets`` training and test jets each."""
    from jets.evaluate import linear_probe

    train, test = split(jets, 0.25, 0)
    train, test = train[:n_jets], test[:n_jets]
    config = pretrained_config(pretrained)
    torch.manual_seed(0)
    random_init = JetTagger(config)
    torch.manual_seed(0)
    tagger = JetTagger(config)
    load_pretrained(tagger, pretrained)
    return linear_probe(random_init, train, test), linear_probe(tagger, train, test)


def pretrain_file(
    jets: list[Any],
    output: str | Path,
    *,
    steps: int = 200,
    lr: float = 1e-3,
    pid: bool = False,
    max_constituents: int = 128,
    seed: int = 0,
    progress: bool = True,
) -> tuple[int, Path]:
    """Jet JEPA on the 75% training split of ``jets`` (labels unused); returns (jets, checkpoint)."""
    train, _ = split(jets, 0.25, 0)
    config = TaggerConfig(features=FeatureConfig(max_constituents=max_constituents, use_pid=pid))
    ckpt = pretrain_jepa(
        train, config, recipe(steps, min(64, len(train)), lr, seed, records=20, progress=progress), output
    )
    return len(train), ckpt
