"""The label-efficiency curve: what jet-JEPA pretraining buys at 1k … 30k labelled jets.

For each token kind (constituents, or C/A subjets as in J-JEPA) one JEPA is pretrained on every
training jet without labels; then, at each labelled-jet count and seed, the same Encoder tagger is
fine-tuned from scratch and from the JEPA, and both frozen encoders (random init, JEPA) are read by
a linear probe. Every model is tested on the same held-out jets (accuracy, AUC, 1/ε_B at ε_S = 0.3
and 0.5); results are mean ± std over seeds, written atomically (metrics.json, report.md, a plot).
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from jets.evaluate import labels_of, linear_probe_scores, scores
from jets.features import FeatureConfig, prepare_jets
from jets.io import split
from jets.metrics import tagging_metrics
from jets.model import JetTagger, TaggerConfig
from jets.train import load_pretrained, pretrain_jepa, recipe, train_classifier
from symtok.config import Config
from symtok.errors import SymtokError
from symtok.files import atomic_write_text, write_json

MODES = ("scratch", "JEPA, fine-tuned", "random init, linear probe", "JEPA, linear probe")
METRICS = ("accuracy", "auc", "rejection_at_50", "rejection_at_30")


@dataclass(frozen=True)
class CurveConfig(Config):
    """The curve's points, seeds and training budget (defaults: the issue's 1k–30k, 3 seeds)."""

    label_counts: tuple[int, ...] = (1000, 3000, 10000, 30000)
    seeds: int = 3
    tokens: tuple[Literal["constituents", "subjets"], ...] = ("constituents", "subjets")
    pretrain_steps: int = 1000
    pretrain_lr: float = 1e-3
    lr: float = 2e-3
    batch_size: int = 64
    epochs: float = 10.0  # fine-tuning steps = epochs × labelled jets / batch, clipped to [min_steps, max_steps]
    min_steps: int = 200
    max_steps: int = 1500
    test_jets: int = 10000  # held-out jets every model is tested on (at most the 25% test split)
    max_constituents: int = 128
    max_subjets: int = 20  # subjet tokens per jet
    use_pid: bool = False
    dim: int = 64
    depth: int = 2
    pooling: Literal["mean", "class"] = "mean"  # the taggers' pooling (the linear probes use the mean)

    def __post_init__(self) -> None:
        super().__post_init__()
        bad = [t for t in self.tokens if t not in ("constituents", "subjets")]
        if bad or not self.tokens:
            raise SymtokError(f"tokens must be constituents and/or subjets; got {list(self.tokens)}")
        if not self.label_counts or min(self.label_counts) < 2 or self.seeds < 1:
            raise SymtokError(
                f"label counts must be at least 2 and seeds at least 1; got {self.label_counts}, {self.seeds}"
            )

    def steps(self, labelled: int) -> int:
        return int(min(self.max_steps, max(self.min_steps, round(self.epochs * labelled / self.batch_size))))

    def tagger(self, tokens: str) -> TaggerConfig:
        features = FeatureConfig(
            max_constituents=self.max_constituents,
            use_pid=self.use_pid,
            tokens=tokens,  # type: ignore[arg-type]
            max_subjets=self.max_subjets if tokens == "subjets" else FeatureConfig().max_subjets,
        )
        return TaggerConfig(features=features, dim=self.dim, depth=self.depth, pooling=self.pooling)


def _labelled(train: list[Any], count: int, seed: int) -> list[Any]:
    """A seeded subset of ``count`` training jets with both labels in equal shares (as far as they go)."""
    rng = random.Random(seed)
    by_label = {0: [j for j in train if int(j.label) == 0], 1: [j for j in train if int(j.label) == 1]}
    half = count // 2
    chosen = rng.sample(by_label[0], min(half, len(by_label[0]))) + rng.sample(
        by_label[1], min(count - half, len(by_label[1]))
    )
    rng.shuffle(chosen)
    return chosen


def run_curve(
    jets: list[Any], out_dir: str | Path, config: CurveConfig | None = None, *, progress: bool = False
) -> dict[str, Any]:
    """Every point of the curve (see the module docstring); returns and writes metrics.json."""
    config = config or CurveConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_all, test_all = split(jets, 0.25, 0)
    test = test_all[: config.test_jets]
    counts = [c for c in config.label_counts if c <= len(train_all)]
    if not counts:
        raise SymtokError(f"{len(train_all)} training jets: fewer than every label count {config.label_counts}")
    labels = labels_of(test)
    started = time.perf_counter()
    results: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {}
    timings: dict[str, float] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(config.tokens) * len(counts) * config.seeds, unit="point", desc="label efficiency")
    for tokens in config.tokens:
        tagger = config.tagger(tokens)
        t0 = time.perf_counter()
        prepared = prepare_jets(train_all, tagger.features, with_subjets=True)
        test_prepared = prepare_jets(test, tagger.features, with_subjets=False)
        checkpoint = pretrain_jepa(
            prepared,
            tagger,
            recipe(config.pretrain_steps, config.batch_size, config.pretrain_lr, records=20),
            out / f"jepa-{tokens}",
        )
        timings[f"{tokens}: features + JEPA pretraining (s)"] = round(time.perf_counter() - t0, 1)
        index = {id(j): k for k, j in enumerate(train_all)}
        t0 = time.perf_counter()
        for count in counts:
            for seed in range(config.seeds):
                subset = [prepared[index[id(j)]] for j in _labelled(train_all, count, seed)]
                train = recipe(config.steps(count), min(config.batch_size, len(subset)), config.lr, seed)
                runs: dict[str, np.ndarray] = {}
                for mode in ("scratch", "JEPA, fine-tuned"):
                    torch.manual_seed(seed)
                    model = JetTagger(tagger)
                    if mode.startswith("JEPA"):
                        load_pretrained(model, checkpoint)
                    runs[mode] = scores(
                        train_classifier(model, subset, tagger.features, train), test_prepared, tagger.features
                    )
                for mode in ("random init, linear probe", "JEPA, linear probe"):
                    torch.manual_seed(seed)
                    model = JetTagger(tagger)
                    if mode.startswith("JEPA"):
                        load_pretrained(model, checkpoint)
                    runs[mode] = linear_probe_scores(model, subset, test_prepared)
                for mode, s in runs.items():
                    results.setdefault(tokens, {}).setdefault(mode, {}).setdefault(str(count), []).append(
                        asdict(tagging_metrics(labels, s))
                    )
                if bar is not None:
                    bar.set_postfix(tokens=tokens, labels=count, seed=seed)
                    bar.update()
            _write(out, results, config, counts, len(jets), len(train_all), len(test), started, timings, final=False)
        timings[f"{tokens}: {len(counts)} counts x {config.seeds} seeds x 4 models (s)"] = round(
            time.perf_counter() - t0, 1
        )
    if bar is not None:
        bar.close()
    return _write(out, results, config, counts, len(jets), len(train_all), len(test), started, timings)


def _write(
    out: Path,
    results: dict[str, dict[str, dict[str, list[dict[str, float]]]]],
    config: CurveConfig,
    counts: list[int],
    jets: int,
    train_jets: int,
    test_jets: int,
    started: float,
    timings: dict[str, float],
    *,
    final: bool = True,
) -> dict[str, Any]:
    """metrics.json, report.md and the plot of the points done so far (atomically; ``final`` False
    while the curve is still running, so a long run leaves its finished points behind)."""
    summary = {
        tokens: {
            mode: {count: {k: _mean_std([r[k] for r in runs]) for k in METRICS} for count, runs in by_count.items()}
            for mode, by_count in by_mode.items()
        }
        for tokens, by_mode in results.items()
    }
    report = {
        "complete": final,
        "jets": jets,
        "train_jets": train_jets,
        "test_jets": test_jets,
        "label_counts": counts,
        "steps": {str(c): config.steps(c) for c in counts},
        "config": asdict(config),
        "seconds": round(time.perf_counter() - started, 1),
        "timings": timings,
        "results": results,
        "summary": summary,
        "gain": gains(summary),
    }
    write_json(out / "metrics.json", report)
    atomic_write_text(out / "report.md", table(summary) + "\n\n" + gain_table(report["gain"]) + "\n")
    plot(summary, out / "label_efficiency.png")
    return report


def _mean_std(values: list[float]) -> list[float]:
    """[mean, std] over seeds; a rejection that is infinite in some run (no background passed the
    cut) makes the mean infinite and the std 0."""
    v = np.asarray(values, dtype=np.float64)
    return [float(v.mean()), float(v.std())] if np.all(np.isfinite(v)) else [float("inf"), 0.0]


def gains(summary: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """JEPA fine-tuned minus scratch, per token kind and count: mean accuracy and AUC gains, and
    whether each exceeds the larger of the two standard deviations."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for tokens, by_mode in summary.items():
        for count, jepa in by_mode.get("JEPA, fine-tuned", {}).items():
            scratch = by_mode["scratch"][count]
            row = {}
            for k in ("accuracy", "auc"):
                diff = jepa[k][0] - scratch[k][0]
                row[f"{k}_gain"] = diff
                row[f"{k}_beyond_std"] = float(abs(diff) > max(jepa[k][1], scratch[k][1]))
            out.setdefault(tokens, {})[count] = row
    return out


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| tokens | model | labelled jets | accuracy | AUC | 1/ε_B at ε_S = 0.5 | 1/ε_B at ε_S = 0.3 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for tokens, by_mode in summary.items():
        for mode, by_count in by_mode.items():
            for count, m in by_count.items():
                cells = [
                    f"{m[k][0]:.3f} ± {m[k][1]:.3f}" if k in ("accuracy", "auc") else f"{m[k][0]:.1f} ± {m[k][1]:.1f}"
                    for k in METRICS
                ]
                lines.append(f"| {tokens} | {mode} | {int(count):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gain_table(gain: dict[str, Any]) -> str:
    lines = ["| tokens | labelled jets | JEPA − scratch: accuracy | AUC |", "|---|---:|---:|---:|"]
    for tokens, by_count in gain.items():
        for count, g in by_count.items():
            marks = ["" if g[f"{k}_beyond_std"] else " (within std)" for k in ("accuracy", "auc")]
            lines.append(
                f"| {tokens} | {int(count):,} | {100 * g['accuracy_gain']:+.2f} pt{marks[0]} | "
                f"{g['auc_gain']:+.4f}{marks[1]} |"
            )
    return "\n".join(lines)


def plot(summary: dict[str, Any], path: str | Path) -> None:
    """AUC against labelled jets (log x), mean ± std over seeds, one line per token kind and model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for tokens, by_mode in summary.items():
        for mode, by_count in by_mode.items():
            counts = sorted(by_count, key=int)
            x = [int(c) for c in counts]
            y = [by_count[c]["auc"][0] for c in counts]
            err = [by_count[c]["auc"][1] for c in counts]
            style = "-" if tokens == "subjets" else "--"
            ax.errorbar(x, y, yerr=err, marker="o", linestyle=style, capsize=3, label=f"{tokens}: {mode}")
    ax.set_xscale("log")
    ax.set_xlabel("labelled training jets")
    ax.set_ylabel("test AUC")
    ax.set_title("label efficiency: jet JEPA vs scratch")
    ax.legend(fontsize=7)
    fig.tight_layout()
    tmp = Path(str(path) + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


__all__ = ["MODES", "CurveConfig", "gain_table", "gains", "plot", "run_curve", "table"]
