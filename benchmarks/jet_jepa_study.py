"""Jet-JEPA variants side by side: collapse monitors and the linear-probe AUC of frozen pooled
embeddings after pretraining, against the same encoder at random initialisation.

    symtok jets generate --kind qg --n 40000 -o qg.parquet --workers 2
    python benchmarks/jet_jepa_study.py qg.parquet --steps 600 --variants plain,vicreg,vicreg-light [--max-constituents 64]

Every variant pretrains on the training split (75%, the split of `symtok jets report`) from the
same seed; the probe is a logistic regression on 5,000 training and 5,000 test jets.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = {
    "plain": {},
    "vicreg": {"variance_weight": 1.0, "covariance_weight": 0.04},
    "vicreg-light": {"variance_weight": 0.1, "covariance_weight": 0.004},
    "ema-0.99": {"ema_start": 0.99},
    "wide-predictor": {"predictor_dim": 64, "predictor_depth": 2},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--variants", default="plain,vicreg")
    ap.add_argument("--probe-jets", type=int, default=5000)
    ap.add_argument("--no-pid", action="store_true")
    ap.add_argument("--max-constituents", type=int, default=128)
    ap.add_argument("--json")
    args = ap.parse_args()

    import pyarrow.parquet as pq
    import torch

    from jets.evaluate import embeddings, linear_probe
    from jets.features import FeatureConfig, prepare_jets
    from jets.io import split
    from jets.model import JetTagger, TaggerConfig
    from jets.train import jet_jepa_config, load_pretrained
    from jets.train import pretrain_jepa as pretrain
    from symtok.nn.jepa import effective_rank, embedding_std
    from symtok.nn.train import TrainConfig

    train, test = split(list(pq.read_table(args.data).to_pandas().itertuples()), 0.25, 0)
    config = TaggerConfig(features=FeatureConfig(max_constituents=args.max_constituents, use_pid=not args.no_pid))
    prepared = prepare_jets(train, config.features, with_subjets=True, progress=True)
    probe_train = prepared[: args.probe_jets]
    probe_test = prepare_jets(test[: args.probe_jets], config.features, with_subjets=False)

    def row(name: str, tagger: JetTagger, extra: dict) -> dict:
        z = torch.from_numpy(embeddings(tagger, probe_test[:512]))
        r = {
            "variant": name,
            "probe_auc": linear_probe(tagger, probe_train, probe_test),
            "embedding_std": embedding_std(z),
            "effective_rank": effective_rank(z),
            "centered_rank": effective_rank(z - z.mean(dim=0)),
            **extra,
        }
        print(
            f"{name:16} probe AUC {r['probe_auc']:.4f}  std {r['embedding_std']:.4f}  rank {r['effective_rank']:5.2f}"
            f"  centered rank {r['centered_rank']:5.2f}  {json.dumps(extra)}",
            flush=True,
        )
        return r

    print(f"# {len(prepared)} training jets, {args.steps} steps at lr {args.lr}, batch 64; probe on {len(probe_test)}")
    torch.manual_seed(0)
    rows = [row("random init", JetTagger(config), {})]
    work = Path(tempfile.mkdtemp())
    for name in args.variants.split(","):
        torch.manual_seed(0)
        t = time.perf_counter()
        ckpt = pretrain(
            prepared,
            config,
            TrainConfig(
                steps=args.steps,
                batch_size=64,
                lr=args.lr,
                warmup_steps=max(1, args.steps // 20),
                log_every=max(1, args.steps // 10),
                progress=False,
            ),
            work / name,
            jepa=replace(jet_jepa_config(config), **VARIANTS[name]),
        )
        seconds = time.perf_counter() - t
        last = json.loads((work / name / "metrics.jsonl").read_text().splitlines()[-1])
        torch.manual_seed(0)
        tagger = JetTagger(config)
        load_pretrained(tagger, ckpt)
        rows.append(row(name, tagger, {"latent_loss": round(last["latent_loss"], 4), "pretrain_s": round(seconds, 1)}))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
