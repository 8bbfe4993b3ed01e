"""Model features of a kinematic point: what the regression surrogate sees besides the tokens
(also the inputs of the exported ONNX graph), and the reference energy of a process."""

from __future__ import annotations

import math

import numpy as np

from amplitudes.physics.phase_space import invariants, momenta
from amplitudes.physics.process import Process

#: Model features of a kinematic point (amplitudes.learn.dataset and the exported ONNX graphs).
KIN_FEATURES = ("ln_sqrt_s", "cos_theta", "s_12/s", "s_13/s", "s_14/s", "s_23/s", "s_24/s", "s_34/s")


def kinematic_features(process: Process, sqrt_s: float, cos_theta: float) -> tuple[np.ndarray, dict[str, float]]:
    """Model features of a point (see KIN_FEATURES) and MARTY's invariants there."""
    inv = invariants(momenta(tuple(p.mass for p in process.legs), sqrt_s, cos_theta))  # type: ignore[arg-type]
    s = inv["s"]
    feats = [math.log(sqrt_s), cos_theta] + [
        inv[f"s_{i}{j}"] / s for i, j in ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
    ]
    return np.array(feats, dtype=np.float32), inv


def reference_energy(process: Process) -> float:
    """The lower end of the sampled energy range: 5% above threshold, at least 1 GeV."""
    masses = [p.mass for p in process.legs]
    return max(1.05 * max(masses[0] + masses[1], masses[2] + masses[3]), 1.0)
