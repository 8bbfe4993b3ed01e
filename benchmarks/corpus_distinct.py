"""Rows of one or more corpus directories (a corpus grown in stages), and how many have distinct
canonical tokens, per theory: the number that counts for a SYMBA-sized corpus.

    python benchmarks/corpus_distinct.py DIR [DIR ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amplitudes.corpus import distinct_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directories", nargs="+")
    args = ap.parse_args()
    start = time.perf_counter()
    counts = distinct_rows(args.directories)
    print(f"{'theory':6} {'rows':>9} {'distinct rows':>14} {'distinct amplitudes':>20}")
    for theory, c in counts.items():
        print(f"{theory:6} {c['rows']:>9,} {c['distinct_rows']:>14,} {c['distinct_amplitudes']:>20,}")
    print(f"({len(args.directories)} directories, {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
