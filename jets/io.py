"""Jet files: reading a generated Parquet file into jets, the fixed train/test split, and seeded
label-fraction subsets."""

from __future__ import annotations

import os
import random
from typing import Any

from symtok.errors import SymtokError


def read_jets(path: str | os.PathLike[str]) -> list[Any]:
    """Every jet of a file written by ``symtok jets generate`` (rows with attribute access)."""
    import pyarrow.parquet as pq

    if not os.path.isfile(path):
        raise SymtokError(f"no jet file at {path}")
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for unreadable files
        raise SymtokError(f"{path} is not a readable Parquet file: {err}") from None
    missing = {"label", "pt", "eta", "phi"} - set(table.column_names)
    if missing:
        raise SymtokError(f"{path} is not a jet file: no column {sorted(missing)[0]!r}")
    return list(table.to_pandas().itertuples())


def split(jets: list[Any], test_fraction: float, seed: int) -> tuple[list[Any], list[Any]]:
    """(train, test): a seeded shuffle, ``test_fraction`` of the jets held out."""
    order = list(range(len(jets)))
    random.Random(seed).shuffle(order)
    n_test = round(test_fraction * len(jets))
    return [jets[i] for i in order[n_test:]], [jets[i] for i in order[:n_test]]


def sample_labelled(jets: list[Any], fraction: float, seed: int) -> list[Any]:
    """A seeded subset of ``fraction`` of the jets (at least 2), as if only those were labelled."""
    if not 0 < fraction <= 1:
        raise SymtokError(f"label fraction must be in (0, 1]; got {fraction}")
    return random.Random(seed).sample(jets, max(2, round(fraction * len(jets))))
