"""Evaluation of squared-amplitude regressors: metrics per split and per process, plots, and a
non-neural baseline (gradient boosting on token counts + kinematics) in the same run."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from amplitudes.learn.dataset import SPLITS, AmplitudeDataset
from amplitudes.learn.model import AmplitudeRegressor, Standardizer, predict_log10, relative_errors
from symtok.files import atomic_path, write_json


@dataclass
class SplitMetrics:
    points: int
    mse_standardised: float
    median_rel_error: float
    p90_rel_error: float


@dataclass
class Evaluation:
    """Metrics of one predictor on every split, and per held-out process."""

    name: str
    splits: dict[str, SplitMetrics] = field(default_factory=dict)
    per_process: dict[str, dict[str, float]] = field(default_factory=dict)


def split_arrays(
    dataset: AmplitudeDataset, split: str
) -> tuple[list[list[int]], list[np.ndarray], list[np.ndarray], list[str]]:
    tokens, kin, target, proc = [], [], [], []
    for e in dataset.examples:
        keep = np.array([s == split for s in e.split])
        if keep.any():
            tokens.append(e.tokens)
            kin.append(e.kin[keep])
            target.append(e.target[keep])
            proc.append(e.process)
    return tokens, kin, target, proc


def metrics(
    name: str, predictions: dict[str, list[np.ndarray]], dataset: AmplitudeDataset, scale: Standardizer
) -> Evaluation:
    out = Evaluation(name)
    for split in SPLITS:
        _, _, target, proc = split_arrays(dataset, split)
        if not target:
            continue
        pred = np.concatenate(predictions[split])
        true = np.concatenate(target)
        err = relative_errors(pred, true)
        mse = float(np.mean(((pred - true) / scale.target_std) ** 2))
        out.splits[split] = SplitMetrics(len(true), mse, float(np.median(err)), float(np.percentile(err, 90)))
        if split == "test_processes":
            by: dict[str, list[float]] = defaultdict(list)
            for p, t, q in zip(proc, target, predictions[split], strict=True):
                by[p].extend(relative_errors(q, t).tolist())
            out.per_process = {
                p: {"points": len(v), "median_rel_error": float(np.median(v))} for p, v in sorted(by.items())
            }
    return out


def evaluate_model(
    name: str, model: AmplitudeRegressor, scale: Standardizer, dataset: AmplitudeDataset
) -> tuple[Evaluation, dict[str, list[np.ndarray]]]:
    preds = {}
    for split in SPLITS:
        tokens, kin, _, _ = split_arrays(dataset, split)
        preds[split] = predict_log10(model, scale, tokens, kin) if tokens else []
    return metrics(name, preds, dataset, scale), preds


def token_count_features(tokens: list[int], kin: np.ndarray, vocab_size: int) -> np.ndarray:
    counts = np.bincount(np.asarray(tokens), minlength=vocab_size).astype(np.float32)
    return np.hstack([np.repeat(counts[None, :], len(kin), axis=0), kin])


def gradient_boosting_baseline(
    dataset: AmplitudeDataset, scale: Standardizer, vocab_size: int, seed: int = 0
) -> Evaluation:
    """HistGradientBoosting on bag-of-token counts + kinematic features, trained on the train split."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    tokens, kin, target, _ = split_arrays(dataset, "train")
    x = np.vstack([token_count_features(t, k, vocab_size) for t, k in zip(tokens, kin, strict=True)])
    y = np.concatenate(target)
    model = HistGradientBoostingRegressor(max_iter=400, learning_rate=0.1, random_state=seed).fit(x, y)
    preds = {}
    for split in SPLITS:
        tokens, kin, _, _ = split_arrays(dataset, split)
        preds[split] = [model.predict(token_count_features(t, k, vocab_size)) for t, k in zip(tokens, kin, strict=True)]
    return metrics("gradient boosting (token counts + kinematics)", preds, dataset, scale)


def write_plots(out_dir: Path, dataset: AmplitudeDataset, predictions: dict[str, list[np.ndarray]], title: str) -> None:
    """parity.png (predicted vs exact log10 |M|^2) and residuals.png (histogram of log10 ratios)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    fig2, ax2 = plt.subplots(figsize=(6, 4))
    for split in SPLITS:
        _, _, target, _ = split_arrays(dataset, split)
        if not target:
            continue
        true, pred = np.concatenate(target), np.concatenate(predictions[split])
        ax.scatter(true, pred, s=3, alpha=0.4, label=split)
        ax2.hist(pred - true, bins=80, histtype="step", label=split, density=True)
    lo, hi = ax.get_xlim()
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel("exact log10 |M|^2")
    ax.set_ylabel("predicted log10 |M|^2")
    ax.set_title(title)
    ax.legend(markerscale=4)
    ax2.set_xlabel("log10(predicted / exact)")
    ax2.set_ylabel("density")
    ax2.legend()
    for figure, name in ((fig, "parity.png"), (fig2, "residuals.png")):
        figure.tight_layout()
        with atomic_path(out_dir / name) as tmp:
            figure.savefig(tmp, format="png", dpi=110)
        plt.close(figure)


def table(evaluations: list[Evaluation]) -> str:
    """A Markdown table of the evaluations (median / p90 relative error of |M|^2, MSE)."""
    lines = [
        "| model | split | points | MSE (std. log10) | median rel. error | p90 rel. error |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for ev in evaluations:
        for split, m in ev.splits.items():
            lines.append(
                f"| {ev.name} | {split} | {m.points} | {m.mse_standardised:.4f} | {100 * m.median_rel_error:.2f}% | {100 * m.p90_rel_error:.2f}% |"
            )
    return "\n".join(lines)


def evaluate_file(
    data: str,
    model_dir: str | Path | None = None,
    output: str | Path | None = None,
    *,
    baselines: bool = True,
) -> list[Evaluation]:
    """Evaluate a saved regressor (default: the shipped one) on every row of a SYMBA file, beside the
    gradient-boosting baseline; with ``output``: metrics.json, parity.png and residuals.png there."""
    from amplitudes.learn.dataset import DatasetConfig, build_dataset
    from amplitudes.learn.model import load_regressor
    from amplitudes.learn.predict import default_model_dir

    directory = model_dir or default_model_dir()
    regressor, scale, vocab, _ = load_regressor(directory)
    dataset = build_dataset(data, DatasetConfig(), vocab)
    evaluation, predictions = evaluate_model("model", regressor, scale, dataset)
    evaluations = [evaluation] + ([gradient_boosting_baseline(dataset, scale, len(vocab))] if baselines else [])
    if output is not None:
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "metrics.json", [asdict(e) for e in evaluations])
        write_plots(out, dataset, predictions, str(directory))
    return evaluations
