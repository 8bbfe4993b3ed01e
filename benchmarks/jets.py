"""Jet pipeline speed, side by side in one run: generation per worker (events/s and accepted jets/s
for each recipe and label), feature preparation (jets/s, with and without C/A subjets), and training
throughput (jets/s) of the Encoder tagger (FAVOR+ and softmax attention), the Deep Sets baseline and
the jet JEPA, with features prepared once vs recomputed in every batch. Medians over timed windows.

    python benchmarks/jets.py                              # generated sample of 2,000 q/g jets
    python benchmarks/jets.py --data qg.parquet --plot docs/img/jets-throughput.png
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generation(jets: int) -> list[dict]:
    """One worker, one seeded chunk per recipe and label: Pythia events per second and accepted jets per second."""
    from jets.generate import generate_chunk

    rows = []
    for kind in ("qg", "top"):
        for label in (1, 0):
            t = time.perf_counter()
            got = generate_chunk(kind, label, 12345, 0, jets)
            sec = time.perf_counter() - t
            events = got[-1]["event"]
            rows.append(
                {
                    "kind": kind,
                    "label": label,
                    "events_per_s": events / sec,
                    "jets_per_s": len(got) / sec,
                    "acceptance": len(got) / events,
                }
            )
    return rows


def _load(path: str | None, n: int) -> list:
    import pyarrow.parquet as pq

    if path is None:
        from jets.generate import generate_jets

        path = str(Path(tempfile.mkdtemp()) / "qg.parquet")
        generate_jets("qg", n, path, workers=os.cpu_count() or 1, seed=99)
    return list(pq.read_table(path).to_pandas().itertuples())[:n]


def preparation(jets: list, config) -> dict[str, float]:
    from jets.features import prepare_jets

    out = {}
    for with_subjets in (False, True):
        t = time.perf_counter()
        prepare_jets(jets, config.features, with_subjets=with_subjets)
        out["with subjets" if with_subjets else "features only"] = len(jets) / (time.perf_counter() - t)
    return out


def training(jets: list, config, batch: int, steps: int, windows: int) -> list[dict]:
    """Jets/s of optimizer steps (forward, backward, AdamW) for each model, prepared vs on-the-fly batches."""
    import torch

    from jets.features import make_batch, pad_batch, prepare_jets
    from jets.model import DeepSets, JetTagger, TaggerConfig
    from jets.train import jet_jepa_config
    from symtok.nn.encoder import Encoder
    from symtok.nn.jepa import JEPA
    from symtok.nn.masks import group_mask

    prepared = prepare_jets(jets, config.features, with_subjets=True)
    gen = torch.Generator().manual_seed(0)

    def tensors(b):
        return {k: torch.from_numpy(getattr(b, k)) for k in ("features", "padding", "groups", "hints", "labels")}

    def classifier_step(model, opt, t):
        logits = model(t["features"], t["padding"])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, t["labels"].float())
        opt.zero_grad()
        loss.backward()
        opt.step()

    def jepa_step(model, opt, t):
        target = group_mask(t["groups"], target_frac=0.3, generator=gen)
        out = model(t["features"], target, t["padding"], hints=t["hints"], generator=gen)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        model.update_target(0.996)

    models = {
        "Encoder tagger (FAVOR+)": (lambda: JetTagger(config), classifier_step),
        "Encoder tagger (softmax)": (
            lambda: JetTagger(TaggerConfig(features=config.features, attention="softmax")),
            classifier_step,
        ),
        "Deep Sets": (lambda: DeepSets(len(config.features.names)), classifier_step),
        "jet JEPA (FAVOR+)": (lambda: JEPA(Encoder(config.encoder()), jet_jepa_config(config)), jepa_step),
    }
    rows = []
    for name, (build, step) in models.items():
        torch.manual_seed(0)
        model = build()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        with_subjets = step is jepa_step
        row = {"model": name}
        for mode in ("prepared once", "per batch"):
            rates = []
            cursor = 0
            for w in range(windows + 1):
                t0 = time.perf_counter()
                for _ in range(steps):
                    items = [jets, prepared][mode == "prepared once"][cursor : cursor + batch]
                    cursor = (cursor + batch) % max(1, len(jets) - batch)
                    b = (
                        pad_batch(items)
                        if mode == "prepared once"
                        else make_batch(items, config.features, with_subjets=with_subjets)
                    )
                    step(model, opt, tensors(b))
                if w:  # the first window warms up
                    rates.append(steps * batch / (time.perf_counter() - t0))
            row[mode] = statistics.median(rates)
        row["ratio"] = row["prepared once"] / row["per batch"]
        rows.append(row)
        print(
            f"{name:26} {row['prepared once']:8.0f} jets/s prepared once  {row['per batch']:8.0f} jets/s per batch  x{row['ratio']:.2f}",
            flush=True,
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="Parquet from `symtok jets generate --kind qg` (default: generate 2,000 jets)")
    ap.add_argument("--jets", type=int, default=2000, help="jets used for preparation and training")
    ap.add_argument("--generation-jets", type=int, default=100, help="accepted jets per recipe and label")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5, help="optimizer steps per timed window")
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--pid", action="store_true", help="particle-type one-hots in the features")
    ap.add_argument("--max-constituents", type=int, default=128)
    ap.add_argument("--skip-generation", action="store_true")
    ap.add_argument("--plot")
    ap.add_argument("--json")
    args = ap.parse_args()

    import torch

    from jets.features import FeatureConfig
    from jets.model import TaggerConfig

    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )
    report: dict = {}
    if not args.skip_generation:
        print(f"## generation, one worker, {args.generation_jets} accepted jets per recipe and label")
        report["generation"] = generation(args.generation_jets)
        for r in report["generation"]:
            print(
                f"{r['kind']:4} label {r['label']}  {r['events_per_s']:7.1f} events/s  {r['jets_per_s']:6.1f} jets/s  acceptance {r['acceptance']:.3f}"
            )
    jets = _load(args.data, args.jets)
    config = TaggerConfig(features=FeatureConfig(max_constituents=args.max_constituents, use_pid=args.pid))
    print(f"## feature preparation, {len(jets)} jets, up to {args.max_constituents} constituents")
    report["preparation"] = preparation(jets, config)
    for k, v in report["preparation"].items():
        print(f"{k:14} {v:8.0f} jets/s")
    print(f"## training throughput, batch {args.batch}, medians of {args.windows} windows of {args.steps} steps")
    report["training"] = training(jets, config, args.batch, args.steps, args.windows)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.plot:
        plot(report["training"], args.plot)


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["prepared once"] for r in rows], 0.4, label="features prepared once")
    ax.bar(x + 0.2, [r["per batch"] for r in rows], 0.4, label="features per batch")
    ax.set_xticks(x, [r["model"] for r in rows], rotation=15, fontsize=8)
    ax.set_ylabel("training jets / s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
