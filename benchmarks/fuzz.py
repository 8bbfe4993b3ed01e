"""Nightly-sized fuzzing of the text → tokens pipeline (the CI-sized run is tests/symtok/test_fuzz.py):
real and shipped expressions written in every form, then grammar-aware mutations of them. Prints
the counts (accepted, rejected, contract failures), the time per input (median, p99, slowest) and
writes every failure to a JSONL file; exits 1 if there is any.

    python benchmarks/fuzz.py --inputs 100000 --input ../shared/data/symba_qed_raw_dev.txt \
        --input ../shared/data/symba_qcd_raw_dev.txt
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symtok import parse
from symtok.files import data_path, progress_bar
from symtok.io import Row, read_rows
from tests.fuzzing import check, mutate, written_forms


def seeds(paths: list[str]) -> list[str]:
    """Every expression of the files, in every form that can hold it."""
    out: list[str] = []
    for path in paths:
        for row in read_rows(path):
            if not isinstance(row, Row):
                continue
            for text in (row.amplitude, row.squared_amplitude):
                if text:
                    out.extend(written_forms(parse(text)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--input", action="append", help="files of expressions to start from (default: shipped examples)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bound", type=float, default=5.0, help="seconds one input may take")
    ap.add_argument("--failures", default="fuzz-failures.jsonl", help="written only when something fails")
    args = ap.parse_args()
    files = args.input or [str(p) for p in sorted(data_path("examples").glob("*")) if p.suffix in (".txt", ".csv")]
    pool = seeds(files)
    rng = random.Random(args.seed)
    accepted = rejected = 0
    times: list[float] = []
    failures = []
    started = time.perf_counter()
    for k in progress_bar(range(args.inputs), total=args.inputs, desc="fuzz"):
        text = rng.choice(pool)
        if k % 10:  # 1 in 10 inputs is valid text as written; the rest are mutated
            text = mutate(text, rng, rng.randint(1, 6))
        outcome = check(text, args.bound)
        times.append(outcome.seconds)
        accepted += outcome.accepted
        rejected += not outcome.accepted
        if outcome.failure:
            failures.append({"failure": outcome.failure, "text": text[:2000]})
    seconds = time.perf_counter() - started
    if failures:  # a clean run leaves no file behind
        with open(args.failures, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(f) + "\n" for f in failures)
    times.sort()
    print(f"# {len(files)} seed files, {len(pool)} seed expressions; {args.inputs} inputs in {seconds:.0f} s")
    print(f"accepted {accepted}, rejected with SymtokError {rejected}, contract failures {len(failures)}")
    print(
        f"per input: median {1e3 * statistics.median(times):.2f} ms, p99 {1e3 * times[int(0.99 * len(times))]:.1f} ms, "
        f"slowest {times[-1]:.2f} s"
    )
    if failures:
        print(f"failures written to {args.failures}")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
