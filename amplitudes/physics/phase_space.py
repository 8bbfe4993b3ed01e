"""2→2 kinematics in the centre-of-mass frame, and MARTY's invariants s_ij = p_i·p_j.

Convention (as in the SYMBA data, see docs/physics.md): p_1, p_2 incoming, p_3, p_4 outgoing,
all physical (positive energy), metric (+,−,−,−); s_ij is the Minkowski product p_i·p_j, so
(p_1 + p_2)^2 = m_1^2 + m_2^2 + 2 s_12.
"""

from __future__ import annotations

import math

import numpy as np

from symtok.errors import SymtokError

METRIC = np.diag([1.0, -1.0, -1.0, -1.0])


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minkowski product over the last axis."""
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def two_body_momentum(sqrt_s: float, m_a: float, m_b: float) -> float:
    """|p| of either particle of a two-body state of energy sqrt_s in its rest frame."""
    s = sqrt_s * sqrt_s
    lam = (s - (m_a + m_b) ** 2) * (s - (m_a - m_b) ** 2)
    return math.sqrt(max(lam, 0.0)) / (2.0 * sqrt_s)


def check_point(masses: tuple[float, float, float, float], sqrt_s: float, cos_theta: float) -> None:
    """SymtokError unless sqrt_s is above both thresholds and |cos_theta| <= 1."""
    if not (math.isfinite(sqrt_s) and math.isfinite(cos_theta)):
        raise SymtokError("sqrt_s and cos_theta must be finite numbers")
    if abs(cos_theta) > 1.0:
        raise SymtokError(f"cos_theta = {cos_theta} is outside [-1, 1]")
    threshold = max(masses[0] + masses[1], masses[2] + masses[3])
    if sqrt_s <= threshold:
        raise SymtokError(f"sqrt_s = {sqrt_s} GeV is at or below the threshold {threshold:.6g} GeV of this process")


def momenta(masses: tuple[float, float, float, float], sqrt_s: float, cos_theta: float, phi: float = 0.0) -> np.ndarray:
    """(4, 4) array of p_1..p_4 (E, px, py, pz): p_1 along +z, p_3 at polar angle theta."""
    check_point(masses, sqrt_s, cos_theta)
    m1, m2, m3, m4 = masses
    p_in = two_body_momentum(sqrt_s, m1, m2)
    p_out = two_body_momentum(sqrt_s, m3, m4)
    sin_theta = math.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
    direction = np.array([sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta])
    p = np.zeros((4, 4))
    p[0] = [math.sqrt(p_in**2 + m1**2), 0.0, 0.0, p_in]
    p[1] = [math.sqrt(p_in**2 + m2**2), 0.0, 0.0, -p_in]
    p[2, 0], p[2, 1:] = math.sqrt(p_out**2 + m3**2), p_out * direction
    p[3, 0], p[3, 1:] = math.sqrt(p_out**2 + m4**2), -p_out * direction
    return p


def invariants(p: np.ndarray) -> dict[str, float]:
    """MARTY's s_ij = p_i·p_j for 1 <= i, j <= 4 (both orders) and the Mandelstam s, t, u."""
    out = {f"s_{i + 1}{j + 1}": float(dot(p[i], p[j])) for i in range(4) for j in range(4)}
    out["s"] = float(dot(p[0] + p[1], p[0] + p[1]))
    out["t"] = float(dot(p[0] - p[2], p[0] - p[2]))
    out["u"] = float(dot(p[0] - p[3], p[0] - p[3]))
    return out
