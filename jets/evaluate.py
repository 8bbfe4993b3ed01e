"""Evaluating jet models: batched scores (PyTorch or an exported ONNX graph), frozen embeddings, the
linear probe, and tagging metrics of a model on a set of jets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from jets.features import FeatureConfig, JetBatch, make_batch, pad_batch, prepare_jets
from jets.metrics import TaggingMetrics, tagging_metrics
from jets.model import JetTagger, load_tagger
from symtok.errors import SymtokError
from symtok.nn.infer import batched, to_model


def tensors(batch: JetBatch) -> dict[str, Tensor]:
    """A padded batch as the tensors the models and the JEPA take."""
    return {
        "features": torch.from_numpy(batch.features),
        "padding": torch.from_numpy(batch.padding),
        "groups": torch.from_numpy(batch.groups),
        "hints": torch.from_numpy(batch.hints),
        "labels": torch.from_numpy(batch.labels).float(),
    }


def scores(model: nn.Module, jets: list[Any], features: FeatureConfig, batch_size: int = 128) -> np.ndarray:
    """Signal probabilities of ``jets`` (any (features, padding) -> logit model)."""

    def run(m: nn.Module, items: list[Any]) -> Tensor:
        t = tensors(pad_batch(items))
        return torch.sigmoid(m(to_model(m, t["features"]), to_model(m, t["padding"])).float())

    prepared = prepare_jets(jets, features, with_subjets=False)
    return np.asarray(batched(model, prepared, run, batch_size=batch_size))


def embeddings(tagger: JetTagger, jets: list[Any], batch_size: int = 256) -> np.ndarray:
    """The encoder's pooled embeddings (B, dim) of ``jets``, frozen (no head)."""

    def run(m: nn.Module, items: list[Any]) -> Tensor:
        t = tensors(pad_batch(items))
        return m.encoder(to_model(m, t["features"]), to_model(m, t["padding"])).pooled

    prepared = prepare_jets(jets, tagger.config.features, with_subjets=False)
    return np.asarray(batched(tagger, prepared, run, batch_size=batch_size))


def linear_probe_scores(tagger: JetTagger, train: list[Any], test: list[Any]) -> np.ndarray:
    """Signal probabilities of ``test`` from a logistic regression fitted on ``train``'s frozen,
    standardised pooled embeddings (no fine-tuning)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    z_train, z_test = embeddings(tagger, train), embeddings(tagger, test)
    y_train = np.array([int(j.label) for j in train])
    y_test = np.array([int(j.label) for j in test])
    if len(set(y_train.tolist())) < 2 or len(set(y_test.tolist())) < 2:
        raise SymtokError("a linear probe needs jets of both labels in its training and test sets")
    scaler = StandardScaler().fit(z_train)
    clf = LogisticRegression(max_iter=2000).fit(scaler.transform(z_train), y_train)
    return clf.predict_proba(scaler.transform(z_test))[:, 1]


def linear_probe(tagger: JetTagger, train: list[Any], test: list[Any]) -> float:
    """Test AUC of the linear probe (``linear_probe_scores``): the usual measure of what
    self-supervised pretraining put into the representation."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels_of(test), linear_probe_scores(tagger, train, test)))


def evaluate(model: nn.Module, jets: list[Any], features: FeatureConfig) -> TaggingMetrics:
    return tagging_metrics(labels_of(jets), scores(model, jets, features))


def labels_of(jets: list[Any]) -> np.ndarray:
    """The jets' labels (1 = signal) as an int array."""
    return np.array([int(j.label) for j in jets])


def onnx_scores(model_dir: str | Path, jets: list[Any]) -> np.ndarray:
    """Signal probabilities from the exported ``model.onnx`` beside a tagger (onnxruntime)."""
    from symtok.onnx_runtime import OnnxModel

    path = Path(model_dir) / "model.onnx"
    if not path.exists():
        raise SymtokError(f"no {path}; export it with `symtok export onnx --model {model_dir} -o {path}`")
    session = OnnxModel(path)
    features = load_tagger(model_dir).config.features
    batch = make_batch(jets, features, with_subjets=False)
    return session.run({"features": batch.features, "mask": (~batch.padding).astype(np.int64)})[0]


def evaluate_file(model_dir: str | Path, jets: list[Any], backend: str = "torch") -> TaggingMetrics:
    """Tagging metrics of a saved tagger on every jet given, through PyTorch or onnxruntime."""
    if backend == "onnx":
        probs = onnx_scores(model_dir, jets)
    elif backend == "torch":
        tagger = load_tagger(model_dir)
        probs = scores(tagger, jets, tagger.config.features)
    else:
        raise SymtokError(f"backend must be torch or onnx; got {backend!r}")
    return tagging_metrics(labels_of(jets), probs)
