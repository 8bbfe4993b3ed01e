"""Where torch runs and in which precision: ``--device auto|cpu|cuda|cuda:N|mps`` and
``--precision fp32|bf16|fp16`` resolved once, with clear errors for devices that are not there."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Literal

import torch

from symtok.errors import SymtokError

Precision = Literal["fp32", "bf16", "fp16"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` = cuda if available, else mps, else cpu; other names are checked to exist here."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SymtokError(f"unknown device {name!r}; expected auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SymtokError(f"device {name!r} asked for, but this torch sees no CUDA GPU (use --device cpu or auto)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise SymtokError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise SymtokError(f"device {name!r} asked for, but MPS is not available here")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise SymtokError(f"unknown device {name!r}; expected auto, cpu, cuda, cuda:N or mps")
    return device


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision the device cannot run (fp16 autocast needs CUDA, MPS or a recent CPU torch)."""
    if precision not in PRECISIONS:
        raise SymtokError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise SymtokError(f"{device} does not support bf16; use --precision fp16 or fp32")


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """Mixed precision for the forward pass (no-op for fp32); weights and optimizer stay fp32."""
    if precision == "fp32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=_DTYPES[precision]):
        yield


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """A loss scaler for fp16 (its small exponent range underflows gradients); disabled otherwise."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


_RUNTIME: contextvars.ContextVar[tuple[str, str, bool] | None] = contextvars.ContextVar("symtok_runtime", default=None)


@contextlib.contextmanager
def runtime(device: str = "auto", precision: str = "fp32", compile: bool = False) -> Iterator[None]:
    """Every :func:`symtok.nn.train.fit` inside runs on ``device`` in ``precision`` (and, with
    ``compile``, through torch.compile), whatever the task's TrainConfig says (the CLI's
    ``--device``/``--precision``/``--compile`` on every trainer; tasks build their own configs). The
    device is checked on entry, so a missing GPU is reported before any work."""
    resolved = resolve_device(device)
    check_precision(precision, resolved)
    token = _RUNTIME.set((device, precision, compile))
    try:
        yield
    finally:
        _RUNTIME.reset(token)


def runtime_overrides() -> tuple[str, str, bool] | None:
    """(device, precision, compile) set by an enclosing :func:`runtime`, or None."""
    return _RUNTIME.get()


def inference_device() -> torch.device:
    """Where loaded models run: the enclosing :func:`runtime`'s device, else the CPU."""
    overrides = runtime_overrides()
    return resolve_device(overrides[0]) if overrides is not None else torch.device("cpu")


def inference_autocast(device: torch.device) -> contextlib.AbstractContextManager[None]:
    """Autocast for inference in the enclosing :func:`runtime`'s precision (fp32 otherwise)."""
    overrides = runtime_overrides()
    return autocast(device, overrides[1] if overrides is not None else "fp32")
