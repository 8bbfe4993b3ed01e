"""Checkpoints as directories that load without pickle: ``config.json``, ``model.safetensors``,
``metrics.json``, optionally ``vocab.json`` and, for resuming, ``optimizer.safetensors`` +
``trainer_state.json``. A directory is written beside its target and renamed into place.

Tasks register the KIND of each model they save (``register_model``), with the function that
builds the model from its stored config; ``load_model`` then loads any checkpoint by its kind, so
this module never names a task."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from symtok.errors import SymtokError
from symtok.files import creation_mode, make_temporary, replace_directory

FORMAT = "symtok-checkpoint"
VERSION = 1


class CheckpointError(SymtokError):
    """A checkpoint directory that is missing files or does not fit the model."""


@dataclass
class Checkpoint:
    """What a checkpoint directory holds."""

    path: Path
    config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    metrics: dict[str, Any] = field(default_factory=dict)
    optimizer_state: dict[str, Any] | None = None
    trainer_state: dict[str, Any] | None = None


def _json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=_jsonable) + "\n", encoding="utf-8")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def optimizer_to_flat(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state_dict into tensors (safetensors) and everything else (JSON)."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, entry in state["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_from_flat(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    """Inverse of optimizer_to_flat."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = value
    for idx, entry in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(entry)
    groups = []
    for group in meta["param_groups"]:
        group = dict(group)
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
        groups.append(group)
    return {"state": state, "param_groups": groups}


