"""The one training loop: ``fit(model, loss_fn, data, cfg)``; tasks supply the loss and the data.

AdamW, linear warm-up + cosine decay, gradient clipping, deterministic data order and per-step
seeds (so a resumed run reproduces an uninterrupted one exactly), a progress bar with loss and
throughput, JSONL metrics, a loss-curve plot, atomic checkpoints (safetensors + JSON) and
``torchrun`` DDP (gloo on CPU, nccl on GPU).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import torch
import torch.distributed as dist
from torch import Tensor, nn

from symtok.config import Config
from symtok.errors import SymtokError
from symtok.files import atomic_path
from symtok.nn.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from symtok.nn.device import autocast, check_precision, grad_scaler, resolve_device, runtime_overrides
from symtok.nn.schedules import cosine_schedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig(Config):
    """Optimisation and bookkeeping settings; the defaults train a small model sensibly on CPU."""

    steps: int = 1000
    batch_size: int = 32
    lr: float = 3e-4
    weight_decay: float = 0.05
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    log_every: int = 10
    checkpoint_every: int = 0  # 0: only at the end
    progress: bool = True
    device: str = "cpu"  # auto | cpu | cuda | cuda:N | mps
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast for the forward pass; fp16 with a grad scaler
    compile: bool = False  # torch.compile the model's forward (the first steps pay the compilation)
    pin_memory: bool = True  # on CUDA: batches go through page-locked memory, copied asynchronously


@dataclass
class StepInfo:
    """Passed to the loss (and to ``fit``'s ``shard``): the step, training progress in [0, 1], a
    generator seeded by step and rank, and ``shared``, seeded by step only (the same stream on every
    rank: draws over the whole step's batch, e.g. JEPA targets, that must not depend on the split)."""

    step: int
    total: int
    generator: torch.Generator
    device: torch.device
    rank: int = 0
    world_size: int = 1
    shared: torch.Generator | None = None

    @property
    def progress(self) -> float:
        return self.step / max(1, self.total)


LossFn = Callable[[nn.Module, Any, StepInfo], tuple[Tensor, dict[str, float]]]


@dataclass
class FitResult:
    """Where the run wrote, the last logged metrics, and the history of logged records."""

    out_dir: Path | None
    steps: int
    last: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)


def distributed_context() -> tuple[int, int]:
    """(rank, world size); initialises the process group under torchrun (gloo on CPU, nccl on GPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """True on rank 0 of a torchrun job, or when not distributed: the one process that writes."""
    return not dist.is_initialized() or dist.get_rank() == 0


def global_count(count: Tensor) -> Tensor:
    """``count`` summed over the ranks of a torchrun job (itself when not distributed): weighting a
    rank's summed loss by ``world / global_count`` makes DDP's gradient average the global mean."""
    if dist.is_initialized():
        count = count.detach().clone()
        dist.all_reduce(count)
    return count


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DistributedDataParallel wrapper (or the model itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def batch_indices(n: int, step: int, cfg: TrainConfig, rank: int = 0, world: int = 1) -> list[int]:
    """Example indices of ``step`` for this rank: epoch-wise permutations seeded by (seed, epoch),
    full batches only, the global batch split across ranks."""
    per_epoch = n // cfg.batch_size
    if per_epoch == 0:
        raise SymtokError(f"dataset of {n} examples is smaller than one batch of {cfg.batch_size}")
    epoch, offset = divmod(step, per_epoch)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed * 7_919 + epoch))
    batch = order[offset * cfg.batch_size : (offset + 1) * cfg.batch_size].tolist()
    return batch[rank::world]


def rows_of_rank(batch: Any, rank: int, world: int) -> Any:
    """This rank's rows (every ``world``-th from ``rank``) of a whole collated batch: tensors along
    their first axis, lists and tuples of rows, dicts and tuples of such, recursively."""
    if world == 1:
        return batch
    if isinstance(batch, Tensor):
        return batch[rank::world]
    if isinstance(batch, dict):
        return {k: rows_of_rank(v, rank, world) for k, v in batch.items()}
    if isinstance(batch, tuple):
        return tuple(rows_of_rank(v, rank, world) for v in batch)
    if isinstance(batch, list):
        return batch[rank::world]
    raise TypeError(f"cannot split a batch of type {type(batch).__name__} across ranks")


def _set_lr(optimizer: torch.optim.Optimizer, cfg: TrainConfig, step: int) -> float:
    lr = cfg.lr * cosine_schedule(step, cfg.steps, cfg.warmup_steps, cfg.min_lr_ratio)
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on biases, norms and embeddings' 1-d params)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.dim() >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr)


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    data: Sequence[Any],
    cfg: TrainConfig,
    *,
    collate: Callable[[list[Any]], Any],
    out_dir: str | os.PathLike[str] | None = None,
    checkpoint_config: dict[str, Any] | None = None,
    vocab_json: str | None = None,
    after_step: Callable[[nn.Module, StepInfo], None] | None = None,
    resume: bool = False,
    stop_after: int | None = None,
    shard: Callable[[Any, StepInfo], Any] | None = None,
) -> FitResult:
    """Train ``model`` on ``data`` for cfg.steps steps (or until ``stop_after``, to test resuming).

    ``loss_fn(model, batch, info)`` returns (loss, metrics); ``after_step(model, info)`` runs after
    each optimizer step (JEPA's EMA update). Under ``torchrun`` each rank takes its share of the
    step's examples; with ``shard(batch, info)`` every rank collates the whole step's batch
    and keeps its share of it instead (data made of prebuilt batches, or draws over the whole batch
    with ``info.shared``: the global batch is the single-process batch; see :func:`rows_of_rank`). With ``out_dir``: metrics.jsonl, checkpoint/
    (model + optimizer + trainer state), loss.png; ``resume`` continues from checkpoint/.
    """
    rank, world = distributed_context()
    overrides = runtime_overrides()
    if overrides is not None:
        cfg = replace(cfg, device=overrides[0], precision=overrides[1], compile=overrides[2] or cfg.compile)
    device = resolve_device(cfg.device)
    if device.type == "cuda" and world > 1 and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))  # one GPU per torchrun rank
    check_precision(cfg.precision, device)
    home = next(model.parameters(), torch.empty(0)).device  # handed back there: task code after fit runs on it
    model.to(device)
    scaler = grad_scaler(device, cfg.precision)
    out = Path(out_dir) if out_dir is not None else None
    optimizer = make_optimizer(model, cfg)
    start = 0
    if resume:
        start = _resume(model, optimizer, cfg, out)
    wrapped = model
    if world > 1:
        wrapped = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if cfg.compile:
        wrapped = torch.compile(wrapped)  # forward only; other methods the loss calls run as written
    history = _load_history(out, start) if rank == 0 else []
    bar = _progress_bar(cfg, start, rank)
    wrapped.train()
    last: dict[str, float] = {}
    window_items, window_start = 0, time.perf_counter()
    step = start
    while step < cfg.steps and (stop_after is None or step < stop_after):
        torch.manual_seed(cfg.seed * 1_000_003 + step)  # dropout: same at this step, resumed or not
        seed = (cfg.seed * 1_000_003 + step) * 64
        generator = torch.Generator().manual_seed(seed + rank)
        info = StepInfo(step, cfg.steps, generator, device, rank, world, torch.Generator().manual_seed(seed))
        if shard is None:
            indices = batch_indices(len(data), step, cfg, rank, world)
            batch = collate([data[i] for i in indices])
        else:
            indices = batch_indices(len(data), step, cfg)
            batch = shard(collate([data[i] for i in indices]), info)
        batch = _to_device(batch, device, pin=cfg.pin_memory)
        lr = _set_lr(optimizer, cfg, step)
        with autocast(device, cfg.precision):
            loss, metrics = loss_fn(wrapped, batch, info)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss is {float(loss)} at step {step}")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)  # clip the true gradients
        grad_norm = float(
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else math.inf)
        )
        scaler.step(optimizer)
        scaler.update()
        if after_step is not None:
            after_step(model, info)
        step += 1
        window_items += len(indices) * (world if shard is None else 1)
        logging_step = step % cfg.log_every == 0 or step == cfg.steps
        logged_loss = _global_mean(loss.detach(), world) if logging_step else float(loss.detach())
        if rank == 0 and logging_step:
            elapsed = time.perf_counter() - window_start
            last = {
                "step": step,
                "loss": logged_loss,
                "lr": lr,
                "grad_norm": grad_norm,
                "items_per_s": window_items / max(elapsed, 1e-9),
                **metrics,
            }
            history.append(last)
            _append_jsonl(out, last)
            window_items, window_start = 0, time.perf_counter()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss.detach()):.4f}", lr=f"{lr:.2e}")
        if (
            rank == 0
            and out is not None
            and cfg.checkpoint_every
            and step % cfg.checkpoint_every == 0
            and step < cfg.steps
        ):
            _checkpoint(model, optimizer, cfg, out, step, checkpoint_config, vocab_json, last)
    if bar is not None:
        bar.close()
    if rank == 0 and out is not None:
        _checkpoint(model, optimizer, cfg, out, step, checkpoint_config, vocab_json, last)
        plot_history(history, out / "loss.png")
    model.to(home)
    return FitResult(out, step, last, history)


def _global_mean(loss: Tensor, world: int) -> float:
    """The step's loss over every rank's examples: each rank's loss is its share of the global mean
    times ``world`` (see :func:`global_count`) or the mean of an equal share, so the ranks' average
    is the global mean, the value one process logs for the same global batch."""
    if world > 1:
        loss = loss.clone()
        dist.all_reduce(loss)
        loss = loss / world
    return float(loss)


def _to_device(batch: Any, device: torch.device, pin: bool = False) -> Any:
    """``batch`` (tensors in dicts, lists, tuples) on ``device``; to a CUDA device with ``pin``
    through page-locked memory and a non-blocking copy."""
    if isinstance(batch, Tensor):
        if pin and device.type == "cuda" and batch.device.type == "cpu":
            return batch.pin_memory().to(device, non_blocking=True)
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _to_device(v, device, pin) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device, pin) for v in batch)
    return batch


def _progress_bar(cfg: TrainConfig, start: int, rank: int) -> Any:
    if not cfg.progress or rank != 0:
        return None
    from tqdm import tqdm

    return tqdm(total=cfg.steps, initial=start, unit="step", desc="train", dynamic_ncols=True)


def _append_jsonl(out: Path | None, record: dict[str, float]) -> None:
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def _load_history(out: Path | None, start: int) -> list[dict[str, float]]:
    """On resume keep the logged records up to the checkpoint's step (rewritten atomically)."""
    if out is None or not (out / "metrics.jsonl").exists():
        return []
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    kept = [r for r in records if r.get("step", 0) <= start]
    with atomic_path(out / "metrics.jsonl") as tmp:
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
    return kept


def _checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    cfg: TrainConfig,
    out: Path,
    step: int,
    config: dict[str, Any] | None,
    vocab_json: str | None,
    last: dict[str, float],
) -> None:
    trainer_state = {"step": step, "train": asdict(cfg)}
    metrics = {"train": asdict(cfg), "last": last, "step": step}
    save_checkpoint(
        out / "checkpoint",
        unwrap(model),
        config or {},
        metrics=metrics,
        vocab_json=vocab_json,
        optimizer=optimizer,
        trainer_state=trainer_state,
    )


#: TrainConfig fields that may differ between a run and its resumption (bookkeeping, not optimisation).
RESUMABLE_CHANGES = frozenset({"progress", "log_every", "checkpoint_every", "device"})


def _resume(model: nn.Module, optimizer: torch.optim.Optimizer, cfg: TrainConfig, out: Path | None) -> int:
    if out is None or not (out / "checkpoint").exists():
        raise CheckpointError(f"nothing to resume: no checkpoint/ in {out}")
    ckpt = load_checkpoint(out / "checkpoint")
    load_weights(model, ckpt)
    if ckpt.optimizer_state is None or ckpt.trainer_state is None:
        raise CheckpointError(f"{ckpt.path} has no optimizer or trainer state: it cannot be resumed")
    saved = ckpt.trainer_state.get("train", {})
    current = asdict(cfg)
    changed = sorted(k for k in current if k not in RESUMABLE_CHANGES and k in saved and saved[k] != current[k])
    if changed:
        raise CheckpointError(
            f"{ckpt.path} was trained with other settings ({', '.join(f'{k}={saved[k]!r}' for k in changed)}): "
            "resume with the same TrainConfig"
        )
    optimizer.load_state_dict(ckpt.optimizer_state)
    step = int(ckpt.trainer_state["step"])
    log.info("resuming from step %d", step)
    return step


def plot_history(history: list[dict[str, float]], path: Path) -> None:
    """Loss (and learning rate) against step, written atomically as PNG."""
    if not history:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in history]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, [r["loss"] for r in history], label="loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log" if min(r["loss"] for r in history) > 0 else "linear")
    twin = ax.twinx()
    twin.plot(steps, [r["lr"] for r in history], color="tab:orange", alpha=0.5, label="lr")
    twin.set_ylabel("learning rate")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
