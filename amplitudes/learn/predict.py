"""``symtok predict``: |M|^2 of an amplitude at a kinematic point from a trained regressor, with the
exact value and relative error on request."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from sympy import Expr

from amplitudes.learn.features import kinematic_features, reference_energy
from amplitudes.physics.particles import particle
from amplitudes.physics.process import Process
from symtok import parse, tokenize
from symtok.errors import SymtokError
from symtok.files import data_path
from symtok.io import BadRow, read_rows
from symtok.onnx_runtime import OnnxModel
from symtok.vocab import Vocab

DEFAULT_MODEL = "amplitude-default"


def default_model_dir() -> Path:
    return data_path("models", DEFAULT_MODEL)


@cache
def _load(directory: str):
    from amplitudes.learn.model import load_regressor

    return load_regressor(directory)


@cache
def _onnx(directory: str):
    path = Path(directory) / "model.onnx"
    if not path.exists():
        raise SymtokError(f"no {path}; export it with `symtok export onnx --model {directory} -o {path}`")
    return OnnxModel(path)


def pad_batch(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, attention_mask) int64 arrays of a batch of id sequences."""
    n = max(len(s) for s in sequences)
    tokens = np.zeros((len(sequences), n), dtype=np.int64)
    mask = np.zeros((len(sequences), n), dtype=np.int64)
    for b, s in enumerate(sequences):
        tokens[b, : len(s)] = s
        mask[b, : len(s)] = 1
    return tokens, mask


def onnx_predict_log10(model: OnnxModel, sequences: list[list[int]], kin: np.ndarray) -> np.ndarray:
    """log10 |M|^2 for each sequence at its points: kin (B, K, F) raw features -> (B, K)."""
    tokens, mask = pad_batch(sequences)
    return model.run({"tokens": tokens, "attention_mask": mask, "kinematics": kin.astype(np.float32)})[0]


def process_of_amplitude(expr: Expr) -> Process:
    """The 2→2 process an amplitude describes, from its external wave functions: p_1, p_2 incoming,
    p_3, p_4 outgoing; u-type spinors are particles, v-type antiparticles. A spinor with a colour
    index is a quark, so a coloured ``t`` is the top (QCD files) and an uncoloured one the tau."""
    from amplitudes.physics.verify import legs_of_amplitude

    need = "an amplitude of a 2 -> 2 process needs wave functions with p_1 ... p_4"
    try:
        legs = legs_of_amplitude(expr)
    except SymtokError as err:
        raise SymtokError(f"{need}: {err}") from None
    if len(legs) != 4:
        raise SymtokError(f"{need}; found {len(legs)} legs")
    return Process((particle(legs[0]), particle(legs[1])), (particle(legs[2]), particle(legs[3])))


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
    check_point(sqrt_s, cos_theta)
    if process is not None:
        from amplitudes.generate import process_rows
        from amplitudes.physics.theory import infer_theory

        proc = Process.parse(process)
        amplitude = process_rows(proc, infer_theory(proc), mode="process")[0].amplitude
    else:
        proc = process_of_amplitude(parse(amplitude or ""))
    directory = str(model_dir or default_model_dir())
    if not Path(directory).exists():
        raise SymtokError(f"no model at {directory}; train one with `symtok amplitudes train --preset default`")
    vocab, span, features = _metadata(directory)
    tokens = vocab.encode(tokenize(amplitude or ""))
    kin, inv = kinematic_features(proc, sqrt_s, cos_theta, features)
    if backend == "onnx":
        value = float(10.0 ** onnx_predict_log10(_onnx(directory), [tokens], kin[None, None, :])[0][0])
    elif backend == "torch":
        from amplitudes.learn.model import predict_log10

        model, scale, _, _ = _load(directory)
        value = float(10.0 ** predict_log10(model, scale, [tokens], [kin[None, :]])[0][0])
    else:
        raise SymtokError(f"backend must be torch or onnx, got {backend!r}")
    truth = None
    if exact or squared_amplitude is not None:
        truth = _exact(proc, sqrt_s, cos_theta, squared_amplitude, inv)
    if not math.isfinite(value):
        raise SymtokError(f"the model's prediction at sqrt(s) = {sqrt_s} GeV is not a finite number")
    rel = abs(value / truth - 1.0) if truth else None
    ref = reference_energy(proc)
    inside = ref <= sqrt_s <= span * ref and abs(cos_theta) <= 0.95
    return Prediction(str(proc), sqrt_s, cos_theta, value, truth, rel, directory, inside)


