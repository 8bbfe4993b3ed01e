"""Tokenizer throughput, side by side: parse, normalize, encode and end to end (rows/s, medians),
single process and with workers, and symtok.parse against sympy's parse_expr on the same squared
amplitudes, and each expression form's reader (MARTY, SymPy infix, 2022 prefix, functional) on the
same expressions. Prints a table; --plot writes a bar chart.

    python benchmarks/tokenizer.py                       # shipped examples, MARTY-style renumbered
    python benchmarks/tokenizer.py --input ../shared/data/symba_qed_raw_dev.txt --plot bench.png
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sympy import I
from sympy.core.cache import clear_cache
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

import symtok
from grammar import load_parser
from symtok.convert import write_form
from symtok.errors import SymtokError
from symtok.files import data_path
from symtok.io import Row, encode_file, read_rows
from symtok.parse import FORMS, parse_index
from symtok.symbols import symbol_for
from symtok.vocab import Vocab

_INDEX = re.compile(r"(%\\?[A-Za-z]+_|(?<=[{,])[ijkl]_)([0-9]+)")


def renumber(text: str, rng: random.Random) -> str:
    """Give every index a fresh MARTY-like counter value (a bijection), as a new row would have."""
    mapping: dict[str, str] = {}

    def fresh(m: re.Match[str]) -> str:
        key = m.group(0)
        if key not in mapping:
            mapping[key] = f"{m.group(1)}{rng.randint(1, 99999)}"
        return mapping[key]

    return _INDEX.sub(fresh, text)


def load_rows(path: str, n: int, seed: int) -> list[Row]:
    rows = [r for r in read_rows(path) if isinstance(r, Row)]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        for r in rows:
            out.append(Row(r.line, renumber(r.amplitude, rng), r.squared_amplitude, r.process, r.diagram))
    return out[:n]


def clear_caches() -> None:
    """Start each pass cold: SymPy's constructor cache and symtok's index cache would otherwise
    flatter repeated passes over the same rows (real files have fresh MARTY counters on every row)."""
    clear_cache()
    parse_index.cache_clear()


def rate(fn: Callable[[str], object], items: list, repeats: int) -> float:
    """Median items/s over ``repeats`` passes, each starting with cold caches."""
    times = []
    for _ in range(repeats):
        clear_caches()
        start = time.perf_counter()
        for x in items:
            fn(x)
        times.append(time.perf_counter() - start)
    return len(items) / statistics.median(times)


def sympy_parse_expr(text: str) -> object:
    local = {"i": I, "e": symbol_for("e"), "g": symbol_for("g")}
    return parse_expr(text, local_dict=local, transformations=(*standard_transformations, convert_xor))


def bench_set(name: str, rows: list[Row], repeats: int, workers: list[int]) -> list[tuple[str, str, float]]:
    vocab = Vocab.default()
    amps = [r.amplitude for r in rows]
    parsed = [symtok.parse(a) for a in amps]
    normalized = [symtok.normalize(p) for p in parsed]
    tree_only = load_parser("marty", fast=True)
    results = [
        (name, "lex+parse only, no SymPy (amplitude)", rate(tree_only.parse, amps, repeats)),
        (name, "parse (amplitude)", rate(symtok.parse, amps, repeats)),
        (name, "normalize", rate(symtok.normalize, parsed, repeats)),
        (name, "encode", rate(symtok.encode, normalized, repeats)),
        (name, "end to end (text -> ids)", rate(lambda t: vocab.encode(symtok.tokenize(t)), amps, repeats)),
    ]
    squares = [r.squared_amplitude for r in rows if r.squared_amplitude]
    if squares:
        ours = rate(symtok.parse, squares, repeats)
        theirs = rate(sympy_parse_expr, squares, max(1, repeats // 2))
        results += [(name, "parse (squared amplitude)", ours), (name, "sympy parse_expr (same)", theirs)]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "rows.txt"
        src.write_text(
            "\n".join(f"Interaction: {r.process} : {r.diagram} : {r.amplitude} : {r.squared_amplitude}" for r in rows)
            + "\n"
        )
        for w in workers:
            times = []
            for _ in range(max(1, repeats // 2)):
                report = encode_file(str(src), Path(tmp) / "out.parquet", workers=w)
                times.append(report.seconds)
            results.append(
                (name, f"encode file, {w} worker(s), rows (amp+sqamp)", len(rows) / statistics.median(times))
            )
    return results


def bench_forms(name: str, rows: list[Row], repeats: int) -> list[tuple[str, str, float]]:
    """Each reader on the same expressions written in each form it can hold (rows/s, one core)."""
    results = []
    for what, texts in (
        ("amplitude", [r.amplitude for r in rows]),
        ("squared amplitude", [r.squared_amplitude for r in rows if r.squared_amplitude]),
    ):
        exprs = [symtok.parse(t) for t in texts]
        for form in FORMS:
            try:
                written = [write_form(e, form) for e in exprs]
            except SymtokError:  # e.g. an amplitude has no SymPy or functional form
                continue
            results.append(
                (name, f"read {what}, {form} form", rate(lambda t, f=form: symtok.parse(t, form=f), written, repeats))
            )
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", action="append", help="SYMBA/CSV file(s) to use instead of the shipped examples")
    ap.add_argument("--rows", type=int, default=600, help="rows per set")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", help="write a bar chart (PNG) here")
    args = ap.parse_args()
    sets = (
        [(Path(p).name, p) for p in args.input]
        if args.input
        else [
            ("QED (shipped, renumbered)", str(data_path("examples", "qed_rows.txt"))),
            ("QCD (shipped, renumbered)", str(data_path("examples", "qcd_rows.txt"))),
        ]
    )
    print(
        f"# symtok {symtok.__version__}, Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; medians of {args.repeats} passes"
    )
    results = []
    for name, path in sets:
        rows = load_rows(path, args.rows, args.seed)
        mean_len = statistics.mean(len(r.amplitude) for r in rows)
        print(f"# {name}: {len(rows)} rows, mean amplitude length {mean_len:.0f} characters")
        results += bench_set(name, rows, args.repeats, args.workers)
        results += bench_forms(name, rows, args.repeats)
    width = max(len(s) for _, s, _ in results)
    print(f"\n{'set':<28} {'stage':<{width}} {'rows/s':>10}")
    for name, stage, value in results:
        print(f"{name[:28]:<28} {stage:<{width}} {value:>10.0f}")
    by = {(n, s): v for n, s, v in results}
    print()
    for name, _ in sets:
        if (name, "sympy parse_expr (same)") in by:
            ratio = by[(name, "parse (squared amplitude)")] / by[(name, "sympy parse_expr (same)")]
            print(f"{name}: symtok.parse is {ratio:.1f}x sympy parse_expr on the same squared amplitudes")
    if args.plot:
        plot(results, args.plot)


def plot(results: list[tuple[str, str, float]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(n for n, _, _ in results))
    fig, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        rows = [(s, v) for n, s, v in results if n == name]
        ax.barh([s for s, _ in rows], [v for _, v in rows])
        ax.set_xscale("log")
        ax.set_xlabel("rows/s (median)")
        ax.set_title(name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
