"""Kinematics in the centre-of-mass frame (2→2 at an angle, 2→n by RAMBO) and MARTY's invariants
s_ij = p_i·p_j.

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
    """MARTY's s_ij = p_i·p_j for every pair of legs (both orders) and s = (p_1 + p_2)^2,
    t = (p_1 - p_3)^2, u = (p_1 - p_4)^2."""
    n = len(p)
    out = {f"s_{i + 1}{j + 1}": float(dot(p[i], p[j])) for i in range(n) for j in range(n)}
    out["s"] = float(dot(p[0] + p[1], p[0] + p[1]))
    out["t"] = float(dot(p[0] - p[2], p[0] - p[2]))
    out["u"] = float(dot(p[0] - p[3], p[0] - p[3]))
    return out


def rambo(sqrt_s: float, masses: tuple[float, ...] | list[float], rng: np.random.Generator) -> np.ndarray:
    """A point of n-body phase space in the centre-of-mass frame: (n, 4) momenta (E, px, py, pz)
    that sum to (sqrt_s, 0, 0, 0), each on its mass shell. RAMBO (Kleiss, Stirling, Ellis 1986):
    massless momenta uniform in phase space, then rescaled to the masses (the point is uniform for
    massless legs; with masses it is the usual RAMBO point, whose weight this function does not give)."""
    n = len(masses)
    if n < 2:
        raise SymtokError("phase space needs at least two final-state particles")
    if not math.isfinite(sqrt_s) or sqrt_s <= sum(masses):
        raise SymtokError(f"sqrt_s = {sqrt_s} GeV is at or below the threshold {sum(masses):.6g} GeV")
    cos_t = 2.0 * rng.random(n) - 1.0
    phi = 2.0 * math.pi * rng.random(n)
    energy = -np.log(rng.random(n) * rng.random(n))
    sin_t = np.sqrt(1.0 - cos_t**2)
    q = np.stack([energy, energy * sin_t * np.cos(phi), energy * sin_t * np.sin(phi), energy * cos_t], axis=1)
    total = q.sum(axis=0)
    mass_q = math.sqrt(max(float(dot(total, total)), 0.0))
    b = -total[1:] / mass_q
    x = sqrt_s / mass_q
    gamma = total[0] / mass_q
    a = 1.0 / (1.0 + gamma)
    bq = q[:, 1:] @ b
    p = np.empty_like(q)
    p[:, 0] = x * (gamma * q[:, 0] + bq)
    p[:, 1:] = x * (q[:, 1:] + np.outer(q[:, 0] + a * bq, b))
    m = np.asarray(masses, dtype=float)
    if not np.any(m):
        return p
    # massive legs: p_i -> (sqrt(m_i^2 + xi^2 |p_i|^2), xi p_i) with xi solving the energy sum
    k2 = p[:, 0] ** 2
    xi = math.sqrt(1.0 - (m.sum() / sqrt_s) ** 2)
    for _ in range(100):
        e = np.sqrt(m**2 + xi**2 * k2)
        f = e.sum() - sqrt_s
        step = f / float((xi * k2 / e).sum())
        xi -= step
        if abs(step) < 1e-15 * max(xi, 1.0):
            break
    out = np.empty_like(p)
    out[:, 0] = np.sqrt(m**2 + xi**2 * k2)
    out[:, 1:] = xi * p[:, 1:]
    return out


def collision_point(masses: tuple[float, ...] | list[float], sqrt_s: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 4) momenta of a 2 → n−2 collision in the centre-of-mass frame: p_1 along +z, p_2 along −z,
    the final state from :func:`rambo`; momenta are physical (p_1 + p_2 = sum of the outgoing)."""
    m_in, m_out = list(masses[:2]), list(masses[2:])
    if sqrt_s <= max(sum(m_in), sum(m_out)):
        raise SymtokError(
            f"sqrt_s = {sqrt_s} GeV is at or below the threshold {max(sum(m_in), sum(m_out)):.6g} GeV of this process"
        )
    k = two_body_momentum(sqrt_s, *m_in)
    p = np.zeros((len(masses), 4))
    p[0] = [math.sqrt(k * k + m_in[0] ** 2), 0.0, 0.0, k]
    p[1] = [math.sqrt(k * k + m_in[1] ** 2), 0.0, 0.0, -k]
    p[2:] = rambo(sqrt_s, m_out, rng)
    return p
