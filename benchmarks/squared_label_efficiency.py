"""Label efficiency of the squared-amplitude model: LM-JEPA-pretrained encoder vs from scratch at a
few fractions of the training pairs, several seeds, mean ± std of exact match and numerical
equivalence on the held-out split (selection and report only, never trained on).

    python benchmarks/squared_label_efficiency.py --out runs/labels [--fractions 0.01,0.1] [--seeds 0,1,2]

The pretraining corpus is every training amplitude (no squared amplitudes read). Each run trains
the same model for the same number of steps; only the initialisation of the encoder differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amplitudes.learn.squared import train_squared
from amplitudes.learn.squared_data import read_pairs
from amplitudes.learn.squared_eval import evaluate_pairs
from amplitudes.learn.squared_train import configure, pretrain_squared_file
from symtok.vocab import Vocab


def sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(SHARED / "symba2025_train.csv"))
    ap.add_argument("--valid", default=str(SHARED / "symba_qed_normalized_dev.csv"))
    ap.add_argument("--config", default=None, help="SquaredConfig JSON (model shape)")
    ap.add_argument("--fractions", default="0.01,0.1,1.0")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=600, help="fine-tuning steps of every run")
    ap.add_argument("--pretrain-steps", type=int, default=1000)
    ap.add_argument("--valid-rows", type=int, default=None, help="evaluate on the first N held-out rows")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    out = Path(args.out)
    base = configure(args.config, progress=False)
    vocab = Vocab.default()
    train = read_pairs(args.train, vocab, order=base.source_order).pairs
    valid = read_pairs(args.valid, vocab, order=base.source_order).pairs[: args.valid_rows]
    started = time.perf_counter()
    n_seq, pretrained = pretrain_squared_file([args.train], out / "pretrain", base, steps=args.pretrain_steps)
    print(f"# pretrained on {n_seq} distinct training amplitudes in {time.perf_counter() - started:.0f} s")
    results = []
    for fraction in (float(f) for f in args.fractions.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            for init in ("scratch", "jepa"):
                cfg = dataclasses.replace(
                    base,
                    label_fraction=fraction,
                    model=dataclasses.replace(base.model, seed=seed),
                    train=dataclasses.replace(base.train, steps=args.steps, seed=seed, checkpoint_every=0),
                )
                run_dir = out / f"f{fraction}-s{seed}-{init}"
                start = time.perf_counter()
                model = train_squared(
                    train, run_dir, cfg, vocab=vocab, pretrained=pretrained if init == "jepa" else None
                )
                metrics, _ = evaluate_pairs(model, vocab, valid)
                row = {
                    "fraction": fraction,
                    "seed": seed,
                    "init": init,
                    "exact_match": metrics["exact_match"],
                    "equivalent": metrics["equivalent"],
                    "token_accuracy": metrics["token_accuracy"],
                    "seconds": time.perf_counter() - start,
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{'labels':>7} {'init':>8} {'runs':>4} {'exact match %':>16} {'equivalent %':>16}")
    summary = {}
    for fraction in sorted({r["fraction"] for r in results}):
        for init in ("scratch", "jepa"):
            runs = [r for r in results if r["fraction"] == fraction and r["init"] == init]
            ex = [100 * r["exact_match"] for r in runs]
            eq = [100 * r["equivalent"] for r in runs]
            summary[(fraction, init)] = (statistics.mean(ex), sd(ex))
            print(
                f"{100 * fraction:>6.0f}% {init:>8} {len(runs):>4} {statistics.mean(ex):>9.2f} ± {sd(ex):<5.2f}"
                f" {statistics.mean(eq):>9.2f} ± {sd(eq):<5.2f}"
            )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        fractions = sorted({f for f, _ in summary})
        for init in ("scratch", "jepa"):
            means = [summary[(f, init)][0] for f in fractions]
            stds = [summary[(f, init)][1] for f in fractions]
            ax.errorbar([100 * f for f in fractions], means, yerr=stds, marker="o", capsize=3, label=init)
        ax.set_xscale("log")
        ax.set_xlabel("training pairs used, %")
        ax.set_ylabel("held-out exact match, %")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
