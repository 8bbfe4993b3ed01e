"""The regression surrogate on real SYMBA rows: each row's predicted |M|^2 against the row's own
squared amplitude (e = g = 1, reg_prop = 0), at √s = r · ref (ref = 5 % above the row's threshold,
at least 1 GeV) and cos θ in a fixed set, for one or more models side by side in one run.

Real rows are single diagrams; every one is evaluated on shell (an OffShell leg at p_i^2 = m_i^2).
A point where the row's own value is not positive (one diagram's square in Feynman gauge) is counted
apart: log10 |M|^2 cannot be right there.

    python benchmarks/surrogate_real_rows.py [--model DIR ...] [--file ROWS.txt ...] [--limit N] [--plot PNG]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amplitudes.corpus import family
from amplitudes.learn.predict import check_surrogate_rows, default_model_dir

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = ("symba_qed_raw_dev.txt", "symba_qcd_raw_dev.txt", "symba2025_qed_raw_train.txt")


def held_out_families(model_dir: str) -> set[str]:
    """The process families the model was not trained on (its metrics.json), or none if it names none."""
    path = Path(model_dir) / "metrics.json"
    if not path.exists():
        path = Path(model_dir) / "checkpoint" / "metrics.json"
    try:
        return set(json.loads(path.read_text()).get("test_families", []))
    except (OSError, ValueError):
        return set()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", help="model directory (repeat; default: the shipped model)")
    ap.add_argument("--file", action="append", help=f"SYMBA rows (repeat; default: {', '.join(FILES)} in shared/data)")
    ap.add_argument("--energies", default="1.2,3,30", help="√s as multiples of the row's reference energy")
    ap.add_argument("--cosines", default="-0.5,0.3")
    ap.add_argument("--limit", type=int, default=None, help="at most this many rows per file")
    ap.add_argument("--plot", help="write a histogram of log10(prediction / exact) here")
    args = ap.parse_args()
    models = args.model or [str(default_model_dir())]
    files = args.file or [str(SHARED / f) for f in FILES if (SHARED / f).exists()]
    if not files:
        sys.exit("no SYMBA rows: give --file (shared/data is absent)")
    energies = tuple(float(x) for x in args.energies.split(","))
    cosines = tuple(float(x) for x in args.cosines.split(","))
    print(f"points per row: sqrt_s/ref in {energies} x cos_theta in {cosines}")
    print("held out: rows of process families the model's own metrics.json lists as test_families")
    print(
        "| model | rows | families | rows unreadable | points | value <= 0 | median rel. error | p90 | within 10% | s |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    ratios: dict[str, list[float]] = {}
    for f in files:
        for m in models:
            started = time.perf_counter()
            errors: list[tuple[int, str]] = []
            checks = check_surrogate_rows(
                f, model_dir=m, energies=energies, cosines=cosines, limit=args.limit, errors=errors
            )
            seconds = time.perf_counter() - started
            held = held_out_families(m)
            groups = {"all": checks}
            if held:
                groups["held out"] = [c for c in checks if family(c.process) in held]
                groups["trained on"] = [c for c in checks if family(c.process) not in held]
            for group, part in groups.items():
                rel = np.array([c.rel_error for c in part if c.rel_error is not None])
                nonpos = sum(c.rel_error is None for c in part)
                if group == "all":
                    ratios.setdefault(Path(m).name, []).extend(
                        float(np.log10(c.prediction / c.exact)) for c in part if c.rel_error is not None
                    )
                med, p90, within = (
                    (f"{np.median(rel):.1%}", f"{np.percentile(rel, 90):.1%}", f"{(rel <= 0.1).mean():.1%}")
                    if len(rel)
                    else ("-", "-", "-")
                )
                print(
                    f"| {Path(m).name} | {Path(f).name} | {group} | {len(errors)} | {len(part)} | {nonpos} | "
                    f"{med} | {p90} | {within} | {seconds:.0f} |"
                )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name, values in ratios.items():
            ax.hist(np.clip(values, -2, 2), bins=80, histtype="step", label=name)
        ax.set_xlabel("log10(predicted / row's own |M|^2), clipped to ±2")
        ax.set_ylabel("points")
        ax.set_title("regression surrogate on real SYMBA rows")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
