"""Strict configs: every config dataclass of symtok and its tasks loads through ``from_dict`` and checks
its ``Literal`` choices on construction.

``from_dict(cls, data)`` is the inverse of ``dataclasses.asdict``: nested dataclasses, tuples,
optionals and ``Literal`` choices are rebuilt from JSON values; an unknown key, a value of the wrong
type or a value outside its choices raises ConfigError naming the key and what is allowed. A
dataclass that derives from ``Config`` runs the same checks in ``__post_init__``, so
``JEPAConfig(loss="msee")`` fails at once instead of silently meaning something else.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from symtok.errors import SymtokError

C = TypeVar("C")


class ConfigError(SymtokError, ValueError):
    """A config value or key that the config class does not accept."""


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(tp: Any, value: Any, key: str) -> Any:
    """``value`` as type ``tp`` (nested dataclasses from dicts, tuples from lists), or ConfigError."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{key} must be one of {', '.join(repr(a) for a in get_args(tp))}; got {value!r}")
        return value
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None:
            if type(None) in options:
                return None
            raise ConfigError(f"{key} must not be null")
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{key}: {value!r} fits none of {_type_name(tp)}")
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping for {tp.__name__}; got {type(value).__name__}")
        return from_dict(tp, value, prefix=f"{key}.")
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list; got {type(value).__name__}")
        args = get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{key} must have {len(args)} entries; got {len(value)}")
            items = [_convert(a, v, f"{key}[{n}]") for n, (a, v) in enumerate(zip(args, value, strict=True))]
        else:
            item = args[0] if args else Any
            items = [_convert(item, v, f"{key}[{n}]") for n, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping; got {type(value).__name__}")
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false; got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer; got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number; got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string; got {value!r}")
        return value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{key} must be {tp.__name__}; got {type(value).__name__}")
    return value


def _hints(cls: type) -> dict[str, Any]:
    module = typing.cast(Any, __import__(cls.__module__, fromlist=["_"]))
    return get_type_hints(cls, vars(module))


def from_dict(cls: type[C], data: dict[str, Any], *, prefix: str = "") -> C:
    """Build config dataclass ``cls`` from JSON-like ``data`` strictly (see the module docstring)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or cls.__name__} must be a mapping; got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"unknown key {prefix}{unknown[0]} for {cls.__name__}; allowed: {', '.join(sorted(fields))}")
    hints = _hints(cls)
    kwargs = {name: _convert(hints[name], value, prefix + name) for name, value in data.items()}
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{prefix or cls.__name__ + ': '}{err}") from None


def check_choices(config: Any) -> None:
    """ConfigError if a field annotated ``Literal[...]`` (directly or in an Optional) holds another value."""
    hints = _hints(type(config))
    for f in dataclasses.fields(config):
        tp = hints.get(f.name)
        value = getattr(config, f.name)
        options = get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)
        for option in options:
            if get_origin(option) is Literal:
                if value is None and type(None) in options:
                    break
                if value not in get_args(option):
                    raise ConfigError(
                        f"{f.name} must be one of {', '.join(repr(a) for a in get_args(option))}; got {value!r}"
                    )


class Config:
    """Mixin for config dataclasses: Literal choices checked on construction, ``from_dict``, ``to_dict``."""

    def __post_init__(self) -> None:
        check_choices(self)

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Inverse of ``to_dict`` (strict: unknown keys, wrong types and bad choices raise ConfigError)."""
        return from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready values (``dataclasses.asdict``)."""
        return dataclasses.asdict(typing.cast(Any, self))
