"""onnxruntime vs PyTorch eager latency, side by side: median and p99 at batch 1 and 64, with 1
and 2 threads, for the amplitude regressor (the shipped model, 256 tokens) and the jet tagger
(default TaggerConfig, 128 constituents; freshly initialised: latency does not depend on the
weights); and onnxruntime's graph-optimisation levels.

    python benchmarks/onnx_latency.py [--model data/models/amplitude-default]
"""

from __future__ import annotations

import argparse
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

from amplitudes.learn.features import KIN_FEATURES
from amplitudes.learn.model import load_regressor
from amplitudes.learn.onnx_export import ExportedRegressor, export_regressor
from symtok.nn.onnx_export import OnnxModel


def timings(fn, repeats: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1e3 * statistics.median(samples), 1e3 * float(np.percentile(samples, 99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="data/models/amplitude-default")
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    model, scale, vocab, _ = load_regressor(args.model)
    wrapper = ExportedRegressor(model, scale).eval()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_regressor(args.model, Path(tmp) / "model.onnx")
        print(
            f"# {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, onnxruntime {__import__('onnxruntime').__version__}; {args.length} tokens, 1 point per row; medians and p99 of {args.repeats}"
        )
        print(f"{'batch':>5} {'threads':>7} {'torch ms (p99)':>16} {'onnx ms (p99)':>16} {'speed-up':>8}")
        for threads in (1, 2):
            torch.set_num_threads(threads)
            session = OnnxModel(path, threads=threads)
            for batch in (1, 64):
                tokens = rng.integers(6, len(vocab), size=(batch, args.length)).astype(np.int64)
                mask = np.ones_like(tokens)
                kin = rng.normal(size=(batch, 1, len(KIN_FEATURES))).astype(np.float32)
                feeds = {"tokens": tokens, "attention_mask": mask, "kinematics": kin}
                t_args = (torch.from_numpy(tokens), torch.from_numpy(mask), torch.from_numpy(kin))

                def run_torch(t_args: tuple = t_args) -> None:
                    with torch.no_grad():
                        wrapper(*t_args)

                t_med, t_p99 = timings(run_torch, args.repeats)
                o_med, o_p99 = timings(lambda s=session, f=feeds: s.run(f), args.repeats)
                print(
                    f"{batch:>5} {threads:>7} {t_med:>8.2f} ({t_p99:>5.2f}) {o_med:>8.2f} ({o_p99:>5.2f}) {t_med / o_med:>8.2f}"
                )
        jet_rows(Path(tmp), args.repeats, rng)
        print("\ngraph optimisation (amplitude regressor, batch 1, 1 thread):")
        tokens = rng.integers(6, len(vocab), size=(1, args.length)).astype(np.int64)
        feeds = {
            "tokens": tokens,
            "attention_mask": np.ones_like(tokens),
            "kinematics": rng.normal(size=(1, 1, len(KIN_FEATURES))).astype(np.float32),
        }
        for level in ("none", "basic", "extended", "all"):
            session = OnnxModel(path, threads=1, optimization=level)
            med, p99 = timings(lambda s=session: s.run(feeds), args.repeats)
            print(f"  {level:9} {med:6.3f} ms (p99 {p99:.3f})")


def jet_rows(tmp: Path, repeats: int, rng: np.random.Generator) -> None:
    from jets.features import FeatureConfig
    from jets.model import JetTagger, TaggerConfig, load_tagger, save_tagger
    from jets.onnx_export import ExportedTagger, export_tagger

    torch.manual_seed(0)
    save_tagger(JetTagger(TaggerConfig(features=FeatureConfig(max_constituents=128))), tmp / "tagger")
    path = export_tagger(tmp / "tagger", tmp / "tagger" / "model.onnx")
    wrapper = ExportedTagger(load_tagger(tmp / "tagger")).eval()
    print("\njet tagger, 128 constituents:")
    print(f"{'batch':>5} {'threads':>7} {'torch ms (p99)':>16} {'onnx ms (p99)':>16} {'speed-up':>8}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        session = OnnxModel(path, threads=threads)
        for batch in (1, 64):
            x = rng.normal(size=(batch, 128, 7)).astype(np.float32)
            mask = np.ones((batch, 128), dtype=np.int64)
            t_args = (torch.from_numpy(x), torch.from_numpy(mask))

            def run_torch(t_args: tuple = t_args) -> None:
                with torch.no_grad():
                    wrapper(*t_args)

            t_med, t_p99 = timings(run_torch, repeats)
            o_med, o_p99 = timings(lambda s=session, f={"features": x, "mask": mask}: s.run(f), repeats)
            print(
                f"{batch:>5} {threads:>7} {t_med:>8.2f} ({t_p99:>5.2f}) {o_med:>8.2f} ({o_p99:>5.2f}) {t_med / o_med:>8.2f}"
            )


if __name__ == "__main__":
    main()
