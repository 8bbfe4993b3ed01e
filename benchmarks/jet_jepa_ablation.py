"""Why jet-JEPA pretraining does not beat scratch at few labels: an ablation at one point of the
label-efficiency curve (default 1,000 labelled jets, subjet tokens, 3 seeds), side by side in one run.

Scratch is trained once per seed; every variant pretrains its own JEPA on all training jets
(without labels) and is fine-tuned from it with the same seeds, labelled subsets and recipe as
`symtok jets report --label-counts` (jets.label_efficiency). Printed per variant: accuracy and AUC
(mean ± std over seeds), the gain over scratch (per seed, then mean ± std), and the JEPA's collapse
monitors at the end of pretraining (embedding std, effective rank of the pooled embeddings). Variants
that fine-tune with a lower learning rate are shown beside scratch trained with that rate.

    python benchmarks/jet_jepa_ablation.py runs/top44k.parquet --max-constituents 64 \
        --json docs/results/jet-jepa-ablation.json --plot docs/img/jet-jepa-ablation.png
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: name -> (JEPAConfig overrides, target fraction, pretraining-steps factor, fine-tuning lr factor)
VARIANTS: dict[str, tuple[dict[str, float | int], float, float, float]] = {
    "baseline": ({}, 0.3, 1.0, 1.0),
    "VICReg terms": ({"variance_weight": 1.0, "covariance_weight": 0.04}, 0.3, 1.0, 1.0),
    "EMA 0.99 -> 1": ({"ema_start": 0.99}, 0.3, 1.0, 1.0),
    "predictor 2 x 64": ({"predictor_depth": 2, "predictor_dim": 64}, 0.3, 1.0, 1.0),
    "targets 50 %": ({}, 0.5, 1.0, 1.0),
    "3x pretraining": ({}, 0.3, 3.0, 1.0),
    "fine-tune lr 0.3x": ({}, 0.3, 1.0, 0.3),
    "fine-tune lr 0.1x": ({}, 0.3, 1.0, 0.1),
}


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="Parquet from `symtok jets generate`")
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tokens", default="subjets", choices=("subjets", "constituents"))
    ap.add_argument("--pretrain-steps", type=int, default=600)
    ap.add_argument("--max-constituents", type=int, default=128)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--plot", help="write a bar chart of the gains here")
    args = ap.parse_args()

    import torch

    from jets.evaluate import labels_of, scores
    from jets.features import prepare_jets
    from jets.io import read_jets, split
    from jets.label_efficiency import CurveConfig, _labelled
    from jets.metrics import tagging_metrics
    from jets.model import JetTagger
    from jets.train import jet_jepa_config, load_pretrained, pretrain_jepa, recipe, train_classifier

    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    curve = CurveConfig(
        label_counts=(args.labels,),
        seeds=args.seeds,
        tokens=(args.tokens,),
        pretrain_steps=args.pretrain_steps,
        max_constituents=args.max_constituents,
    )
    tagger = curve.tagger(args.tokens)
    train_all, test_all = split(read_jets(args.data), 0.25, 0)
    test = test_all[: curve.test_jets]
    started = time.perf_counter()
    prepared = prepare_jets(train_all, tagger.features, with_subjets=True)
    test_prepared = prepare_jets(test, tagger.features, with_subjets=False)
    labels = labels_of(test)
    index = {id(j): k for k, j in enumerate(train_all)}
    subsets = [[prepared[index[id(j)]] for j in _labelled(train_all, args.labels, s)] for s in range(args.seeds)]
    steps = curve.steps(args.labels)
    print(
        f"# {args.data}: {len(train_all)} training jets (pretraining), {len(test)} test jets; "
        f"{args.labels} labelled x {args.seeds} seeds, {args.tokens} tokens, {steps} fine-tuning steps; "
        f"features in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    def finetune(checkpoint: Path | None, lr_factor: float = 1.0) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {"accuracy": [], "auc": []}
        for seed, subset in enumerate(subsets):
            torch.manual_seed(seed)
            model = JetTagger(tagger)
            if checkpoint is not None:
                load_pretrained(model, checkpoint)
            train = recipe(steps, min(curve.batch_size, len(subset)), curve.lr * lr_factor, seed)
            m = tagging_metrics(
                labels, scores(train_classifier(model, subset, tagger.features, train), test_prepared, tagger.features)
            )
            out["accuracy"].append(m.accuracy)
            out["auc"].append(m.auc)
        return out

    t0 = time.perf_counter()
    scratch = finetune(None)
    results: dict[str, dict] = {"scratch": {**scratch, "seconds": round(time.perf_counter() - t0, 1)}}
    acc, auc = mean_std(scratch["accuracy"]), mean_std(scratch["auc"])
    print(
        f"{'variant':<18} {'accuracy':>15} {'AUC':>15} {'gain acc (pt)':>14} {'gain AUC':>9} "
        f"{'emb. std':>8} {'eff. rank':>9} {'s':>5}"
    )
    print(
        f"{'scratch':<18} {acc[0]:.4f}±{acc[1]:.4f} {auc[0]:.4f}±{auc[1]:.4f} {'':>14} {'':>9} {'':>8} {'':>9} "
        f"{results['scratch']['seconds']:>5.0f}",
        flush=True,
    )
    # scratch at every other fine-tuning learning rate a variant uses: is a gain the init's or the lr's?
    for lr_factor in sorted({VARIANTS[n][3] for n in names} - {1.0}, reverse=True):
        t0 = time.perf_counter()
        other = finetune(None, lr_factor)
        name = f"scratch, lr {lr_factor:g}x"
        gain = [100 * (a - b) for a, b in zip(other["accuracy"], scratch["accuracy"], strict=True)]
        results[name] = {**other, "gain_accuracy_pt": gain, "seconds": round(time.perf_counter() - t0, 1)}
        a, u, g = mean_std(other["accuracy"]), mean_std(other["auc"]), mean_std(gain)
        print(
            f"{name:<18} {a[0]:.4f}±{a[1]:.4f} {u[0]:.4f}±{u[1]:.4f} {g[0]:+6.2f}±{g[1]:5.2f} {'':>9} {'':>8} "
            f"{'':>9} {results[name]['seconds']:>5.0f}",
            flush=True,
        )
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            overrides, target_frac, factor, lr_factor = VARIANTS[name]
            t0 = time.perf_counter()
            jepa = jet_jepa_config(tagger)
            jepa = type(jepa).from_dict({**jepa.to_dict(), **overrides}) if overrides else jepa
            run = Path(tmp) / name.replace(" ", "_")
            checkpoint = pretrain_jepa(
                prepared,
                tagger,
                recipe(round(args.pretrain_steps * factor), curve.batch_size, curve.pretrain_lr, records=20),
                run,
                jepa=jepa,
                target_frac=target_frac,
            )
            last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
            tuned = finetune(checkpoint, lr_factor)
            gain_acc = [100 * (a - b) for a, b in zip(tuned["accuracy"], scratch["accuracy"], strict=True)]
            gain_auc = [a - b for a, b in zip(tuned["auc"], scratch["auc"], strict=True)]
            results[name] = {
                **tuned,
                "gain_accuracy_pt": gain_acc,
                "gain_auc": gain_auc,
                "embedding_std": last.get("embedding_std"),
                "effective_rank": last.get("effective_rank"),
                "seconds": round(time.perf_counter() - t0, 1),
            }
            a, u, g, gu = (mean_std(tuned["accuracy"]), mean_std(tuned["auc"]), mean_std(gain_acc), mean_std(gain_auc))
            print(
                f"{name:<18} {a[0]:.4f}±{a[1]:.4f} {u[0]:.4f}±{u[1]:.4f} {g[0]:+6.2f}±{g[1]:5.2f} {gu[0]:+9.4f} "
                f"{last.get('embedding_std', float('nan')):>8.3f} {last.get('effective_rank', float('nan')):>9.1f} "
                f"{results[name]['seconds']:>5.0f}",
                flush=True,
            )
    if args.json:
        from symtok.files import write_json

        write_json(
            args.json,
            {
                "data": args.data,
                "labels": args.labels,
                "seeds": args.seeds,
                "tokens": args.tokens,
                "pretrain_steps": args.pretrain_steps,
                "fine_tuning_steps": steps,
                "results": results,
            },
        )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        gains = [mean_std(results[n]["gain_accuracy_pt"]) for n in names]
        ax.bar(range(len(names)), [g[0] for g in gains], yerr=[g[1] for g in gains], capsize=3)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xticks(range(len(names)), names, rotation=20, fontsize=7)
        ax.set_ylabel("JEPA - scratch accuracy (points)")
        ax.set_title(f"jet JEPA ablation: {args.labels} labelled jets, {args.tokens}, {args.seeds} seeds")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
