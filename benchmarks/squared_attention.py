"""FAVOR+ vs softmax attention in the squared-amplitude model at equal training steps, in one run.

Both models have the same shape, seed, data, batches and steps; only the attention differs (on
both sides, encoder and decoder). Reported per attention: training steps/s and real (non-pad)
tokens/s (steps/s times the mean real tokens of the length batches the trainer draws from),
final training loss, and on the held-out split (never trained on) the teacher-forced token
accuracy and the share of rows whose every target token is right under teacher forcing. Greedy
decoding (exact match, equivalence) is optional: a weakly trained model decodes to the maximum
length, which is slow.

    python benchmarks/squared_attention.py --steps 800 [--valid-rows 400] [--decode-rows 0] [--json F] [--plot F]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from amplitudes.learn.squared import length_batches, train_squared
from amplitudes.learn.squared_data import read_pairs
from amplitudes.learn.squared_eval import evaluate_pairs, teacher_forced
from amplitudes.learn.squared_train import configure
from symtok.vocab import Vocab

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(SHARED / "symba2025_train.csv"))
    ap.add_argument("--valid", default=str(SHARED / "symba_qed_normalized_dev.csv"))
    ap.add_argument("--config", default=None, help="SquaredConfig JSON (model shape); default: the shipped shape")
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--valid-rows", type=int, default=None, help="evaluate on the first N held-out rows")
    ap.add_argument("--decode-rows", type=int, default=0, help="also greedy-decode the first N held-out rows")
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    base = configure(args.config, progress=False)
    vocab = Vocab.default()
    train = read_pairs(args.train, vocab, order=base.source_order).pairs
    valid = read_pairs(args.valid, vocab, order=base.source_order).pairs[: args.valid_rows]
    batches = length_batches(train, base.tokens_per_batch, base.model.eos_id)
    real_tokens = statistics.mean(int((s != 0).sum() + (t != 0).sum()) for s, t in batches)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads; {len(train)} training pairs in")
    print(f"# {len(batches)} length batches of {real_tokens:.0f} real tokens on average; {len(valid)} held-out rows")
    results = []
    curves = {}
    with tempfile.TemporaryDirectory() as tmp:
        for attention in ("softmax", "fast"):
            cfg = dataclasses.replace(
                base,
                model=dataclasses.replace(base.model, attention=attention, seed=args.seed),
                train=dataclasses.replace(
                    base.train, steps=args.steps, lr=args.lr, seed=args.seed, checkpoint_every=0, log_every=50
                ),
            )
            started = time.perf_counter()
            model = train_squared(train, Path(tmp) / attention, cfg, vocab=vocab)
            seconds = time.perf_counter() - started
            log = [json.loads(line) for line in (Path(tmp) / attention / "metrics.jsonl").read_text().splitlines()]
            log = [r for r in log if "items_per_s" in r]
            steps_per_s = statistics.median(r["items_per_s"] for r in log)
            token_acc, right = teacher_forced(model, valid, base.tokens_per_batch)
            rows_right = sum(right) / max(1, len(right))
            row = {
                "attention": attention,
                "steps": args.steps,
                "train_seconds": round(seconds, 1),
                "steps_per_s": steps_per_s,
                "tokens_per_s": steps_per_s * real_tokens,
                "final_loss": statistics.mean(r["loss"] for r in log[-4:]),
                "valid_token_accuracy": token_acc,
                "valid_rows_all_tokens_right": rows_right,
            }
            if args.decode_rows:
                metrics, _ = evaluate_pairs(model, vocab, valid[: args.decode_rows])
                row |= {"exact_match": metrics["exact_match"], "equivalent": metrics["equivalent"]}
            results.append(row)
            curves[attention] = [(r["step"], r["loss"]) for r in log]
            print(json.dumps(row), flush=True)
    soft, favor = results
    print(f"\n{'attention':>9} {'steps/s':>8} {'tokens/s':>9} {'loss':>7} {'token acc.':>10} {'rows right':>10}")
    for r in results:
        print(
            f"{r['attention']:>9} {r['steps_per_s']:>8.3f} {r['tokens_per_s']:>9.0f} {r['final_loss']:>7.3f}"
            f" {r['valid_token_accuracy']:>10.4f} {r['valid_rows_all_tokens_right']:>10.4f}"
        )
    print(f"FAVOR+ / softmax tokens/s: {favor['tokens_per_s'] / soft['tokens_per_s']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "curves": curves}, indent=1) + "\n")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        for attention, points in curves.items():
            ax.plot(*zip(*points, strict=True), label=attention)
        ax.set_xlabel("training step")
        ax.set_ylabel("training loss")
        ax.set_yscale("log")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
