"""Normalization time against input length, the two index refinements side by side in one run:
rounds of global signatures (used up to symtok.normalize.ROUND_REFINEMENT_MAX indices) and the
worklist refinement (used beyond). Inputs are the long cases an adversary or a 2→3 generator writes:
a MARTY chain of gamma matrices, a trace of identical slashed momenta (every index symmetric), and
a trace alternating gamma^mu and a slashed momentum, each up to the 200,000-character input limit.

    python benchmarks/normalize.py [--max-chars 200000] [--round-limit 20] [--plot PNG]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symtok import normalize, parse
from symtok.indices import Index

N = import_module("symtok.normalize")


def gamma_chain(n: int) -> str:
    parts = [f"gamma_{{%mu_{k // 2},%d_{k},%d_{k + 1}}}" for k in range(n)]
    return "*".join(parts) + f"*e_{{i_1,%d_0}}(p_1)_u*e_{{i_2,%d_{n}}}(p_2)_u^(*)"


def slash_trace(n: int) -> str:
    return "Tr(" + ", ".join(["slash(p1)"] * n) + ")"


def mixed_trace(n: int) -> str:
    return "Tr(" + ", ".join("slash(p1)" if k % 2 else f"gamma_mu{k // 2}" for k in range(n)) + ")"


FAMILIES: dict[str, Callable[[int], str]] = {
    "gamma chain": gamma_chain,
    "Tr(slash(p1) x n)": slash_trace,
    "Tr(gamma, slash, ...)": mixed_trace,
}


@contextmanager
def refinement(name: str):
    old = N.ROUND_REFINEMENT_MAX
    N.ROUND_REFINEMENT_MAX = 10**9 if name == "rounds" else 0
    try:
        yield
    finally:
        N.ROUND_REFINEMENT_MAX = old


def seconds(expr, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        normalize(expr)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-chars", type=int, default=200_000)
    ap.add_argument("--round-limit", type=float, default=20.0, help="stop timing the rounds past this many seconds")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--plot")
    args = ap.parse_args()
    print("| input | n | characters | indices | rounds (s) | worklist (s) | rounds / worklist |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    curves: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for family, make in FAMILIES.items():
        n, round_slow = 25, False
        while len(make(n)) <= args.max_chars:
            text = make(n)
            expr = parse(text)
            indices = len({i.key for i in expr.atoms(Index)})
            row = {}
            for name in ("rounds", "worklist"):
                if name == "rounds" and round_slow:
                    continue
                with refinement(name):
                    row[name] = seconds(expr, 1 if name == "rounds" and n > 400 else args.repeats)
                curves.setdefault((family, name), []).append((len(text), row[name]))
            round_slow = round_slow or row.get("rounds", 0.0) > args.round_limit / 4
            r, w = row.get("rounds"), row["worklist"]
            rounds = f"{r:.3f}" if r is not None else "-"
            ratio = f"{r / w:.1f}" if r is not None else "-"
            print(f"| {family} | {n} | {len(text):,} | {indices} | {rounds} | {w:.3f} | {ratio} |", flush=True)
            n *= 2
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for (family, name), points in curves.items():
            xs, ys = zip(*points, strict=True)
            ax.loglog(xs, ys, marker="o", linestyle="-" if name == "worklist" else "--", label=f"{family}, {name}")
        ax.set_xlabel("input characters")
        ax.set_ylabel("normalize (s, median)")
        ax.set_title("index normalization: rounds vs worklist refinement")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
