"""Amplitude generator speed, side by side: generating the full QED and QCD 2→2 sets (processes/s,
diagrams/s, 1 and 2 workers), and |M|^2 per phase-space point from the symbolic result
(lambdified) vs the independent numeric evaluator (medians).

    python benchmarks/amplitudes.py
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amplitudes.generate import generate
from amplitudes.physics.me2 import me2, symbolic
from amplitudes.physics.numeric import me2_numeric
from amplitudes.physics.theory import enumerate_processes


def fresh_generate(theory: str, workers: int) -> tuple[float, int, int]:
    """Seconds, processes and rows for the full set, with empty caches (a new process would have)."""
    symbolic.cache_clear()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = generate(theory, Path(tmp) / "out.txt", workers=workers)
        return time.perf_counter() - start, report.processes, report.rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; medians of {args.repeats}"
    )
    print(
        f"{'theory':6} {'workers':>7} {'processes':>9} {'rows':>5} {'seconds':>8} {'processes/s':>12} {'diagrams/s':>11}"
    )
    for theory in ("qed", "qcd"):
        for workers in (1, 2):
            runs = [fresh_generate(theory, workers) for _ in range(args.repeats)]
            seconds = statistics.median(r[0] for r in runs)
            _, n_proc, n_rows = runs[0]
            print(
                f"{theory:6} {workers:>7} {n_proc:>9} {n_rows:>5} {seconds:>8.2f} {n_proc / seconds:>12.1f} {n_rows / seconds:>11.1f}"
            )
    print()
    print(f"{'process':18} {'symbolic pts/s':>15} {'numeric pts/s':>14} {'ratio':>6}")
    rng = random.Random(0)
    for process, theory in (
        ("e+ e- > mu+ mu-", "qed"),
        ("e- a > e- a", "qed"),
        ("u u~ > g g", "qcd"),
        ("g g > g g", "qcd"),
    ):
        points = [(rng.uniform(20, 200), rng.uniform(-0.95, 0.95)) for _ in range(args.points)]
        me2(process, 50.0, 0.1, theory=theory)  # compile once
        rates = []
        for fn in (me2, me2_numeric):
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                for sqrt_s, cos in points:
                    fn(process, sqrt_s, cos, theory=theory)
                times.append(time.perf_counter() - start)
            rates.append(len(points) / statistics.median(times))
        print(f"{process:18} {rates[0]:>15.0f} {rates[1]:>14.0f} {rates[0] / rates[1]:>6.1f}")
    print(f"\n(enumeration: {len(enumerate_processes('qed'))} QED and {len(enumerate_processes('qcd'))} QCD processes)")


if __name__ == "__main__":
    main()
