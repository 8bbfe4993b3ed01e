"""FAVOR+ (fast) vs softmax attention, side by side: forward and forward+backward time (medians)
and peak memory at lengths 256 ... 16384, for the attention op alone and for a full Encoder.
Prints a table with the ratios and the crossover length; --plot writes a figure.

    python benchmarks/attention.py                         # CPU, all lengths
    python benchmarks/attention.py --device cuda --plot docs/img/attention-gpu.png

Each configuration runs in a fresh subprocess, so peak memory is that process's own high-water
mark above its state before the first forward (RSS on CPU, max_memory_allocated on CUDA).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LENGTHS = [256, 512, 1024, 2048, 4096, 8192, 16384]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def worker(
    what: str, backend: str, length: int, device: str, repeats: int, heads: int, dim_head: int, features: int
) -> dict[str, float]:
    import torch

    from symtok.nn.attention import FastAttention, SoftmaxAttention
    from symtok.nn.encoder import Encoder, EncoderConfig

    torch.manual_seed(0)
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    if what == "attention":
        op = (FastAttention(dim_head, features) if backend == "fast" else SoftmaxAttention(dim_head)).to(dev).eval()
        inputs = [torch.randn(1, heads, length, dim_head, device=dev, requires_grad=True) for _ in range(3)]

        def run() -> torch.Tensor:
            return op(*inputs)

    else:
        cfg = EncoderConfig(
            vocab_size=734,
            dim=heads * dim_head,
            depth=2,
            heads=heads,
            dropout=0.0,
            attention=backend,
            nb_features=features,
            feature_redraw_interval=None,
        )
        op = Encoder(cfg).to(dev)
        tokens = torch.randint(6, 734, (1, length), device=dev)

        def run() -> torch.Tensor:
            return op(tokens).states

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def peak() -> float:
        return torch.cuda.max_memory_allocated() / 2**20 if cuda else _rss_mb()

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated() / 2**20 if cuda else _rss_mb()
    fwd = []
    with torch.no_grad():
        for _ in range(2):  # warm-up: thread pools, allocator, first-touch page faults
            run()
        for _ in range(repeats):
            sync()
            t = time.perf_counter()
            run()
            sync()
            fwd.append(time.perf_counter() - t)
    peak_fwd = peak() - base
    bwd = []
    for _ in range(repeats + 2):
        sync()
        t = time.perf_counter()
        run().float().square().mean().backward()
        sync()
        bwd.append(time.perf_counter() - t)
    return {
        "fwd_ms": 1e3 * statistics.median(fwd),
        "fwdbwd_ms": 1e3 * statistics.median(bwd[2:]),
        "peak_fwd_mb": peak_fwd,
        "peak_fwdbwd_mb": peak() - base,
    }


def run_config(args: argparse.Namespace, what: str, backend: str, length: int) -> dict[str, float]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        what,
        backend,
        str(length),
        "--device",
        args.device,
        "--repeats",
        str(args.repeats),
        "--heads",
        str(args.heads),
        "--dim-head",
        str(args.dim_head),
        "--features",
        str(args.features),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def crossover(rows: list[dict], key: str) -> int | None:
    """Smallest length from which fast stays faster than softmax."""
    lengths = sorted({r["length"] for r in rows})
    ratio = {r["length"]: r["ratio_" + key] for r in rows}
    for i, n in enumerate(lengths):
        if all(ratio[m] > 1.0 for m in lengths[i:]):
            return n
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=3, metavar=("WHAT", "BACKEND", "LENGTH"), help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--lengths", type=int, nargs="*", default=LENGTHS)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--dim-head", type=int, default=64)
    ap.add_argument("--features", type=int, default=256, help="FAVOR+ random features")
    ap.add_argument("--what", nargs="*", default=["attention", "encoder"])
    ap.add_argument("--plot")
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    if args.worker:
        what, backend, length = args.worker
        print(
            json.dumps(
                worker(what, backend, int(length), args.device, args.repeats, args.heads, args.dim_head, args.features)
            )
        )
        return
    import torch

    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads), device {args.device}"
    )
    print(
        f"# batch 1, {args.heads} heads x {args.dim_head}, FAVOR+ features {args.features}; encoder: depth 2, dim {args.heads * args.dim_head}; medians of {args.repeats}"
    )
    rows = []
    for what in args.what:
        for n in args.lengths:
            fast = run_config(args, what, "fast", n)
            soft = run_config(args, what, "softmax", n)
            rows.append(
                {
                    "what": what,
                    "length": n,
                    "fast": fast,
                    "softmax": soft,
                    "ratio_fwd": soft["fwd_ms"] / fast["fwd_ms"],
                    "ratio_fwdbwd": soft["fwdbwd_ms"] / fast["fwdbwd_ms"],
                }
            )
            r = rows[-1]
            print(
                f"{what:9} N={n:6}  fwd fast {fast['fwd_ms']:9.1f} ms  softmax {soft['fwd_ms']:9.1f} ms  x{r['ratio_fwd']:5.2f} | "
                f"fwd+bwd fast {fast['fwdbwd_ms']:9.1f} ms  softmax {soft['fwdbwd_ms']:9.1f} ms  x{r['ratio_fwdbwd']:5.2f} | "
                f"peak MB fast {fast['peak_fwdbwd_mb']:8.1f}  softmax {soft['peak_fwdbwd_mb']:8.1f}",
                flush=True,
            )
    for what in args.what:
        sub = [r for r in rows if r["what"] == what]
        print(
            f"{what}: crossover (fast faster from here on) forward N={crossover(sub, 'fwd')}, forward+backward N={crossover(sub, 'fwdbwd')}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.plot:
        plot(rows, args)


def plot(rows: list[dict], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    whats = list(dict.fromkeys(r["what"] for r in rows))
    fig, axes = plt.subplots(len(whats), 2, figsize=(11, 4 * len(whats)), squeeze=False)
    for row_axes, what in zip(axes, whats, strict=True):
        sub = [r for r in rows if r["what"] == what]
        n = [r["length"] for r in sub]
        for backend, style in (("fast", "-o"), ("softmax", "-s")):
            row_axes[0].plot(n, [r[backend]["fwd_ms"] for r in sub], style, label=f"{backend} fwd")
            row_axes[0].plot(n, [r[backend]["fwdbwd_ms"] for r in sub], style, alpha=0.5, label=f"{backend} fwd+bwd")
            row_axes[1].plot(n, [max(r[backend]["peak_fwdbwd_mb"], 0.1) for r in sub], style, label=backend)
        for ax, ylabel in zip(row_axes, ("time (ms, median)", "peak memory, fwd+bwd (MB)"), strict=True):
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("sequence length")
            ax.set_ylabel(ylabel)
            ax.set_title(f"{what} on {args.device}")
            ax.legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
