"""Maskers for JEPA: which positions are targets. Pure functions of their inputs and an explicit
``torch.Generator``; they return bool (B, N) masks, True = target, never on padding, always
leaving at least one context position and choosing at least one target per sequence.

(I-JEPA's collator had an off-by-one that never masked the last row: these maskers can choose
every real position, including the last, and the tests check it.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def _randint(low: int, high: int, generator: torch.Generator) -> int:
    """Uniform integer in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=generator))


def span_mask(
    lengths: Tensor | Sequence[int],
    width: int | None = None,
    *,
    target_frac: float = 0.25,
    max_span_frac: float = 0.2,
    generator: torch.Generator,
) -> Tensor:
    """Random contiguous spans covering about ``target_frac`` of each sequence.

    lengths: (B,) real lengths; width: N of the padded batch (default: max length).
    """
    lengths = [int(n) for n in lengths]
    width = width or max(lengths)
    mask = torch.zeros(len(lengths), width, dtype=torch.bool)
    for row, n in enumerate(lengths):
        if n < 2:
            continue
        goal = min(n - 1, max(1, round(target_frac * n)))
        longest = max(1, min(n - 1, round(max_span_frac * n)))
        while int(mask[row, :n].sum()) < goal:
            size = _randint(1, longest, generator)
            start = _randint(0, n - size, generator)
            room = goal - int(mask[row, :n].sum())
            mask[row, start : start + min(size, room)] = True
    return mask


def subtree_mask(
    subtree_ends: Sequence[Sequence[int]],
    width: int | None = None,
    *,
    target_frac: float = 0.25,
    max_subtree_frac: float = 0.5,
    generator: torch.Generator,
) -> Tensor:
    """Whole subtrees as targets. ``subtree_ends[b][i]`` is the exclusive end of the subtree that
    starts at token i (a contiguous span in prefix order), or -1 where no subtree starts
    (inside a number or a spelled name); see :func:`symtok.prefix.subtree_ends`."""
    lengths = [len(e) for e in subtree_ends]
    width = width or max(lengths)
    mask = torch.zeros(len(lengths), width, dtype=torch.bool)
    for row, ends in enumerate(subtree_ends):
        n = len(ends)
        if n < 2:
            continue
        limit = max(1, min(n - 1, int(max_subtree_frac * n)))
        roots = [i for i, e in enumerate(ends) if e > i and e - i <= limit]
        if not roots:
            continue
        goal = min(n - 1, max(1, round(target_frac * n)))
        order = torch.randperm(len(roots), generator=generator).tolist()
        for k in order:
            start = roots[k]
            span = mask[row, start : ends[start]]
            if int(mask[row, :n].sum()) + int((~span).sum()) > n - 1:
                continue  # would leave no context
            span[:] = True
            if int(mask[row, :n].sum()) >= goal:
                break
    return mask


def group_mask(groups: Tensor, *, target_frac: float = 0.3, generator: torch.Generator) -> Tensor:
    """Whole groups (e.g. the subjets of a jet) as targets.

    groups: (B, N) long, the group id of each position, -1 for padding or ungrouped positions.
    At least one group is a target and at least one stays context whenever a row has two groups.
    """
    mask = torch.zeros(groups.shape, dtype=torch.bool)
    for row in range(groups.shape[0]):
        ids = torch.unique(groups[row][groups[row] >= 0])
        if len(ids) < 2:
            continue
        count = min(len(ids) - 1, max(1, round(target_frac * len(ids))))
        chosen = ids[torch.randperm(len(ids), generator=generator)[:count]]
        mask[row] = torch.isin(groups[row], chosen)
    return mask
