"""Shards of a deterministic work list: ``K/N`` as batch-array jobs (Slurm, HTCondor) number them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from symtok.errors import SymtokError

T = TypeVar("T")


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (0 <= K < N, as Slurm's ``$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`` with --array=0-(N-1))."""
    try:
        k, total = (int(x) for x in text.split("/"))
    except ValueError:
        raise SymtokError(f"--shard takes K/N with integers, e.g. 3/10; got {text!r}") from None
    if total < 1 or not 0 <= k < total:
        raise SymtokError(f"--shard {text}: need 0 <= K < N")
    return k, total


def shard_items(items: Sequence[T], shard: tuple[int, int]) -> list[T]:
    """The K-th of N interleaved shares of ``items`` (every N-th item from the K-th): the shares are
    disjoint, cover ``items`` and are balanced even when the work per item grows along the list."""
    k, total = shard
    return list(items[k::total])