@cache
def _metadata(directory: str) -> tuple[Vocab, float, tuple[str, ...]]:
    """The model's vocabulary, the sqrt_s span it was trained on (the DatasetConfig stored in its
    own config.json by every trainer) and its kinematic features, read without torch."""
    import json

    from amplitudes.learn.dataset import DatasetConfig
    from amplitudes.learn.features import LEGACY_KIN_FEATURES, check_features

    path = Path(directory)
    if (path / "checkpoint" / "config.json").exists():
        path = path / "checkpoint"
    vocab = Vocab.load(path / "vocab.json") if (path / "vocab.json").exists() else Vocab.default()
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise SymtokError(f"{path / 'config.json'} is not readable: {err}") from None
    dataset = DatasetConfig.from_dict(config.get("dataset", {}))
    regressor = config.get("regressor", {})
    if not isinstance(regressor, dict):
        raise SymtokError(f"{path / 'config.json'} has no regressor config")
    features = check_features(regressor.get("kin_features", LEGACY_KIN_FEATURES))
    return vocab, dataset.sqrt_s_span, features


def _exact(proc: Process, sqrt_s: float, cos_theta: float, squared: str | None, inv: dict[str, float]) -> float:
    if squared is None:
        from amplitudes.physics.me2 import me2
        from amplitudes.physics.theory import infer_theory

        return me2(proc, sqrt_s, cos_theta, theory=infer_theory(proc))
    from sympy import lambdify

    from amplitudes.physics.me2 import point_values

    expr = parse(squared)
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    values = point_values(proc, inv)
    value = complex(lambdify(args, expr, "math")(*(values[a.name] for a in args)))
    if not math.isfinite(value.real):
        raise SymtokError("the squared amplitude is not finite at this point")
    return value.real


@dataclass(frozen=True)
class RowPrediction:
    """One input row's outcome in a batch: its line, and the prediction or the reason it has none."""

    line: int
    prediction: Prediction | None = None
    error: str | None = None


def predict_file(
    path: str,
    sqrt_s: float,
    cos_theta: float,
    *,
    model_dir: str | Path | None = None,
    exact: bool = False,
    backend: str = "torch",
) -> Iterator[RowPrediction]:
    """Predict every row of a SYMBA file at one point; a row that cannot be predicted (unreadable,
    below threshold, unknown particle, ...) yields its error and the batch goes on."""
    for row in read_rows(path, "symba"):
        if isinstance(row, BadRow):
            yield RowPrediction(row.line, error=row.reason)
            continue
        try:
            result = predict(
                sqrt_s,
                cos_theta,
                amplitude=row.amplitude,
                squared_amplitude=row.squared_amplitude if exact else None,
                model_dir=model_dir,
                backend=backend,
            )
        except (SymtokError, ValueError, ArithmeticError) as err:
            yield RowPrediction(row.line, error=f"{type(err).__name__}: {err}")
        else:
            yield RowPrediction(row.line, prediction=result)


@dataclass(frozen=True)
class PointCheck:
    """The surrogate against a row's own squared amplitude at one point; ``rel_error`` is None where
    the row's value is not positive (a single diagram's square can be, in Feynman gauge)."""

    line: int
    process: str
    sqrt_s: float
    cos_theta: float
    prediction: float
    exact: float
    rel_error: float | None


