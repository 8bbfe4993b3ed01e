"""``symtok predict``: |M|^2 of an amplitude at a kinematic point from a trained regressor, with the
exact value and relative error on request."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from sympy import Expr

from amplitudes.kinematics import kinematic_features, reference_energy
from amplitudes.particles import MARTY_FIELD, PARTICLES, particle
from amplitudes.process import Process
from symtok import parse, tokenize
from symtok.errors import SymtokError
from symtok.objects import ColouredSpinorU, SpinorU, WaveFunction
from symtok.paths import data_path
from symtok.vocab import Vocab

DEFAULT_MODEL = "amplitude-default"
_BY_FIELD = {f: pdg for pdg, f in MARTY_FIELD.items()}


def default_model_dir() -> Path:
    return data_path("models", DEFAULT_MODEL)


@cache
def _load(directory: str):
    from amplitudes.regression import load_regressor

    return load_regressor(directory)


@cache
def _onnx(directory: str):
    from symtok.onnxrt import OnnxModel

    path = Path(directory) / "model.onnx"
    if not path.exists():
        raise SymtokError(f"no {path}; export it with `symtok export onnx --model {directory} -o {path}`")
    return OnnxModel(path)


def process_of_amplitude(expr: Expr) -> Process:
    """The 2→2 process an amplitude describes, from its external wave functions: p_1, p_2 incoming,
    p_3, p_4 outgoing; u-type spinors are particles, v-type antiparticles."""
    legs: dict[int, str] = {}
    for wf in expr.atoms(WaveFunction):
        number = int(wf.momentum.name.split("_")[1])
        pdg = _BY_FIELD.get(wf.field.name)
        if pdg is None:
            raise SymtokError(f"unknown field {wf.field.name!r} in the amplitude")
        base = next(p for p in PARTICLES.values() if p.pdg == pdg)
        anti = base.is_fermion and not isinstance(wf, (SpinorU, ColouredSpinorU))
        legs[number] = base.antiparticle if anti else base.name
    if sorted(legs) != [1, 2, 3, 4]:
        raise SymtokError(
            f"an amplitude of a 2 -> 2 process needs wave functions with p_1 ... p_4; found {sorted(legs)}"
        )
    return Process((particle(legs[1]), particle(legs[2])), (particle(legs[3]), particle(legs[4])))


@dataclass(frozen=True)
class Prediction:
    """Model prediction, with the exact value and relative error when asked."""

    process: str
    sqrt_s: float
    cos_theta: float
    prediction: float
    exact: float | None = None
    rel_error: float | None = None
    model: str = ""
    in_training_range: bool = True  # sqrt_s within [ref, span * ref] of the model's dataset


def predict(
    sqrt_s: float,
    cos_theta: float,
    *,
    amplitude: str | None = None,
    process: str | None = None,
    squared_amplitude: str | None = None,
    model_dir: str | Path | None = None,
    exact: bool = False,
    backend: str = "torch",
) -> Prediction:
    """Predict |M|^2 (e = g = 1) for an amplitude, or for a process whose amplitude the generator builds.

    ``backend``: torch (the checkpoint) or onnx (``model.onnx`` in the model directory, written by
    ``symtok export onnx``), run by onnxruntime."""
    if (amplitude is None) == (process is None):
        raise SymtokError("give an amplitude or a process, not both")
    if process is not None:
        from amplitudes.generate import process_rows
        from amplitudes.numeric import infer_theory

        proc = Process.parse(process)
        amplitude = process_rows(proc, infer_theory(proc), mode="process")[0].amplitude
    else:
        proc = process_of_amplitude(parse(amplitude or ""))
    directory = str(model_dir or default_model_dir())
    if not Path(directory).exists():
        raise SymtokError(f"no model at {directory}; train one with `symtok amplitudes train --preset default`")
    vocab, span = _metadata(directory)
    tokens = vocab.encode(tokenize(amplitude or ""))
    kin, inv = kinematic_features(proc, sqrt_s, cos_theta)
    if backend == "onnx":
        from amplitudes.onnx_inference import onnx_predict_log10

        value = float(10.0 ** onnx_predict_log10(_onnx(directory), [tokens], kin[None, None, :])[0][0])
    elif backend == "torch":
        from amplitudes.regression import predict_log10

        model, scale, _, _ = _load(directory)
        value = float(10.0 ** predict_log10(model, scale, [tokens], [kin[None, :]])[0][0])
    else:
        raise SymtokError(f"backend must be torch or onnx, got {backend!r}")
    truth = None
    if exact or squared_amplitude is not None:
        truth = _exact(proc, sqrt_s, cos_theta, squared_amplitude, inv)
    rel = abs(value / truth - 1.0) if truth else None
    ref = reference_energy(proc)
    inside = ref <= sqrt_s <= span * ref and abs(cos_theta) <= 0.95
    return Prediction(str(proc), sqrt_s, cos_theta, value, truth, rel, directory, inside)


@cache
def _metadata(directory: str) -> tuple[Vocab, float]:
    """The model's vocabulary and the sqrt_s span it was trained on, read without torch."""
    import json

    path = Path(directory)
    if (path / "checkpoint" / "config.json").exists():
        path = path / "checkpoint"
    vocab = Vocab.load(path / "vocab.json") if (path / "vocab.json").exists() else Vocab.default()
    metrics = json.loads((path / "metrics.json").read_text()) if (path / "metrics.json").exists() else {}
    span = float(metrics.get("preset_config", {}).get("dataset", {}).get("sqrt_s_span", 20.0))
    return vocab, span


def _exact(proc: Process, sqrt_s: float, cos_theta: float, squared: str | None, inv: dict[str, float]) -> float:
    if squared is None:
        from amplitudes.me2 import me2
        from amplitudes.numeric import infer_theory

        return me2(proc, sqrt_s, cos_theta, theory=infer_theory(proc))
    from sympy import lambdify

    from amplitudes.me2 import point_values

    expr = parse(squared)
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    values = point_values(proc, inv)
    value = complex(lambdify(args, expr, "math")(*(values[a.name] for a in args)))
    if not math.isfinite(value.real):
        raise SymtokError("the squared amplitude is not finite at this point")
    return value.real


__all__ = ["Prediction", "np", "predict", "process_of_amplitude"]
