"""The jet tagging report: classic observables, Deep Sets, Encoder from scratch and JEPA-pretrained
Encoder, at several label fractions and seeds, in one run (metrics.json, ROC plot, table)."""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jets.evaluate import linear_probe, scores
from jets.features import prepare_jets
from jets.io import split
from jets.metrics import observable_baseline, roc_plot, tagging_metrics
from jets.model import DeepSets, JetTagger, TaggerConfig
from jets.train import jet_jepa_config, load_pretrained, pretrain_jepa, recipe, train_classifier
from symtok.files import atomic_write_text, write_json
from symtok.nn.jepa import JEPAConfig

MODELS = ("observables (gradient boosting)", "Deep Sets", "Encoder, from scratch", "Encoder, JEPA-pretrained")


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
    pretrain_lr: float = 1e-3,
    lr: float = 2e-3,
    jepa: JEPAConfig | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train and evaluate every model at every label fraction and seed; write metrics.json, roc.png, report.md."""
    config = config or TaggerConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_all, test = split(jets, 0.25, 0)
    labels = np.array([int(j.label) for j in test])
    started = time.perf_counter()
    # features (and subjets, for the JEPA) once; every model then reads the same prepared jets
    prepared = prepare_jets(train_all, config.features, with_subjets=True, progress=progress)
    test_prepared = prepare_jets(test, config.features, with_subjets=False)
    jepa_checkpoint = pretrain_jepa(
        prepared,
        config,
        recipe(pretrain_steps, batch_size, pretrain_lr, records=20, progress=progress),
        out / "jepa",
        jepa=jepa,
    )
    torch.manual_seed(0)
    random_init = JetTagger(config)
    torch.manual_seed(0)
    pretrained = JetTagger(config)
    load_pretrained(pretrained, jepa_checkpoint)
    n_probe = min(len(prepared), len(test_prepared), 5000)
    probe = {
        "jets": n_probe,
        "random_init_auc": linear_probe(random_init, prepared[:n_probe], test_prepared[:n_probe]),
        "jepa_auc": linear_probe(pretrained, prepared[:n_probe], test_prepared[:n_probe]),
    }
    results: dict[str, dict[str, list[dict[str, float]]]] = {m: {} for m in MODELS}
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    bar = _bar(len(fractions) * seeds, progress)
    for fraction in fractions:
        for seed in range(seeds):
            if bar is not None:
                bar.set_postfix(labels=f"{100 * fraction:.0f}%", seed=seed)
            chosen = random.Random(seed).sample(
                range(len(train_all)), max(batch_size, round(fraction * len(train_all)))
            )
            subset = [prepared[i] for i in chosen]
            train = recipe(steps, min(batch_size, len(subset)), lr, seed)
            runs: dict[str, np.ndarray] = {}
            runs[MODELS[0]] = observable_baseline([train_all[i] for i in chosen], test, seed)[1]
            torch.manual_seed(seed)
            runs[MODELS[1]] = scores(
                train_classifier(DeepSets(len(config.features.names)), subset, config.features, train),
                test_prepared,
                config.features,
            )
            torch.manual_seed(seed)
            runs[MODELS[2]] = scores(
                train_classifier(JetTagger(config), subset, config.features, train), test_prepared, config.features
            )
            torch.manual_seed(seed)
            tagger = JetTagger(config)
            load_pretrained(tagger, jepa_checkpoint)
            runs[MODELS[3]] = scores(
                train_classifier(tagger, subset, config.features, train), test_prepared, config.features
            )
            for name, s in runs.items():
                results[name].setdefault(str(fraction), []).append(asdict(tagging_metrics(labels, s)))
                if fraction == max(fractions) and seed == 0:
                    curves[name] = (labels, s)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    summary = _summarise(results)
    report = {
        "jets": len(jets),
        "train_jets": len(train_all),
        "test_jets": len(test),
        "fractions": list(fractions),
        "seeds": seeds,
        "steps": steps,
        "pretrain_steps": pretrain_steps,
        "pretrain_lr": pretrain_lr,
        "lr": lr,
        "jepa": asdict(jepa or jet_jepa_config(config)),
        "jepa_final": _last_record(out / "jepa" / "metrics.jsonl"),
        "linear_probe": probe,
        "seconds": round(time.perf_counter() - started, 1),
        "tagger": asdict(config),
        "results": results,
        "summary": summary,
    }
    write_json(out / "metrics.json", report)
    atomic_write_text(out / "report.md", table(summary) + "\n")
    roc_plot(curves, str(out / "roc.png"))
    return report


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="run", desc="report (4 models per run)", dynamic_ncols=True)


def _last_record(path: Path) -> dict[str, float]:
    lines = path.read_text().splitlines() if path.exists() else []
    return json.loads(lines[-1]) if lines else {}


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
