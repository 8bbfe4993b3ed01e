"""Strict configs: from_dict is the inverse of asdict, and rejects unknown keys, wrong types and bad choices."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import pytest

from symtok.config import Config, ConfigError, from_dict


@dataclass(frozen=True)
class Inner(Config):
    mode: Literal["a", "b"] = "a"
    size: int = 3


@dataclass(frozen=True)
class Outer(Config):
    inner: Inner = field(default_factory=Inner)
    rate: float = 0.5
    name: str | None = None
    shape: tuple[int, ...] = (1, 2)
    flag: bool = False


def test_round_trip_through_asdict():
    config = Outer(Inner("b", 7), 1.5, "x", (4, 5, 6), True)
    assert Outer.from_dict(asdict(config)) == config
    assert from_dict(Outer, {}) == Outer()


def test_ints_are_accepted_for_floats_but_not_the_reverse():
    assert Outer.from_dict({"rate": 2}).rate == 2.0
    with pytest.raises(ConfigError, match=r"inner\.size must be an integer"):
        Outer.from_dict({"inner": {"size": 2.5}})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rte": 1.0}, "unknown key rte for Outer; allowed: flag, inner, name, rate, shape"),
        ({"inner": {"mode": "c"}}, "inner.mode must be one of 'a', 'b'; got 'c'"),
        ({"inner": {"colour": 1}}, "unknown key inner.colour"),
        ({"flag": "yes"}, "flag must be true or false"),
        ({"rate": "fast"}, "rate must be a number"),
        ({"shape": 3}, "shape must be a list"),
        ({"inner": 3}, "inner must be a mapping"),
    ],
)
def test_bad_dicts_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Outer.from_dict(data)


def test_choices_are_checked_on_construction():
    with pytest.raises(ConfigError, match="mode must be one of"):
        Inner(mode="z")  # type: ignore[arg-type]


def test_every_shipped_config_class_is_strict():
    """The library's configs load strictly from their own asdict, and reject a bad choice."""
    from amplitudes.learn.dataset import DatasetConfig
    from amplitudes.learn.model import RegressorConfig
    from amplitudes.learn.train import PRESETS, Preset
    from jets.features import FeatureConfig
    from jets.model import TaggerConfig
    from symtok.nn.encoder import EncoderConfig
    from symtok.nn.jepa import JEPAConfig
    from symtok.nn.train import TrainConfig

    for cls in (DatasetConfig, RegressorConfig, FeatureConfig, TaggerConfig, EncoderConfig, JEPAConfig, TrainConfig):
        assert cls.from_dict(asdict(cls())) == cls()
        with pytest.raises(ConfigError, match="unknown key"):
            cls.from_dict({"no_such_key": 1})
    for preset in PRESETS.values():
        assert Preset.from_dict(asdict(preset)) == preset
    with pytest.raises(ConfigError, match="loss must be one of"):
        JEPAConfig(loss="msee")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="attention must be one of"):
        EncoderConfig.from_dict({"attention": "bogus"})
    with pytest.raises(ConfigError, match="attention must be one of"):
        TaggerConfig.from_dict({"attention": "bogus"})