def save_checkpoint(
    directory: str | os.PathLike[str],
    model: nn.Module,
    config: dict[str, Any],
    *,
    metrics: dict[str, Any] | None = None,
    vocab_json: str | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    trainer_state: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint directory atomically (a finished directory replaces the old one)."""
    target = Path(directory)
    tmp = make_temporary(target, directory=True)
    os.chmod(tmp, creation_mode(directory=True))
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
        _json(tmp / "config.json", {"format": FORMAT, "version": VERSION, **config})
        _json(tmp / "metrics.json", metrics or {})
        if vocab_json is not None:
            (tmp / "vocab.json").write_text(vocab_json, encoding="utf-8")
        if optimizer is not None:
            tensors, meta = optimizer_to_flat(optimizer.state_dict())
            save_file(tensors, str(tmp / "optimizer.safetensors"))
            _json(tmp / "optimizer.json", meta)
        if trainer_state is not None:
            _json(tmp / "trainer_state.json", trainer_state)
        write_checksums(tmp)
        for f in tmp.iterdir():  # safetensors writes its files private (0600); outputs follow the umask
            os.chmod(f, creation_mode())
        replace_directory(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint is missing {path.name}: {path}") from None
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path} is not valid JSON: {err}") from None


CHECKSUMS = "checksums.json"
CHECKSUMMED = ("config.json", "model.safetensors", "vocab.json", "optimizer.safetensors", "optimizer.json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(directory: str | os.PathLike[str]) -> None:
    """Record the SHA-256 of the files that define the model (weights, config, vocabulary, optimizer)
    in checksums.json; reports written beside them later (metrics, plots) are not covered."""
    path = Path(directory)
    sums = {name: _sha256(path / name) for name in CHECKSUMMED if (path / name).is_file()}
    _json(path / CHECKSUMS, sums)


def verify_checksums(directory: str | os.PathLike[str]) -> None:
    """CheckpointError if a file listed in checksums.json is missing or differs (corrupt, truncated or
    edited). Directories written before checksums existed have none and are read as they are."""
    path = Path(directory)
    if not (path / CHECKSUMS).exists():
        return
    sums = _read_json(path / CHECKSUMS)
    if not isinstance(sums, dict):
        raise CheckpointError(f"{path / CHECKSUMS} is not a mapping of file names to SHA-256 sums")
    for name, expected in sums.items():
        target = path / str(name)
        if not target.is_file():
            raise CheckpointError(f"checkpoint is missing {name} (listed in {CHECKSUMS}): {path}")
        if _sha256(target) != expected:
            raise CheckpointError(
                f"{target} does not match its SHA-256 in {CHECKSUMS}: the file is corrupt or was modified"
            )


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except Exception as err:  # safetensors raises its own error types for every malformed file
        raise CheckpointError(f"{path} is not a readable safetensors file: {err}") from None


def load_checkpoint(directory: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint directory (no pickle anywhere); CheckpointError says what is missing."""
    path = Path(directory)
    if not path.is_dir():
        raise CheckpointError(f"no checkpoint directory at {path}")
    config = _read_json(path / "config.json")
    if config.get("format") != FORMAT:
        raise CheckpointError(f"{path / 'config.json'} is not a symtok checkpoint config")
    weights = path / "model.safetensors"
    if not weights.exists():
        raise CheckpointError(f"checkpoint is missing model.safetensors: {path}")
    verify_checksums(path)
    state = _load_tensors(weights)
    metrics = _read_json(path / "metrics.json") if (path / "metrics.json").exists() else {}
    optimizer_state = None
    if (path / "optimizer.safetensors").exists():
        optimizer_state = optimizer_from_flat(
            _load_tensors(path / "optimizer.safetensors"), _read_json(path / "optimizer.json")
        )
    trainer_state = _read_json(path / "trainer_state.json") if (path / "trainer_state.json").exists() else None
    return Checkpoint(path, config, state, metrics, optimizer_state, trainer_state)


def load_weights(model: nn.Module, checkpoint: Checkpoint) -> None:
    """Load the weights strictly; CheckpointError lists missing and unexpected keys."""
    try:
        result = model.load_state_dict(checkpoint.state_dict, strict=False)
    except RuntimeError as err:  # shape mismatches
        raise CheckpointError(f"checkpoint {checkpoint.path} does not fit the model: {err}") from None
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(
            f"checkpoint {checkpoint.path} does not fit the model: missing {result.missing_keys[:5]}, "
            f"unexpected {result.unexpected_keys[:5]}"
        )


def load_checkpoint_of_kind(directory: str | os.PathLike[str], kind: str, description: str) -> Checkpoint:
    """A checkpoint of ``kind`` from a model directory or a training run's ``checkpoint/`` inside it;
    CheckpointError, naming ``description``, for any other kind."""
    path = checkpoint_dir(directory)
    ckpt = load_checkpoint(path)
    if ckpt.config.get("kind") != kind:
        raise CheckpointError(f"{path} is not {description} (kind {ckpt.config.get('kind')!r})")
    return ckpt


def load_submodule(module: nn.Module, directory: str | os.PathLike[str], kind: str, prefix: str) -> None:
    """Copy the weights under ``prefix`` of a checkpoint of ``kind`` into ``module`` (strictly)."""
    ckpt = load_checkpoint_of_kind(directory, kind, f"a {kind} checkpoint")
    state = {k[len(prefix) :]: v for k, v in ckpt.state_dict.items() if k.startswith(prefix)}
    try:
        missing, unexpected = module.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches: name the first
        shapes = [line.strip() for line in str(err).splitlines() if "size mismatch" in line]
        raise CheckpointError(
            f"{prefix.rstrip('.')} of {ckpt.path} does not fit: {shapes[0] if shapes else str(err).splitlines()[0]}"
        ) from None
    if missing or unexpected:
        raise CheckpointError(
            f"{prefix.rstrip('.')} of {ckpt.path} does not fit: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )


def load_context_encoder(encoder: nn.Module, directory: str | os.PathLike[str], kind: str) -> None:
    """Copy the context encoder of a JEPA checkpoint of ``kind`` into ``encoder`` (strictly)."""
    load_submodule(encoder, directory, kind, "context_encoder.")


# ------------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class ModelKind:
    """A kind of saved model: how to build it from its checkpoint config, and how to export it."""

    kind: str
    description: str  # "an amplitude regressor": used in error messages
    build: Callable[[dict[str, Any]], nn.Module]
    export: Callable[..., Path] | None = None  # export(model_dir, output, opset=...) -> model.onnx path


_REGISTRY: dict[str, ModelKind] = {}


def register_model(
    kind: str,
    description: str,
    build: Callable[[dict[str, Any]], nn.Module],
    *,
    export: Callable[..., Path] | None = None,
) -> ModelKind:
    """Register a model kind (tasks do this when their module is imported); re-registering replaces it."""
    entry = ModelKind(kind, description, build, export)
    _REGISTRY[kind] = entry
    return entry


def register_export(kind: str, export: Callable[..., Path]) -> None:
    """Attach the ONNX export function of an already registered kind (export modules import torch.onnx)."""
    entry = model_kind(kind)
    _REGISTRY[kind] = ModelKind(entry.kind, entry.description, entry.build, export)


def registered_kinds() -> tuple[str, ...]:
    """The kinds registered so far."""
    return tuple(sorted(_REGISTRY))


def model_kind(kind: str) -> ModelKind:
    """The registration of ``kind``; CheckpointError naming the known kinds otherwise."""
    if kind not in _REGISTRY:
        known = ", ".join(registered_kinds()) or "none"
        raise CheckpointError(f"no model kind {kind!r} is registered (known: {known})")
    return _REGISTRY[kind]


def checkpoint_dir(directory: str | os.PathLike[str]) -> Path:
    """A model directory, or the ``checkpoint/`` inside a training run's directory."""
    path = Path(directory)
    return path / "checkpoint" if (path / "checkpoint" / "config.json").exists() else path


def checkpoint_kind(directory: str | os.PathLike[str]) -> str:
    """The kind stored in a checkpoint's config.json (CheckpointError if there is none)."""
    config = _read_json(checkpoint_dir(directory) / "config.json")
    if not isinstance(config, dict) or not isinstance(config.get("kind"), str):
        raise CheckpointError(f"{checkpoint_dir(directory) / 'config.json'} names no model kind")
    return config["kind"]


def load_model(directory: str | os.PathLike[str], kind: str | None = None) -> tuple[nn.Module, Checkpoint]:
    """Build and load the model of a checkpoint by its registered kind (``kind`` demands one), in eval
    mode with FAVOR+ features fixed; CheckpointError if the kind differs or the weights do not fit."""
    entry = model_kind(kind or checkpoint_kind(directory))
    ckpt = load_checkpoint_of_kind(directory, entry.kind, entry.description)
    try:
        model = entry.build(ckpt.config)
    except (KeyError, TypeError) as err:
        raise CheckpointError(f"{ckpt.path / 'config.json'} does not describe {entry.description}: {err}") from None
    load_weights(model, ckpt)
    model.eval()
    for module in model.modules():
        fix = getattr(module, "fix_features", None)
        if callable(fix):
            fix()
    return model, ckpt
