"""The jet tagging report: classic observables, Deep Sets, Encoder from scratch and JEPA-pretrained
Encoder, at several label fractions and seeds, in one run (metrics.json, ROC plot, table)."""

from __future__ import annotations

import random
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jets.metrics import observable_baseline, roc_plot
from jets.task import (
    DeepSets,
    JetTagger,
    TaggerConfig,
    load_pretrained,
    pretrain_jepa,
    scores,
    tagging_metrics,
    train_classifier,
)
from symtok.atomic import atomic_write_text
from symtok.nn.train import TrainConfig

MODELS = ("observables (gradient boosting)", "Deep Sets", "Encoder, from scratch", "Encoder, JEPA-pretrained")


def split(jets: list[Any], test_fraction: float, seed: int) -> tuple[list[Any], list[Any]]:
    order = list(range(len(jets)))
    random.Random(seed).shuffle(order)
    n_test = round(test_fraction * len(jets))
    return [jets[i] for i in order[n_test:]], [jets[i] for i in order[:n_test]]


def run_report(
    jets: list[Any],
    out_dir: str | Path,
    *,
    config: TaggerConfig | None = None,
    fractions: tuple[float, ...] = (0.1, 1.0),
    seeds: int = 3,
    steps: int = 600,
    pretrain_steps: int = 200,
    batch_size: int = 64,
) -> dict[str, Any]:
    """Train and evaluate every model at every label fraction and seed; write metrics.json, roc.png, report.md."""
    config = config or TaggerConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_all, test = split(jets, 0.25, 0)
    labels = np.array([int(j.label) for j in test])
    started = time.perf_counter()
    jepa = pretrain_jepa(
        train_all,
        config,
        TrainConfig(
            steps=pretrain_steps, batch_size=batch_size, log_every=max(1, pretrain_steps // 20), progress=False
        ),
        out / "jepa",
    )
    results: dict[str, dict[str, list[dict[str, float]]]] = {m: {} for m in MODELS}
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for fraction in fractions:
        for seed in range(seeds):
            subset = random.Random(seed).sample(train_all, max(batch_size, round(fraction * len(train_all))))
            train = TrainConfig(
                steps=steps,
                batch_size=min(batch_size, len(subset)),
                lr=2e-3,
                warmup_steps=max(1, steps // 20),
                log_every=max(1, steps // 10),
                seed=seed,
                progress=False,
            )
            runs: dict[str, np.ndarray] = {}
            runs[MODELS[0]] = observable_baseline(subset, test, seed)[1]
            torch.manual_seed(seed)
            runs[MODELS[1]] = scores(
                train_classifier(DeepSets(len(config.features.names)), subset, config.features, train),
                test,
                config.features,
            )
            torch.manual_seed(seed)
            runs[MODELS[2]] = scores(
                train_classifier(JetTagger(config), subset, config.features, train), test, config.features
            )
            torch.manual_seed(seed)
            tagger = JetTagger(config)
            load_pretrained(tagger, jepa)
            runs[MODELS[3]] = scores(train_classifier(tagger, subset, config.features, train), test, config.features)
            for name, s in runs.items():
                results[name].setdefault(str(fraction), []).append(asdict(tagging_metrics(labels, s)))
                if fraction == max(fractions) and seed == 0:
                    curves[name] = (labels, s)
    summary = _summarise(results)
    report = {
        "jets": len(jets),
        "train_jets": len(train_all),
        "test_jets": len(test),
        "fractions": list(fractions),
        "seeds": seeds,
        "steps": steps,
        "pretrain_steps": pretrain_steps,
        "seconds": round(time.perf_counter() - started, 1),
        "tagger": asdict(config),
        "results": results,
        "summary": summary,
    }
    atomic_write_text(out / "metrics.json", __import__("json").dumps(report, indent=1, default=float) + "\n")
    atomic_write_text(out / "report.md", table(summary) + "\n")
    roc_plot(curves, str(out / "roc.png"))
    return report


def _summarise(results: dict[str, dict[str, list[dict[str, float]]]]) -> dict[str, dict[str, dict[str, list[float]]]]:
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for name, by_fraction in results.items():
        for fraction, runs in by_fraction.items():
            out.setdefault(name, {})[fraction] = {
                k: [float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs]))] for k in runs[0]
            }
    return out


def table(summary: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    lines = [
        "| model | labels | accuracy | AUC | 1/eps_B at eps_S = 0.5 | 1/eps_B at eps_S = 0.3 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, by_fraction in summary.items():
        for fraction, m in by_fraction.items():
            cells = [
                f"{m[k][0]:.3f} ± {m[k][1]:.3f}" if k in ("accuracy", "auc") else f"{m[k][0]:.1f} ± {m[k][1]:.1f}"
                for k in ("accuracy", "auc", "rejection_at_50", "rejection_at_30")
            ]
            lines.append(f"| {name} | {100 * float(fraction):.0f}% | " + " | ".join(cells) + " |")
    return "\n".join(lines)
