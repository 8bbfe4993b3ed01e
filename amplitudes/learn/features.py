"""Model features of a kinematic point: what the regression surrogate sees besides the tokens
(also the inputs of the exported ONNX graph), and the reference energy of a process.

The features are dimensionless (cos θ, m_i/√s, s_ij/s). The |M|² of a 2→2 tree diagram is itself
dimensionless, so it is a function of these alone: the energy scale enters only through m_i/√s, and
a massless process has the same features at every energy. Energy is not a cliff."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from amplitudes.physics.phase_space import invariants, momenta
from amplitudes.physics.process import Process
from symtok.errors import SymtokError

_PAIRS = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))

#: The default model features of a kinematic point (amplitudes.learn.dataset, the exported ONNX graphs).
KIN_FEATURES = ("cos_theta", *(f"m_{k}/sqrt_s" for k in range(1, 5)), *(f"s_{i}{j}/s" for i, j in _PAIRS))
#: The features of models trained before the dimensionless set (read from their config.json).
LEGACY_KIN_FEATURES = ("ln_sqrt_s", "cos_theta", *(f"s_{i}{j}/s" for i, j in _PAIRS))
KNOWN_FEATURES = frozenset(KIN_FEATURES + LEGACY_KIN_FEATURES)


def check_features(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as a tuple, or SymtokError naming the unknown ones."""
    unknown = [n for n in names if n not in KNOWN_FEATURES]
    if unknown or not names:
        raise SymtokError(f"unknown kinematic features {unknown or '(none given)'}; known: {sorted(KNOWN_FEATURES)}")
    return tuple(names)


def kinematic_features(
    process: Process, sqrt_s: float, cos_theta: float, names: Sequence[str] = KIN_FEATURES
) -> tuple[np.ndarray, dict[str, float]]:
    """The named model features of a point (default KIN_FEATURES) and MARTY's invariants there."""
    masses = tuple(p.mass for p in process.legs)
    inv = invariants(momenta(masses, sqrt_s, cos_theta))  # type: ignore[arg-type]
    s = inv["s"]
    values = {"ln_sqrt_s": math.log(sqrt_s), "cos_theta": cos_theta}
    values.update({f"m_{k}/sqrt_s": m / sqrt_s for k, m in enumerate(masses, 1)})  # type: ignore[operator]
    values.update({f"s_{i}{j}/s": inv[f"s_{i}{j}"] / s for i, j in _PAIRS})
    return np.array([values[n] for n in names], dtype=np.float32), inv


def reference_energy(process: Process) -> float:
    """The lower end of the sampled energy range: 5% above threshold, at least 1 GeV."""
    masses = [p.mass for p in process.legs]
    return max(1.05 * max(masses[0] + masses[1], masses[2] + masses[3]), 1.0)
