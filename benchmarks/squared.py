"""The squared-amplitude model, side by side in one run (medians):

1. training tokens/s, FAVOR+ vs softmax, at the data's p50 and p99 target lengths;
2. incremental decoding tokens/s, FAVOR+ recurrent state vs softmax KV cache (batch 1 and 64);
3. end-to-end decoding rows/s of the shipped model: greedy and beam 4, batch 1 and 64;
4. model time per squared amplitude vs the generator's own symbolic computation for the same rows.

    python benchmarks/squared.py [--model DIR] [--data CSV] [--plot out.png]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from amplitudes.generate import process_rows
from amplitudes.learn.squared import decode_ids, load_squared
from amplitudes.learn.squared_data import default_squared_dir, read_pairs, source_tokens
from amplitudes.physics.me2 import symbolic
from amplitudes.physics.theory import enumerate_processes
from symtok.nn.seq2seq import Seq2Seq

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "symba_qed_normalized_dev.csv"


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def training_tokens_per_s(cfg, source_len: int, target_len: int, batch: int, repeats: int) -> float:
    torch.manual_seed(0)
    model = Seq2Seq(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    source = torch.randint(6, cfg.vocab_size, (batch, source_len))
    target = torch.randint(6, cfg.vocab_size, (batch, target_len))

    def step() -> None:
        loss, _ = model.loss(source, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return batch * (source_len + target_len) / median_seconds(step, repeats)


def decoding_tokens_per_s(cfg, source_len: int, steps: int, batch: int, repeats: int) -> float:
    torch.manual_seed(0)
    model = Seq2Seq(cfg).eval()
    source = torch.randint(6, cfg.vocab_size, (batch, source_len))
    tokens = torch.randint(6, cfg.vocab_size, (batch,))

    def run() -> None:
        with torch.inference_mode():
            cache = model.start(source)
            for _ in range(steps):
                _, cache = model.step(tokens, cache)

    return batch * steps / median_seconds(run, repeats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(default_squared_dir()))
    ap.add_argument(
        "--data", default=str(SHARED) if SHARED.exists() else None, help="amp,sqamp rows (lengths, decoding)"
    )
    ap.add_argument("--rows", type=int, default=128, help="rows decoded end to end")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model, vocab, config = load_squared(args.model)
    cfg = config.model
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}; medians of {args.repeats}")
    print(f"# model {args.model}: dim {cfg.dim}, {cfg.encoder_depth}+{cfg.decoder_depth} layers, {cfg.attention}")
    if args.data:
        pairs = read_pairs(args.data, vocab, order=config.source_order).pairs
    else:  # generated rows only: nothing from ../shared needed
        with tempfile.TemporaryDirectory() as tmp:
            from amplitudes.generate import generate

            generate("qed", Path(tmp) / "rows.txt", progress=False)
            pairs = read_pairs(str(Path(tmp) / "rows.txt"), vocab).pairs
    src = np.array([len(p.source) for p in pairs])
    tgt = np.array([len(p.target) for p in pairs])
    s50, t50, t99 = int(np.percentile(src, 50)), int(np.percentile(tgt, 50)), int(np.percentile(tgt, 99))
    print(
        f"# data {args.data or 'generated QED rows'}: {len(pairs)} rows, source p50 {s50}, target p50 {t50}, p99 {t99}"
    )

    print("\n## 1. training tokens/s (batch 32)")
    print(f"{'target len':>10} {'softmax':>10} {'FAVOR+':>10} {'FAVOR+/softmax':>15}")
    results = {}
    for length in (t50, t99):
        soft = training_tokens_per_s(dataclasses.replace(cfg, attention="softmax"), s50, length, 32, args.repeats)
        fast = training_tokens_per_s(dataclasses.replace(cfg, attention="fast"), s50, length, 32, args.repeats)
        results[("train", length)] = (soft, fast)
        print(f"{length:>10} {soft:>10.0f} {fast:>10.0f} {fast / soft:>15.2f}")

    print("\n## 2. incremental decoding tokens/s (model.step; untrained weights, fixed length)")
    print(f"{'steps':>6} {'batch':>6} {'softmax KV':>11} {'FAVOR+ rec.':>12} {'ratio':>6}")
    for steps in (t50, t99):
        for batch in (1, 64):
            soft = decoding_tokens_per_s(dataclasses.replace(cfg, attention="softmax"), s50, steps, batch, args.repeats)
            fast = decoding_tokens_per_s(dataclasses.replace(cfg, attention="fast"), s50, steps, batch, args.repeats)
            results[("decode", steps, batch)] = (soft, fast)
            print(f"{steps:>6} {batch:>6} {soft:>11.0f} {fast:>12.0f} {fast / soft:>6.2f}")

    print(f"\n## 3. end-to-end decoding of the shipped model ({cfg.attention}), constrained, {args.rows} rows")
    print(f"{'beam':>4} {'batch':>6} {'rows/s':>8}")
    sources = [p.source for p in pairs[: args.rows]]
    for beam in (1, 4):
        for batch in (1, 64):
            rows = sources if batch > 1 else sources[: max(8, args.rows // 8)]
            start = time.perf_counter()
            decode_ids(model, rows, beam=beam, batch_size=batch, vocab=vocab)
            print(f"{beam:>4} {batch:>6} {len(rows) / (time.perf_counter() - start):>8.1f}")

    print("\n## 4. time per squared amplitude: model (greedy) vs the generator's symbolic computation")
    processes = enumerate_processes("qed")
    symbolic.cache_clear()
    start = time.perf_counter()
    generated = [row for proc in processes for row in process_rows(proc, "qed", mode="diagram")]
    generator_s = (time.perf_counter() - start) / len(generated)
    gen_pairs = []
    for row in generated:
        try:
            gen_pairs.append(vocab.encode(source_tokens(row.amplitude, order=config.source_order)))
        except Exception:
            continue
    gen_pairs = [s for s in gen_pairs if len(s) <= cfg.max_source_len]
    start = time.perf_counter()
    decode_ids(model, gen_pairs, beam=1, batch_size=64, vocab=vocab, max_length=min(cfg.max_target_len, 2 * t99))
    model_s = (time.perf_counter() - start) / len(gen_pairs)
    print(f"{'rows':>5} {'generator ms/row':>17} {'model ms/row (batch 64)':>24} {'generator/model':>16}")
    print(f"{len(generated):>5} {1000 * generator_s:>17.2f} {1000 * model_s:>24.2f} {generator_s / model_s:>16.2f}")
    print("  (generator: diagrams, amplitude and traces of every QED 2->2 process with empty caches)")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        keys = [k for k in results if k[0] == "decode"]
        x = np.arange(len(keys))
        ax.bar(x - 0.2, [results[k][0] for k in keys], 0.4, label="softmax KV cache")
        ax.bar(x + 0.2, [results[k][1] for k in keys], 0.4, label="FAVOR+ recurrent")
        ax.set_xticks(x, [f"{k[1]} steps\nbatch {k[2]}" for k in keys])
        ax.set_ylabel("decoded tokens/s")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"\nplot written to {args.plot}")


if __name__ == "__main__":
    main()
