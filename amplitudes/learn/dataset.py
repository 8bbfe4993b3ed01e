"""Regression datasets: amplitude tokens + kinematic points → exact log10 |M|^2.

Rows come from any SYMBA-format file (``symtok amplitudes generate`` output or SYMBA's own). For
each row, K centre-of-mass points are drawn (sqrt_s log-uniform above threshold, cos theta
uniform) and the target is evaluated exactly from the row's squared amplitude with MARTY's
convention s_ij = p_i·p_j (docs/physics.md), couplings e = g = 1 and reg_prop = 0. Splits are fixed
by the seed: whole processes held out (unseen processes), and held-out points of the others.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field

import numpy as np
from sympy import lambdify

from amplitudes.corpus import family
from amplitudes.learn.features import KIN_FEATURES, check_features, kinematic_features, reference_energy
from amplitudes.physics.me2 import point_values
from amplitudes.physics.process import Process
from amplitudes.symba import process_of_interaction
from symtok import tokenize
from symtok.config import Config
from symtok.errors import SymtokError
from symtok.io import BadRow, read_rows
from symtok.parse import parse
from symtok.vocab import Vocab

log = logging.getLogger(__name__)

__all__ = [
    "KIN_FEATURES",
    "SPLITS",
    "AmplitudeDataset",
    "DatasetConfig",
    "Example",
    "build_dataset",
    "kinematic_features",
    "reference_energy",
]

SPLITS = ("train", "test_points", "test_processes")


@dataclass(frozen=True)
class DatasetConfig(Config):
    """How points are drawn and how the splits are made."""

    points_per_row: int = 16
    sqrt_s_span: float = 20.0  # sqrt_s log-uniform in [ref, span * ref], ref = max(1.05 threshold, 1 GeV)
    kin_features: tuple[str, ...] = KIN_FEATURES  # the model's kinematic inputs (amplitudes.learn.features)
    cos_max: float = 0.95
    test_process_fraction: float = 0.2
    test_point_fraction: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "kin_features", check_features(self.kin_features))


@dataclass
class Example:
    """One row: its tokens, and K points with kinematic features, targets and split names."""

    process: str
    amplitude: str
    tokens: list[int]
    kin: np.ndarray  # (K, len(config.kin_features)) float32
    target: np.ndarray  # (K,) log10 |M|^2
    split: list[str]
    points: np.ndarray  # (K, 2): sqrt_s (GeV), cos_theta of each point


@dataclass
class AmplitudeDataset:
    """Examples plus what was skipped and why (rows in = rows used + rows skipped)."""

    examples: list[Example]
    config: DatasetConfig
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def processes(self, split: str) -> list[str]:
        return sorted({e.process for e in self.examples if split in e.split})

    def families(self, split: str) -> list[str]:
        """The process families (every ordering and OffShell pattern of a process) with points in ``split``."""
        return sorted({family(e.process) for e in self.examples if split in e.split})


def draw_point(process: Process, rng: random.Random, config: DatasetConfig) -> tuple[float, float]:
    ref = reference_energy(process)
    return ref * math.exp(rng.uniform(0.0, math.log(config.sqrt_s_span))), rng.uniform(-config.cos_max, config.cos_max)


def build_dataset(path: str, config: DatasetConfig | None = None, vocab: Vocab | None = None) -> AmplitudeDataset:
    """Examples of every usable row of a SYMBA-format file or a corpus shard (Parquet); unusable rows
    are listed with the reason."""
    config = config or DatasetConfig()
    vocab = vocab or Vocab.default()
    rng = random.Random(config.seed)
    rows = list(read_rows(path, "parquet" if str(path).endswith(".parquet") else "symba"))
    processes = sorted({r.process for r in rows if not isinstance(r, BadRow)}, key=str)
    names: dict[str, str] = {}
    skipped: list[tuple[int, str]] = []
    for text in processes:
        try:  # a SYMBA interaction field, or a process as corpus shards hold it ("u g > u a*")
            names[text] = str(Process.parse(text) if text and " > " in text else process_of_interaction(text or ""))
        except SymtokError as err:
            names[text] = ""
            log.warning("%s", err)
    # whole families are held out: a process in every ordering and pattern of OffShell legs
    distinct = sorted({family(n) for n in names.values() if n})
    random.Random(config.seed).shuffle(distinct)
    held_out = set(distinct[: round(config.test_process_fraction * len(distinct))])
    examples = []
    for row in rows:
        if isinstance(row, BadRow):
            skipped.append((row.line, row.reason))
            continue
        name = names.get(row.process, "")
        if not name:
            skipped.append((row.line, "cannot read the process of the interaction field"))
            continue
        try:
            examples.append(
                _example(
                    row.amplitude,
                    row.squared_amplitude or "",
                    Process.parse(name),
                    family(name) in held_out,
                    rng,
                    config,
                    vocab,
                )
            )
        except (SymtokError, ValueError, ZeroDivisionError, OverflowError) as err:
            skipped.append((row.line, str(err)))
    return AmplitudeDataset(examples, config, skipped)


def _example(
    amplitude: str,
    squared: str,
    process: Process,
    held_out: bool,
    rng: random.Random,
    config: DatasetConfig,
    vocab: Vocab,
) -> Example:
    tokens = vocab.encode(tokenize(amplitude))
    expr = parse(squared)
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = lambdify(args, expr, "math")
    kin, target, split, points = [], [], [], []
    attempts = 0
    while len(target) < config.points_per_row and attempts < 10 * config.points_per_row:
        attempts += 1
        sqrt_s, cos = draw_point(process, rng, config)
        feats, inv = kinematic_features(process, sqrt_s, cos, config.kin_features)
        values = point_values(process, inv)
        value = complex(fn(*(values[a.name] for a in args)))
        if not (math.isfinite(value.real) and value.real > 0 and abs(value.imag) <= 1e-9 * abs(value.real)):
            continue  # a single diagram's square can vanish or be negative in some gauges
        kin.append(feats)
        points.append((sqrt_s, cos))
        target.append(math.log10(value.real))
        split.append(
            "test_processes" if held_out else ("test_points" if rng.random() < config.test_point_fraction else "train")
        )
    if not target:
        raise SymtokError("no point with a positive squared amplitude")
    return Example(str(process), amplitude, tokens, np.stack(kin), np.array(target), split, np.array(points))
