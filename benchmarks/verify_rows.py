"""The numeric check of a squared amplitude against its own amplitude text (amplitudes.physics.verify),
run over whole files of real MARTY rows: how many rows pass, fail or cannot be checked, and the time
per row (median and 99th percentile). A pass rate of 100 % on rows nobody generated here is what
lets verified decoding trust the check.

    python benchmarks/verify_rows.py [FILES...] [--points 2] [--limit N] [--plot PNG]

Default files: every real row set in ../shared/data that exists (raw rows: OffShell legs from their
header; the 2025 benchmark's CSVs: read from s_ii).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amplitudes.symba import verify_pair_rows

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT = (
    "symba_qed_raw_dev.txt",
    "symba_qcd_raw_dev.txt",
    "symba2025_qed_raw_train.txt",
    "symba2025_train.csv",
    "symba_qed_normalized_dev.csv",
)
STATUSES = ("pass", "fail", "uncheckable", "error")


def measure(path: str, points: int, limit: int | None) -> tuple[Counter, list[float]]:
    counts: Counter = Counter()
    seconds: list[float] = []
    rows = verify_pair_rows(path, points)
    while limit is None or len(seconds) < limit:
        start = time.perf_counter()
        try:
            result = next(rows)
        except StopIteration:
            break
        seconds.append(time.perf_counter() - start)
        counts[result.status] += 1
    return counts, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--points", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="only the first N rows of each file")
    ap.add_argument("--plot", default=None, help="write a bar plot of the outcomes here")
    args = ap.parse_args()
    files = args.files or [str(SHARED / f) for f in DEFAULT if (SHARED / f).exists()]
    if not files:
        sys.exit("no files given and none in ../shared/data")
    results = []
    print(f"| file | rows | {' | '.join(STATUSES)} | pass % | ms/row p50 | ms/row p99 |")
    print("|---|---:|" + "---:|" * (len(STATUSES) + 3))
    for path in files:
        counts, seconds = measure(path, args.points, args.limit)
        n = sum(counts.values())
        ms = 1000 * np.asarray(seconds or [0.0])
        results.append((Path(path).name, counts, n))
        cells = " | ".join(str(counts[s]) for s in STATUSES)
        print(
            f"| {Path(path).name} | {n} | {cells} | {100 * counts['pass'] / max(1, n):.2f} "
            f"| {np.median(ms):.1f} | {np.percentile(ms, 99):.1f} |",
            flush=True,
        )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3.5))
        left = np.zeros(len(results))
        for status in STATUSES:
            share = np.array([100 * c[status] / max(1, n) for _, c, n in results])
            ax.barh([name for name, _, _ in results], share, left=left, label=status)
            left += share
        ax.set_xlabel("% of rows")
        ax.set_title("squared amplitude vs its amplitude's own |A|^2 (real MARTY rows)")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
