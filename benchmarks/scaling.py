"""Training throughput with 1 and 2 processes (torchrun, gloo on CPU): the squared-amplitude trainer
on the same global batches, side by side, with the scaling efficiency. Prints a table; --plot
writes a bar chart.

    python benchmarks/scaling.py                                   # shipped example rows
    python benchmarks/scaling.py --data ../shared/data/symba2025_train.csv --rows 2000 --steps 40

Runs ``torchrun --nproc_per_node N`` on this file for each setting; under torchrun it trains.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def worker(args: argparse.Namespace) -> None:
    """One torchrun process: train, and (rank 0) print the timing as JSON."""
    import torch

    from amplitudes.learn.squared import SquaredConfig, train_squared
    from amplitudes.learn.squared_data import read_pairs
    from symtok.nn.seq2seq import Seq2SeqConfig
    from symtok.nn.train import TrainConfig, is_main_process
    from symtok.vocab import Vocab

    torch.set_num_threads(args.threads)
    vocab = Vocab.default()
    pairs = read_pairs(args.data, vocab, max_source_len=512, max_target_len=512).pairs[: args.rows]
    config = SquaredConfig(
        model=Seq2SeqConfig(dim=128, heads=4, max_source_len=512, max_target_len=512, attention=args.attention),
        train=TrainConfig(steps=args.steps, batch_size=1, lr=1e-3, warmup_steps=5, progress=False, log_every=1),
        tokens_per_batch=args.tokens_per_batch,
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train_squared(pairs, tmp, config, vocab=vocab)
        seconds = time.perf_counter() - started
    if is_main_process():
        print("RESULT " + json.dumps({"seconds": seconds, "steps": args.steps, "rows": len(pairs)}))


def run(setting: tuple[int, int], args: argparse.Namespace) -> dict[str, float]:
    procs, threads = setting
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(procs), "--master_port", "29531"]
    cmd += [__file__, "--worker", "--threads", str(threads), "--data", args.data, "--rows", str(args.rows)]
    cmd += ["--steps", str(args.steps), "--tokens-per-batch", str(args.tokens_per_batch), "--attention", args.attention]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads)}
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{procs} process(es) failed:\n{result.stderr[-2000:]}")
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=str(ROOT / "data" / "examples" / "qed_rows.txt"))
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--tokens-per-batch", type=int, default=8192)
    ap.add_argument("--attention", default="softmax", choices=["softmax", "fast"])
    ap.add_argument("--plot", help="write a bar chart (PNG) here")
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    cores = os.cpu_count() or 1
    settings = [(1, 1), (1, min(2, cores)), (2, 1)]
    print(f"# {platform.machine()}, {cores} CPUs, Python {platform.python_version()}; {args.data}, {args.steps} steps")
    results = {s: run(s, args) for s in settings}
    base = results[(1, 1)]["steps"] / results[(1, 1)]["seconds"]
    print(f"\n{'processes x threads':<22} {'seconds':>8} {'steps/s':>8} {'speed-up':>9} {'efficiency':>11}")
    for (procs, threads), r in results.items():
        rate = r["steps"] / r["seconds"]
        cpus = procs * threads
        print(
            f"{procs} x {threads:<18} {r['seconds']:>8.1f} {rate:>8.2f} {rate / base:>8.2f}x {rate / base / cpus:>10.0%}"
        )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        labels = [f"{p} proc x {t} thr" for p, t in results]
        plt.bar(labels, [r["steps"] / r["seconds"] for r in results.values()])
        plt.ylabel("training steps/s (same global batches)")
        plt.tight_layout()
        plt.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
