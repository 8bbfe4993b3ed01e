"""Every expression form on real rows: each expression written in every form that can hold it, read
back by symtok (the same tree; for the functional form the same tree after normalization) and, for
the SymPy form, by sympy.parse_expr (the same value at random points). Prints counts per form and
the writers' and readers' rows/s.

    python benchmarks/forms.py ../shared/data/symba_qed_raw_dev.txt ../shared/data/symba2025_train.csv
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sympy

import symtok
from symtok.convert import write_form
from symtok.errors import SymtokError
from symtok.io import Row, read_rows
from symtok.parse import FORMS


def value_at(expr: sympy.Expr, rng: random.Random) -> complex:
    """``expr`` at a random rational point, symbols matched by name."""
    names = sorted({s.name for s in expr.free_symbols})
    values = {n: sympy.Rational(rng.randint(1, 997), rng.randint(1, 97)) for n in names}
    return complex(expr.xreplace({s: values[s.name] for s in expr.free_symbols}))


def check(path: str, limit: int | None) -> None:
    rows = [r for r in read_rows(path) if isinstance(r, Row)][:limit]
    counts: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    for row in rows:
        for what, text in (("amplitude", row.amplitude), ("squared", row.squared_amplitude)):
            if not text:
                continue
            expr = symtok.parse(text)
            for form in FORMS:
                key = f"{what} {form}"
                start = time.perf_counter()
                try:
                    written = write_form(expr, form)
                except SymtokError:
                    counts[f"{key}: no such form"] += 1
                    continue
                seconds[f"{key} write"] += time.perf_counter() - start
                start = time.perf_counter()
                back = symtok.parse(written, form=form)
                seconds[f"{key} read"] += time.perf_counter() - start
                same = back == expr if form != "functional" else symtok.normalize(back) == symtok.normalize(expr)
                counts[f"{key}: {'same tree' if same else 'DIFFERENT TREE'}"] += 1
                if form == "sympy":
                    theirs = sympy.parse_expr(written)
                    try:
                        ours_value = value_at(expr, random.Random(1))
                        ok = abs(value_at(theirs, random.Random(1)) - ours_value) <= 1e-9 * max(1.0, abs(ours_value))
                    except (ZeroDivisionError, TypeError):
                        ok = True  # a pole of both at this point
                    counts[f"{key}: parse_expr {'same value' if ok else 'DIFFERENT VALUE'}"] += 1
    print(f"# {path}: {len(rows)} rows")
    for key in sorted(counts):
        print(f"  {key:<58} {counts[key]:>7}")
    for key in sorted(seconds):
        n = sum(v for k, v in counts.items() if k.startswith(key.rsplit(" ", 1)[0] + ": same"))
        print(f"  {key:<58} {n / seconds[key]:>7.0f} expr/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--limit", type=int, help="first N rows of each file")
    args = ap.parse_args()
    for path in args.inputs:
        check(path, args.limit)


if __name__ == "__main__":
    main()
