"""Batched inference: run a model over many items in eval mode without gradients, batch by batch, on
the device and in the precision of the enclosing :func:`symtok.nn.device.runtime` (the CPU in
fp32 otherwise)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from symtok.nn.device import inference_autocast, inference_device

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
    the per-item results concatenated in order (a tensor's first axis is the batch).

    The model runs on :func:`~symtok.nn.device.inference_device` under its autocast and goes back to
    its own device afterwards; ``run`` moves its inputs with :func:`to_model` and returns CPU
    results or a tensor (brought to the CPU in fp32 here)."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    home = next((p.device for p in model.parameters()), torch.device("cpu"))
    device = inference_device()
    model.eval()
    model.to(device)
    out: list[Any] = []
    try:
        with inference_autocast(device):
            for start in range(0, len(items), batch_size):
                result = run(model, list(items[start : start + batch_size]))
                if isinstance(result, torch.Tensor):
                    result = result.detach().float().cpu().numpy()
                out.extend(result)
    finally:
        model.to(home)
    return out


def to_model(model: nn.Module, tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` on the device of ``model``'s parameters."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    return tensor.to(device)
