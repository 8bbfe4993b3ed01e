"""Label efficiency of the squared-amplitude model: LM-JEPA-pretrained encoder vs from scratch at a
few fractions of the training pairs, several seeds, mean ± std on the held-out split (selection and
report only, never trained on).

    python benchmarks/squared_label_efficiency.py --out runs/labels [--fractions 0.01,0.1] [--seeds 0,1,2]
        [--steps 1000] [--steps-at 0.01:300]
        [--pretrained runs/labels/pretrain] [--arms scratch,jepa,supervised] [--decode-rows N]

The pretraining corpus is every training amplitude (no squared amplitudes read) and the amplitudes
of ``--pretrain-on`` files (e.g. the generated corpus). A finished run leaves its result.json and is
not rerun, so arms can run in separate processes and a last invocation tabulates them all. Each run trains
the same model for the same number of steps on the same batches; only the initialisation of the
encoder (and of the token embedding the decoder shares with it) differs:
- ``scratch``: random;
- ``jepa``: the context encoder of the LM-JEPA checkpoint;
- ``supervised`` (the ablation): the encoder of a model trained on every label (``--encoder-from``,
  by default the shipped squared-symba2025). It bounds what any pretrained encoder can give: if even
  this encoder gains little at few labels, the decoder, not the encoder, is what the labels teach.

Exact match is teacher forced (a row whose every target token is the argmax given the true prefix,
``squared_eval.teacher_forced``), which equals unconstrained greedy decoding's exact match without
decoding; ``--decode-rows N`` also decodes N held-out rows for numerical equivalence.
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
from amplitudes.learn.squared_eval import evaluate_pairs, teacher_forced
from amplitudes.learn.squared_train import configure, pretrain_squared_file
from symtok.files import atomic_write_text
from symtok.vocab import Vocab


def sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def initial_encoder_rank(base, valid, init: str, pretrained, encoder_from: str, rows: int = 512) -> float:
    """RankMe effective rank (of dim) of the mean-pooled encoder states of the first ``rows``
    held-out sources, for the encoder an arm starts from (seed 0): how much of its width it uses."""
    import torch

    from amplitudes.learn.squared import initial_model, pad
    from symtok.nn.encoder import masked_mean
    from symtok.nn.jepa import effective_rank

    model = initial_model(
        dataclasses.replace(base.model, seed=0),
        pretrained=pretrained if init == "jepa" else None,
        encoder_from=encoder_from if init == "supervised" else None,
    ).eval()
    sources = [p.source for p in valid[:rows]]
    with torch.inference_mode():
        pooled = [masked_mean(*model.encode(pad(sources[i : i + 64]))) for i in range(0, len(sources), 64)]
    return effective_rank(torch.cat(pooled))


def final_loss(run_dir: Path) -> float:
    """Mean training loss of the last four logged steps of a run."""
    log = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in log if "loss" in r and "step" in r]
    return statistics.mean(losses[-4:]) if losses else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(SHARED / "symba2025_train.csv"))
    ap.add_argument("--valid", default=str(SHARED / "symba_qed_normalized_dev.csv"))
    ap.add_argument("--config", default=None, help="SquaredConfig JSON (model shape)")
    ap.add_argument("--fractions", default="0.01,0.1,1.0")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=600, help="fine-tuning steps of every run")
    ap.add_argument(
        "--steps-at",
        default="",
        help="other step counts for some fractions, e.g. 0.01:300 (every arm and seed of a fraction alike)",
    )
    ap.add_argument("--lr", type=float, default=None, help="fine-tuning learning rate (default: the config's)")
    ap.add_argument("--pretrain-steps", type=int, default=1000)
    ap.add_argument("--pretrained", default=None, help="an existing jepa-encoder checkpoint (skips pretraining)")
    ap.add_argument(
        "--pretrain-on", nargs="*", default=[], help="more amplitude files to pretrain on (generated rows, ...)"
    )
    ap.add_argument("--arms", default="scratch,jepa", help="comma-separated: scratch, jepa, supervised")
    ap.add_argument("--encoder-from", default=str(ROOT / "data" / "models" / "squared-symba2025"))
    ap.add_argument("--valid-rows", type=int, default=None, help="evaluate on the first N held-out rows")
    ap.add_argument("--decode-rows", type=int, default=0, help="also greedy-decode the first N held-out rows")
    ap.add_argument("--tabulate", action="store_true", help="only tabulate the runs already finished")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    arms = args.arms.split(",")
    try:
        steps_at = {float(f): int(n) for f, n in (item.split(":") for item in args.steps_at.split(",") if item)}
    except ValueError:
        ap.error(f"--steps-at wants FRACTION:STEPS[,...], got {args.steps_at!r}")
    if unknown := set(arms) - {"scratch", "jepa", "supervised"}:
        ap.error(f"unknown arms {sorted(unknown)}")
    out = Path(args.out)
    base = configure(args.config, progress=False)
    vocab = Vocab.default()
    train = read_pairs(args.train, vocab, order=base.source_order).pairs
    valid = read_pairs(args.valid, vocab, order=base.source_order).pairs[: args.valid_rows]
    pretrained = args.pretrained
    if pretrained is None and (out / "pretrain" / "checkpoint").exists():
        pretrained = out / "pretrain"  # an earlier invocation's
    if "jepa" in arms and pretrained is None and not args.tabulate:
        started = time.perf_counter()
        n_seq, pretrained = pretrain_squared_file(
            [args.train, *args.pretrain_on], out / "pretrain", base, steps=args.pretrain_steps
        )
        print(f"# pretrained on {n_seq} distinct amplitudes in {time.perf_counter() - started:.0f} s")
    results = []
    for fraction in (float(f) for f in args.fractions.split(",")):
        steps = steps_at.get(fraction, args.steps)
        for seed in (int(s) for s in args.seeds.split(",")):
            for init in arms:
                cfg = dataclasses.replace(
                    base,
                    label_fraction=fraction,
                    model=dataclasses.replace(base.model, seed=seed),
                    train=dataclasses.replace(
                        base.train, steps=steps, seed=seed, checkpoint_every=0, lr=args.lr or base.train.lr
                    ),
                )
                run_dir = out / f"f{fraction}-s{seed}-{init}"
                done = run_dir / "result.json"
                if done.exists() and json.loads(done.read_text()).get("steps") == steps:
                    results.append(json.loads(done.read_text()))  # a finished run of an earlier invocation
                    print(done.read_text().strip(), flush=True)
                    continue
                if args.tabulate:
                    continue
                run_dir.mkdir(parents=True, exist_ok=True)
                try:  # another invocation training this run: leave it to that one
                    (run_dir / "running").open("x").close()
                except FileExistsError:
                    print(f"# {run_dir} is being trained elsewhere (delete {run_dir / 'running'} if not)", flush=True)
                    continue
                start = time.perf_counter()
                model = train_squared(
                    train,
                    run_dir,
                    cfg,
                    vocab=vocab,
                    pretrained=pretrained if init == "jepa" else None,
                    encoder_from=args.encoder_from if init == "supervised" else None,
                )
                token_accuracy, right = teacher_forced(model, valid)
                row = {
                    "fraction": fraction,
                    "seed": seed,
                    "init": init,
                    "steps": steps,
                    "exact_match": sum(right) / max(1, len(right)),
                    "token_accuracy": token_accuracy,
                    "final_loss": final_loss(run_dir),
                    "seconds": time.perf_counter() - start,
                }
                if args.decode_rows:
                    metrics, _ = evaluate_pairs(model, vocab, valid[: args.decode_rows])
                    row |= {"decoded_exact_match": metrics["exact_match"], "equivalent": metrics["equivalent"]}
                atomic_write_text(done, json.dumps(row) + "\n")
                (run_dir / "running").unlink()
                results.append(row)
                print(json.dumps(row), flush=True)
    ranks = {init: initial_encoder_rank(base, valid, init, pretrained, args.encoder_from) for init in arms}
    atomic_write_text(
        out / "results.json", json.dumps({"runs": results, "initial_encoder_rank": ranks}, indent=1) + "\n"
    )
    print(
        f"\n{'labels':>7} {'steps':>5} {'init':>10} {'runs':>4} {'exact match %':>16} {'token accuracy %':>18}"
        f" {'initial encoder rank':>21}"
    )
    summary = {}
    for fraction in sorted({r["fraction"] for r in results}):
        for init in arms:
            runs = [r for r in results if r["fraction"] == fraction and r["init"] == init]
            if not runs:
                continue
            ex = [100 * r["exact_match"] for r in runs]
            tok = [100 * r["token_accuracy"] for r in runs]
            summary[(fraction, init)] = (statistics.mean(ex), sd(ex), statistics.mean(tok), sd(tok))
            print(
                f"{100 * fraction:>6.0f}% {runs[0]['steps']:>5} {init:>10} {len(runs):>4} {statistics.mean(ex):>9.2f} ± {sd(ex):<5.2f}"
                f" {statistics.mean(tok):>11.2f} ± {sd(tok):<5.2f} {ranks[init]:>14.1f} / {base.model.dim}"
            )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        fractions = sorted({f for f, _ in summary})
        shown = [init for init in arms if all((f, init) in summary for f in fractions)]
        for ax, column, label in ((axes[0], 0, "exact match"), (axes[1], 2, "token accuracy")):
            if len(fractions) == 1:  # one label budget: a bar per arm
                f = fractions[0]
                means = [summary[(f, i)][column] for i in shown]
                ax.bar(shown, means, yerr=[summary[(f, i)][column + 1] for i in shown], capsize=4)
                ax.set_xlabel(f"encoder initialisation ({100 * f:g}% of the training pairs)")
            else:
                for init in shown:
                    means = [summary[(f, init)][column] for f in fractions]
                    stds = [summary[(f, init)][column + 1] for f in fractions]
                    ax.errorbar([100 * f for f in fractions], means, yerr=stds, marker="o", capsize=3, label=init)
                ax.set_xscale("log")
                ax.set_xlabel("training pairs used, %")
                ax.legend()
            ax.set_ylabel(f"held-out {label}, %")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