def check_surrogate_rows(
    path: str,
    *,
    model_dir: str | Path | None = None,
    energies: tuple[float, ...] = (1.2, 3.0, 30.0),
    cosines: tuple[float, ...] = (-0.5, 0.3),
    limit: int | None = None,
    errors: list[tuple[int, str]] | None = None,
) -> list[PointCheck]:
    """The regression surrogate on every row of a SYMBA file at the points √s = r · ref (r in
    ``energies``, ref = 5 % above the row's threshold, at least 1 GeV) and cos θ in ``cosines``,
    against the row's own squared amplitude; batched. Rows that cannot be checked go to ``errors``."""
    from amplitudes.learn.model import predict_log10

    directory = str(model_dir or default_model_dir())
    model, scale, _, _ = _load(directory)
    vocab, _, features = _metadata(directory)
    errors = errors if errors is not None else []
    todo: list[tuple[int, str, list[int], np.ndarray, list[tuple[float, float, float]]]] = []
    for n, row in enumerate(read_rows(path, "symba")):
        if limit is not None and n >= limit:
            break
        if isinstance(row, BadRow):
            errors.append((row.line, row.reason))
            continue
        try:
            proc = process_of_amplitude(parse(row.amplitude))
            tokens = vocab.encode(tokenize(row.amplitude))
            ref = reference_energy(proc)
            kins, points = [], []
            for r in energies:
                for c in cosines:
                    kin, inv = kinematic_features(proc, r * ref, c, features)
                    kins.append(kin)
                    points.append((r * ref, c, _exact(proc, r * ref, c, row.squared_amplitude or "", inv)))
        except (SymtokError, ValueError, ArithmeticError) as err:
            errors.append((row.line, f"{type(err).__name__}: {err}"))
            continue
        todo.append((row.line, str(proc), tokens, np.stack(kins), points))
    preds = predict_log10(model, scale, [t[2] for t in todo], [t[3] for t in todo]) if todo else []
    out = []
    for (line, proc_name, _, _, points), pred in zip(todo, preds, strict=True):
        for (sqrt_s, cos, truth), p in zip(points, pred, strict=True):
            value = float(10.0**p)
            rel = abs(value / truth - 1.0) if truth > 0 else None
            out.append(PointCheck(line, proc_name, sqrt_s, cos, value, truth, rel))
    return out


MAX_SQRT_S = 1e7  # GeV: far above any collider; beyond it float64 invariants lose all precision


def check_point(sqrt_s: float, cos_theta: float) -> None:
    """SymtokError unless 0 < sqrt_s <= MAX_SQRT_S GeV and -1 <= cos_theta <= 1 (finite numbers)."""
    if not (math.isfinite(sqrt_s) and 0 < sqrt_s <= MAX_SQRT_S):
        raise SymtokError(f"--sqrt-s must be a positive energy up to {MAX_SQRT_S:g} GeV, got {sqrt_s}")
    if not (math.isfinite(cos_theta) and -1.0 <= cos_theta <= 1.0):
        raise SymtokError(f"--cos-theta must be in [-1, 1], got {cos_theta}")


def model_kind_of(directory: str | Path) -> str:
    """The kind a model directory's config.json names (read without torch)."""
    import json

    path = Path(directory)
    if (path / "checkpoint" / "config.json").exists():
        path = path / "checkpoint"
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise SymtokError(f"{path} is not a model directory: {err}") from None
    kind = config.get("kind") if isinstance(config, dict) else None
    if not isinstance(kind, str):
        raise SymtokError(f"{path / 'config.json'} names no model kind")
    return kind


def evaluate_expression(amplitude: str, squared: str, sqrt_s: float, cos_theta: float) -> float:
    """The value (e = g = 1, reg_prop = 0) of a squared amplitude at a 2→2 point of the amplitude's process."""
    check_point(sqrt_s, cos_theta)
    proc = process_of_amplitude(parse(amplitude))
    _, inv = kinematic_features(proc, sqrt_s, cos_theta)
    return _exact(proc, sqrt_s, cos_theta, squared, inv)


__all__ = [
    "PointCheck",
    "Prediction",
    "RowPrediction",
    "check_surrogate_rows",
    "evaluate_expression",
    "model_kind_of",
    "predict",
    "predict_file",
    "process_of_amplitude",
]
