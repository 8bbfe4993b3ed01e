"""Batched inference: run a model over many items in eval mode without gradients, batch by batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

T = TypeVar("T")


@torch.no_grad()
def batched(
    model: nn.Module,
    items: Sequence[T],
    run: Callable[[nn.Module, list[T]], torch.Tensor | np.ndarray | list[Any]],
    *,
    batch_size: int = 64,
) -> list[Any]:
    """``run(model, batch)`` over consecutive batches of ``items`` (model in eval mode, no grad);
    the per-item results concatenated in order (a tensor's first axis is the batch)."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    model.eval()
    out: list[Any] = []
    for start in range(0, len(items), batch_size):
        result = run(model, list(items[start : start + batch_size]))
        if isinstance(result, torch.Tensor):
            result = result.detach().cpu().numpy()
        out.extend(result)
    return out
