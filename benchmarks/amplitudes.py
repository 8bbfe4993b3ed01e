"""Amplitude generator speed, side by side: generating the full QED, QCD and mixed 2→2 sets
(processes/s, diagram rows/s, 1 and 2 workers; with --offshell also every OffShell pattern; with
--2to3 also the full 2→3 sets and the symbolic |M_d|^2 time per 2→3 diagram), the whole corpus on
2 workers (--corpus), and |M|^2 per phase-space point from the symbolic result (lambdified) vs the
independent numeric evaluator (medians).

    python benchmarks/amplitudes.py [--offshell] [--2to3] [--corpus]
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
from amplitudes.physics.me2 import me2, symbolic, symbolic_per_diagram
from amplitudes.physics.numeric import me2_numeric
from amplitudes.physics.squared import _trace, diagram_squares
from amplitudes.physics.theory import enumerate_processes


def clear_caches() -> None:
    symbolic.cache_clear()
    symbolic_per_diagram.cache_clear()
    _trace.cache_clear()


def fresh_generate(theory: str, workers: int, offshell: bool = False, n_out: int = 2) -> tuple[float, int, int]:
    """Seconds, processes and rows for the full set, with empty caches (a new process would have)."""
    clear_caches()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = generate(theory, Path(tmp) / "out.txt", workers=workers, offshell=offshell, n_out=(n_out,))
        return time.perf_counter() - start, report.processes, report.rows


def diagram_seconds(theory: str, count: int, rng: random.Random) -> list[float]:
    """Seconds per diagram of the symbolic per-diagram |M_d|^2 of ``count`` random 2→3 processes."""
    out = []
    for process in rng.sample(enumerate_processes(theory, 3), count):
        clear_caches()
        start = time.perf_counter()
        squares = diagram_squares(process, theory)
        out.append((time.perf_counter() - start) / len(squares))
    return out


def corpus_time(workers: int) -> tuple[float, int, dict]:
    """Seconds, rows and the manifest's per-theory counts and token lengths of the whole corpus (QED,
    QCD, mixed; all orderings; every OffShell pattern)."""
    import json

    from amplitudes.corpus import CorpusConfig, build_corpus

    clear_caches()
    config = CorpusConfig(theories=("qed", "qcd", "mixed"), offshell=True, orderings="all")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = build_corpus(config, tmp, workers=workers)
        seconds = time.perf_counter() - start
        manifest = json.loads(Path(report.manifest or "").read_text())
        return seconds, report.rows, manifest["by_theory"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--offshell", action="store_true", help="also the sets with every OffShell pattern (1 run each)")
    ap.add_argument("--corpus", action="store_true", help="also time the whole corpus on 2 workers (1 run)")
    ap.add_argument("--2to3", dest="two_to_three", action="store_true", help="also the 2→3 sets (1 run each)")
    args = ap.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; medians of {args.repeats}"
    )
    print(
        f"{'theory':6} {'legs':8} {'workers':>7} {'processes':>9} {'rows':>6} {'seconds':>8} {'processes/s':>12} "
        f"{'rows/s':>7} {'rows/s/worker':>13}"
    )
    for offshell in (False, True) if args.offshell else (False,):
        for theory in ("qed", "qcd", "mixed"):
            for workers in (1, 2):
                runs = [fresh_generate(theory, workers, offshell) for _ in range(1 if offshell else args.repeats)]
                seconds = statistics.median(r[0] for r in runs)
                _, n_proc, n_rows = runs[0]
                legs = "offshell" if offshell else "on-shell"
                print(
                    f"{theory:6} {legs:8} {workers:>7} {n_proc:>9} {n_rows:>6} {seconds:>8.2f} {n_proc / seconds:>12.1f} "
                    f"{n_rows / seconds:>7.1f} {n_rows / seconds / workers:>13.1f}"
                )
    if args.two_to_three:
        for theory in ("qed", "qcd", "mixed"):
            for workers in (1, 2):
                seconds, n_proc, n_rows = fresh_generate(theory, workers, n_out=3)
                print(
                    f"{theory:6} {'2to3':8} {workers:>7} {n_proc:>9} {n_rows:>6} {seconds:>8.2f} "
                    f"{n_proc / seconds:>12.1f} {n_rows / seconds:>7.1f} {n_rows / seconds / workers:>13.1f}"
                )
        rng = random.Random(0)
        print(f"\n{'theory':6} symbolic |M_d|^2 per 2→3 diagram, s (median / max over 20 random processes)")
        for theory in ("qed", "qcd", "mixed"):
            times = diagram_seconds(theory, 20, rng)
            print(f"{theory:6} {statistics.median(times):.3f} / {max(times):.3f}")
    if args.corpus:
        seconds, rows, by_theory = corpus_time(2)
        print(
            f"\ncorpus (qed,qcd,mixed; all orderings; OffShell): {rows} rows in {seconds:.0f} s on 2 workers "
            f"({rows / seconds:.0f} rows/s)"
        )
        print(f"{'theory':6} {'rows':>6}  amplitude tokens p50/p90/p99/max  squared tokens p50/p90/p99/max")
        for theory, info in by_theory.items():
            a, q = info["amplitude_tokens"], info["squared_amplitude_tokens"]
            amp = f"{a['p50']}/{a['p90']}/{a['p99']}/{a['max']}"
            print(f"{theory:6} {info['rows']:>6}  {amp:<32} {q['p50']}/{q['p90']}/{q['p99']}/{q['max']}")
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
    counts = {t: len(enumerate_processes(t)) for t in ("qed", "qcd", "mixed")}
    print(f"\n(enumeration: {counts['qed']} QED, {counts['qcd']} QCD and {counts['mixed']} mixed processes)")


if __name__ == "__main__":
    main()
