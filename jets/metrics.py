"""Tagging metrics (accuracy, AUC, background rejection at fixed signal efficiency, ROC) and the
classic-observable baseline (multiplicity, width, mass, pT^D with gradient boosting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TaggingMetrics:
    accuracy: float
    auc: float
    rejection_at_50: float  # 1 / eps_B at eps_S = 0.5
    rejection_at_30: float  # 1 / eps_B at eps_S = 0.3


def background_rejection(labels: np.ndarray, scores: np.ndarray, signal_efficiency: float) -> float:
    """1 / eps_B at the threshold that keeps ``signal_efficiency`` of the signal (label 1)."""
    signal = np.sort(scores[labels == 1])[::-1]
    cut = signal[max(0, int(np.ceil(signal_efficiency * len(signal))) - 1)]
    background = scores[labels == 0]
    eps_b = np.mean(background >= cut)
    return float(np.inf) if eps_b == 0 else float(1.0 / eps_b)


def tagging_metrics(labels: np.ndarray, scores: np.ndarray) -> TaggingMetrics:
    """Scores are signal probabilities (or any monotone score; accuracy thresholds at 0.5)."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    return TaggingMetrics(
        accuracy=float(np.mean((scores >= 0.5) == (labels == 1))),
        auc=float(roc_auc_score(labels, scores)),
        rejection_at_50=background_rejection(labels, scores, 0.5),
        rejection_at_30=background_rejection(labels, scores, 0.3),
    )


OBSERVABLES = ("multiplicity", "width", "mass", "ptd")


def classic_observables(jet: Any) -> np.ndarray:
    """Constituent multiplicity, width (pT-weighted Delta R), jet mass and pT^D = sqrt(sum pT^2)/sum pT."""
    pt, eta, phi = (np.asarray(getattr(jet, k), dtype=np.float64) for k in ("pt", "eta", "phi"))
    dphi = (phi - jet.jet_phi + np.pi) % (2 * np.pi) - np.pi
    dr = np.hypot(eta - jet.jet_eta, dphi)
    return np.array(
        [len(pt), float(np.sum(pt * dr) / np.sum(pt)), float(jet.jet_m), float(np.sqrt(np.sum(pt**2)) / np.sum(pt))]
    )


def observable_baseline(train: list[Any], test: list[Any], seed: int = 0) -> tuple[TaggingMetrics, np.ndarray]:
    """Gradient boosting on the classic observables: metrics on ``test`` and its scores."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x_train = np.stack([classic_observables(j) for j in train])
    y_train = np.array([int(j.label) for j in train])
    x_test = np.stack([classic_observables(j) for j in test])
    y_test = np.array([int(j.label) for j in test])
    model = HistGradientBoostingClassifier(max_iter=200, random_state=seed).fit(x_train, y_train)
    scores = model.predict_proba(x_test)[:, 1]
    return tagging_metrics(y_test, scores), scores


def roc_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str) -> None:
    """Background rejection vs signal efficiency for each named (labels, scores)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    from symtok.files import atomic_path

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for name, (labels, scores) in curves.items():
        fpr, tpr, _ = roc_curve(labels, scores)
        keep = fpr > 0
        ax.plot(tpr[keep], 1.0 / fpr[keep], label=name)
    ax.set_yscale("log")
    ax.set_xlabel("signal efficiency")
    ax.set_ylabel("background rejection 1/eps_B")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
