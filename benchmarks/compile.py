"""What ``--compile`` (torch.compile of the model's forward) buys on this machine: training step time
eager vs compiled, side by side in one run (medians), for the squared-amplitude encoder-decoder
(softmax and FAVOR+) and the jet tagger, with fixed batch shapes and with shapes that vary from step
to step as real training batches do; the compilation time (first steps) is reported beside it,
from a cold compiler cache (a fresh TORCHINDUCTOR_CACHE_DIR unless one is set).

    python benchmarks/compile.py [--repeats 10] [--plot compile.png]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="symtok-inductor-"))

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jets.model import JetTagger, TaggerConfig
from symtok.nn.seq2seq import Seq2Seq, Seq2SeqConfig

Batch = tuple[Tensor, ...]


def seq2seq_case(attention: str, batch: int, source_len: int, target_len: int) -> tuple[nn.Module, Callable]:
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(vocab_size=734, dim=128, heads=4, max_source_len=512, max_target_len=1100, attention=attention)
    model = Seq2Seq(cfg)

    def make(shift: int) -> Batch:
        g = torch.Generator().manual_seed(shift)
        return (
            torch.randint(6, cfg.vocab_size, (batch, source_len + shift), generator=g),
            torch.randint(6, cfg.vocab_size, (batch, target_len + 3 * shift), generator=g),
        )

    def loss(m: nn.Module, b: Batch) -> Tensor:
        source, target = b
        inputs = torch.cat([torch.full_like(target[:, :1], cfg.bos_id), target[:, :-1]], dim=1)
        logits = m(source, inputs)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))

    return model, (make, loss)


def tagger_case(batch: int, constituents: int) -> tuple[nn.Module, Callable]:
    torch.manual_seed(0)
    config = TaggerConfig()
    model = JetTagger(config)
    width = len(config.features.names)

    def make(shift: int) -> Batch:
        g = torch.Generator().manual_seed(shift)
        n = constituents - 4 * shift
        features = torch.randn(batch, n, width, generator=g)
        padding = torch.zeros(batch, n, dtype=torch.bool)
        padding[:, n - 3 :] = True
        return features, padding, (torch.rand(batch, generator=g) > 0.5).float()

    def loss(m: nn.Module, b: Batch) -> Tensor:
        features, padding, labels = b
        return F.binary_cross_entropy_with_logits(m(features, padding), labels)

    return model, (make, loss)


def step_times(model: nn.Module, case, compiled: bool, shapes: int, warmup: int, repeats: int) -> tuple[float, float]:
    """(seconds of the first ``warmup`` steps, median step seconds afterwards)."""
    make, loss_fn = case
    batches = [make(k) for k in range(shapes)]
    run = torch.compile(model) if compiled else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()

    def step(k: int) -> float:
        start = time.perf_counter()
        loss = loss_fn(run, batches[k % shapes])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    first = sum(step(k) for k in range(warmup))
    return first, statistics.median(step(warmup + k) for k in range(repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10, help="timed steps after the warm-up")
    ap.add_argument("--plot", default=None, help="write a bar chart of the speed-ups here")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}; median of {args.repeats} steps")
    cases = {
        "seq2seq softmax (32 x 150 -> 480)": lambda: seq2seq_case("softmax", 32, 150, 480),
        "seq2seq FAVOR+ (32 x 150 -> 480)": lambda: seq2seq_case("fast", 32, 150, 480),
        "jet tagger FAVOR+ (64 jets x 64)": lambda: tagger_case(64, 64),
    }
    print(f"{'model':<36} {'shapes':>6} {'eager s':>8} {'compiled s':>10} {'speed-up':>8} {'compile s':>9}")
    rows = []
    for name, build in cases.items():
        for shapes in (1, 4):
            warmup = 2 * shapes  # every shape seen twice: the recompile for dynamic shapes happens here
            model, case = build()
            _, eager = step_times(model, case, False, shapes, warmup, args.repeats)
            model, case = build()
            first, compiled = step_times(model, case, True, shapes, warmup, args.repeats)
            torch._dynamo.reset()
            rows.append((name, shapes, eager, compiled))
            compile_s = first - warmup * compiled
            print(f"{name:<36} {shapes:>6} {eager:>8.3f} {compiled:>10.3f} {eager / compiled:>7.2f}x {compile_s:>9.1f}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        labels = [f"{n.split(' (')[0]}\n{s} shape{'s' if s > 1 else ''}" for n, s, _, _ in rows]
        ax.bar(range(len(rows)), [e / c for _, _, e, c in rows])
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_xticks(range(len(rows)), labels, fontsize=7)
        ax.set_ylabel("training step speed-up (eager / compiled)")
        ax.set_title(f"torch.compile on {platform.machine()} CPU ({os.cpu_count()} cores), torch {torch.__version__}")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
