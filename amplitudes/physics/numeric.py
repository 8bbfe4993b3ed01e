"""Independent numeric |M|^2: explicit Dirac matrices, spinors, polarisation vectors and colour
matrices, summed over helicities and colours (no traces, no symbolic algebra).

Feynman rules as in Peskin & Schroeder (QED: -i e Q gamma^mu, photon -i g_mn / q^2; QCD, ch. 16:
i g gamma^mu t^a, gluon -i g_mn delta^ab / q^2, three-gluon g f^abc [g^mn (k-p)^r + g^nr (p-q)^m +
g^rm (q-k)^n] with all momenta incoming, four-gluon -i g^2 [...]; fermion propagator
i (qslash + m) / (q^2 - m^2)). Each diagram is a colour tensor times a kinematic tensor over the
legs' helicities, so sum |M|^2 = sum_{d,d'} C_{dd'} K_{dd'} with C the colour matrix and K the
helicity sums. External vector bosons carry only their two physical (transverse) polarisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from amplitudes.physics.diagrams import Diagram, diagrams
from amplitudes.physics.particles import Particle
from amplitudes.physics.phase_space import METRIC, dot, momenta
from amplitudes.physics.process import Process, process_masses
from amplitudes.physics.theory import infer_theory
from symtok.errors import SymtokError

# ---------------------------------------------------------------------------------- algebra

SIGMA = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)
GAMMA = np.zeros((4, 4, 4), dtype=complex)  # gamma^mu, Dirac representation
GAMMA[0] = np.diag([1, 1, -1, -1])
for _k in range(3):
    GAMMA[_k + 1, :2, 2:] = SIGMA[_k]
    GAMMA[_k + 1, 2:, :2] = -SIGMA[_k]
METRIC_DIAG = np.diag(METRIC)


def slash(p: np.ndarray) -> np.ndarray:
    """p_mu gamma^mu for p (..., 4) contravariant -> (..., 4, 4)."""
    return np.einsum("...m,mab->...ab", p * METRIC_DIAG, GAMMA)


@cache
def colour_matrices() -> tuple[np.ndarray, np.ndarray]:
    """(T, f): T^a = lambda^a / 2 as (8, 3, 3) and the structure constants f^abc as (8, 8, 8),
    from [T^a, T^b] = i f^abc T^c and Tr(T^a T^b) = delta^ab / 2."""
    lam = np.zeros((8, 3, 3), dtype=complex)
    lam[0][0, 1] = lam[0][1, 0] = 1
    lam[1][0, 1], lam[1][1, 0] = -1j, 1j
    lam[2][0, 0], lam[2][1, 1] = 1, -1
    lam[3][0, 2] = lam[3][2, 0] = 1
    lam[4][0, 2], lam[4][2, 0] = -1j, 1j
    lam[5][1, 2] = lam[5][2, 1] = 1
    lam[6][1, 2], lam[6][2, 1] = -1j, 1j
    lam[7] = np.diag([1, 1, -2]) / np.sqrt(3)
    t = lam / 2
    commutator = np.einsum("aij,bjk->abik", t, t) - np.einsum("bij,ajk->abik", t, t)
    f = np.real(-2j * np.einsum("abik,cki->abc", commutator, t))
    return t, f


# ---------------------------------------------------------------------------- wave functions


def _sigma_dot(p3: np.ndarray) -> np.ndarray:
    return np.einsum("k,kab->ab", p3, SIGMA)


def spinors_u(p: np.ndarray, m: float) -> np.ndarray:
    """u(p, s) for the two basis spin states: (2, 4); sum_s u ubar = pslash + m."""
    e = p[0]
    a = np.sqrt(e + m)
    sp = _sigma_dot(p[1:])
    chi = np.eye(2, dtype=complex)
    return np.concatenate([a * chi, (sp @ chi).T / a], axis=1)


def spinors_v(p: np.ndarray, m: float) -> np.ndarray:
    """v(p, s): (2, 4); sum_s v vbar = pslash - m."""
    e = p[0]
    a = np.sqrt(e + m)
    sp = _sigma_dot(p[1:])
    eta = np.eye(2, dtype=complex)
    return np.concatenate([(sp @ eta).T / a, a * eta], axis=1)


def bar(spinors: np.ndarray) -> np.ndarray:
    """Dirac adjoint of each row: psi^dagger gamma^0."""
    return spinors.conj() @ GAMMA[0]


def polarisations(p: np.ndarray) -> np.ndarray:
    """Two real transverse polarisation vectors of a massless vector boson of momentum p: (2, 4)."""
    px, py, pz = p[1:]
    theta = np.arctan2(np.hypot(px, py), pz)
    phi = np.arctan2(py, px)
    e1 = [0.0, np.cos(theta) * np.cos(phi), np.cos(theta) * np.sin(phi), -np.sin(theta)]
    e2 = [0.0, -np.sin(phi), np.cos(phi), 0.0]
    return np.array([e1, e2], dtype=complex)


@dataclass
class Leg:
    """An external leg at a phase-space point: wave functions (2, 4), role and incoming momentum."""

    particle: Particle
    incoming: bool
    momentum: np.ndarray  # physical momentum
    wave: np.ndarray  # spinors (rows or columns) or polarisation vectors, (helicity, component)
    role: str  # "row" (ubar, vbar), "col" (u, v) or "vector"

    @property
    def k(self) -> np.ndarray:
        """Momentum flowing into the diagram."""
        return self.momentum if self.incoming else -self.momentum


def make_leg(particle: Particle, incoming: bool, p: np.ndarray, mass: float) -> Leg:
    """Wave functions of one leg: u (in fermion), ubar (out fermion), vbar (in anti), v (out anti), epsilon."""
    if particle.is_vector:
        eps = polarisations(p)
        return Leg(particle, incoming, p, eps if incoming else eps.conj(), "vector")
    if not particle.is_antiparticle:
        return (
            Leg(particle, incoming, p, spinors_u(p, mass), "col")
            if incoming
            else Leg(particle, incoming, p, bar(spinors_u(p, mass)), "row")
        )
    return (
        Leg(particle, incoming, p, bar(spinors_v(p, mass)), "row")
        if incoming
        else Leg(particle, incoming, p, spinors_v(p, mass), "col")
    )


# --------------------------------------------------------------------------------- diagrams


@dataclass
class Couplings:
    e: float = 1.0
    g: float = 1.0


def _colour_dim(leg: Leg, theory: str) -> int:
    if theory == "qed":  # QED's quarks are colourless (SYMBA's QED set)
        return 1
    return 8 if leg.particle.colour == 8 else 3 if abs(leg.particle.colour) == 3 else 1


def _lower(v: np.ndarray) -> np.ndarray:
    return v * METRIC_DIAG


def _vertex_current(
    legs: list[Leg], pair: tuple[int, int], theory: str, c: Couplings, boson: Particle
) -> tuple[np.ndarray, np.ndarray]:
    """Current J^mu (h_i, h_j, mu) and colour (c_i, c_j, a) emitted by legs i, j into a vector
    propagator ``boson`` (photon or gluon)."""
    i, j = pair
    li, lj = legs[i], legs[j]
    if li.role != "vector" and lj.role != "vector":
        swap = li.role == "col"
        row, col = (lj, li) if swap else (li, lj)
        if boson.name == "a":
            charge = float(row.particle.charge if not row.particle.is_antiparticle else -row.particle.charge)
            coupling = -1j * c.e * charge
            dim = _colour_dim(row, theory)
            colour = np.eye(dim, dtype=complex)[:, :, None]  # (c_row, c_col, 1)
        else:
            coupling = 1j * c.g
            t, _ = colour_matrices()
            colour = np.transpose(t, (1, 2, 0))  # (c_row, c_col, a)
        current = coupling * np.einsum("ra,mab,cb->rcm", row.wave, GAMMA, col.wave)
        if swap:
            current = current.transpose(1, 0, 2)
            colour = colour.transpose(1, 0, 2)
        return current, colour
    if li.role == "vector" and lj.role == "vector" and boson.name == "g":
        k_i, k_j = li.k, lj.k
        vertex = three_gluon_vertex(k_i, k_j, -(k_i + k_j))  # (mu, nu, alpha), upper
        current = c.g * np.einsum("mna,xm,yn->xya", vertex, _lower(li.wave), _lower(lj.wave))
        _, f = colour_matrices()
        return current, f.astype(complex)
    raise SymtokError(f"no vertex for legs {i + 1}, {j + 1} of this process in {theory}")


def three_gluon_vertex(k: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Lorentz part V^{mu nu rho} of the three-gluon vertex (momenta incoming), upper indices."""
    g = METRIC  # g^{mu nu} has the same entries as g_{mu nu}
    return np.einsum("mn,r->mnr", g, k - p) + np.einsum("nr,m->mnr", g, p - q) + np.einsum("rm,n->mnr", g, q - k)


_LETTERS = "abcd"


def _to_leg_order(tensor: np.ndarray, order: list[int]) -> np.ndarray:
    """Axes currently belong to legs ``order``; return axes in leg order 0..3."""
    return np.einsum(f"{''.join(_LETTERS[o] for o in order)}->abcd", tensor)


def _fermion_sign(legs: list[Leg], groups: tuple[tuple[int, ...], ...]) -> int:
    """Relative sign of a four-fermion pairing: the parity of the cols matched to the sorted rows."""
    pairs = []
    for group in groups:
        if all(legs[x].role != "vector" for x in group):
            row = next(x for x in group if legs[x].role == "row")
            col = next(x for x in group if legs[x].role == "col")
            pairs.append((row, col))
    if len(pairs) < 2:
        return 1
    pairs.sort()
    return 1 if pairs[0][1] < pairs[1][1] else -1


def diagram_terms(
    diagram: Diagram, legs: list[Leg], theory: str, c: Couplings, masses: list[float]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(colour tensor, kinematic tensor) terms of one diagram, both with axes in leg order."""
    if diagram.propagator is None:
        return _contact_terms(legs, c)
    (i, j), (k, m) = diagram.groups
    x = diagram.propagator
    if x.is_vector:
        j1, c1 = _vertex_current(legs, (i, j), theory, c, x)
        j2, c2 = _vertex_current(legs, (k, m), theory, c, x)
        q = legs[i].k + legs[j].k
        kin = (-1j / dot(q, q)) * np.einsum("xym,m,zwm->xyzw", j1, METRIC_DIAG, j2)
        colour = np.einsum("xya,zwa->xyzw", c1, c2)
        sign = _fermion_sign(legs, diagram.groups)
        order = [i, j, k, m]
        return [(_to_leg_order(colour, order), sign * _to_leg_order(kin, order))]
    # fermion exchange: one fermion and one boson at each vertex; follow the line from its col end
    group_a = (i, j) if any(legs[y].role == "col" for y in (i, j)) else (k, m)
    group_b = (k, m) if group_a == (i, j) else (i, j)
    col = next(y for y in group_a if legs[y].role == "col")
    boson_a = next(y for y in group_a if y != col)
    row = next(y for y in group_b if legs[y].role == "row")
    boson_b = next(y for y in group_b if y != row)
    mass = masses[next(n for n, leg in enumerate(legs) if abs(leg.particle.pdg) == abs(x.pdg))]
    q = legs[col].k + legs[boson_a].k
    propagator = 1j * (slash(q) + mass * np.eye(4)) / (dot(q, q) - mass * mass)
    vertex_a, vertex_b, colour = _boson_vertices(legs, boson_a, boson_b, theory, c, legs[col].particle)
    kin = np.einsum("ra,bac,cd,xde,ye->rbxy", legs[row].wave, vertex_b, propagator, vertex_a, legs[col].wave)
    order = [row, boson_b, boson_a, col]
    return [(_to_leg_order(colour, order), _to_leg_order(kin, order))]


def _boson_vertices(
    legs: list[Leg], a: int, b: int, theory: str, c: Couplings, fermion: Particle
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertex matrices (helicity, 4, 4) for bosons a (near the col end) and b, and the colour tensor
    (c_row, a_b, a_a, c_col)."""
    slashed = [slash(_raise_wave(legs[x].wave)) for x in (a, b)]
    charge = float(fermion.charge if not fermion.is_antiparticle else -fermion.charge)
    dim = 1 if theory == "qed" else abs(fermion.colour)
    couplings, colours = [], []
    for x in (a, b):
        if legs[x].particle.name == "g":
            t, _ = colour_matrices()
            couplings.append(1j * c.g)
            colours.append(t)  # (a, i, j)
        else:
            couplings.append(-1j * c.e * charge)
            colours.append(np.eye(dim, dtype=complex)[None])  # (1, i, j)
    colour = np.einsum("bij,ajk->ibak", colours[1], colours[0])
    return couplings[0] * slashed[0], couplings[1] * slashed[1], colour


def _raise_wave(wave: np.ndarray) -> np.ndarray:
    """Polarisation vectors are stored contravariant already; slash() lowers them."""
    return wave


def _contact_terms(legs: list[Leg], c: Couplings) -> list[tuple[np.ndarray, np.ndarray]]:
    _, f = colour_matrices()
    eps = [_lower(leg.wave) for leg in legs]
    up = [leg.wave for leg in legs]

    def d(x: int, y: int) -> np.ndarray:  # (h_x, h_y) Minkowski products eps_x . eps_y
        return np.einsum("am,bm->ab", up[x], eps[y])

    def pair(x: int, y: int, z: int, w: int) -> np.ndarray:
        return _to_leg_order(np.einsum("ab,cd->abcd", d(x, y), d(z, w)), [x, y, z, w])

    factor = -1j * c.g * c.g
    structures = [
        (np.einsum("abe,cde->abcd", f, f), pair(0, 2, 1, 3) - pair(0, 3, 1, 2)),
        (np.einsum("ace,bde->abcd", f, f), pair(0, 1, 2, 3) - pair(0, 3, 1, 2)),
        (np.einsum("ade,bce->abcd", f, f), pair(0, 1, 2, 3) - pair(0, 2, 1, 3)),
    ]
    return [(col.astype(complex), factor * kin) for col, kin in structures]


# ------------------------------------------------------------------------------------- |M|^2


def build_legs(process: Process, p: np.ndarray, masses: list[float]) -> list[Leg]:
    return [make_leg(part, n < 2, p[n], masses[n]) for n, part in enumerate(process.legs)]


def amplitude_tensor(
    process: Process, theory: str, legs: list[Leg], masses: list[float], couplings: Couplings | None = None
) -> np.ndarray:
    """The full amplitude M[c1..c4, h1..h4] (colour axes, then helicity axes) at the legs' momenta."""
    c = couplings or Couplings()
    dims = [_colour_dim(leg, theory) for leg in legs]
    total = None
    for d in diagrams(process, theory):
        for colour, kin in diagram_terms(d, legs, theory, c, masses):
            term = np.multiply.outer(np.broadcast_to(colour, dims), kin)
            total = term if total is None else total + term
    if total is None:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    return total


def me2_numeric_at(
    process: Process,
    theory: str,
    p: np.ndarray,
    masses: list[float],
    couplings: Couplings | None = None,
    legs: list[Leg] | None = None,
) -> float:
    """Spin- and colour-summed, initial-state-averaged |M|^2 at momenta p (4, 4)."""
    c = couplings or Couplings()
    legs = legs or build_legs(process, p, masses)
    terms = [t for d in diagrams(process, theory) for t in diagram_terms(d, legs, theory, c, masses)]
    if not terms:
        raise SymtokError(f"{process} has no tree-level diagram in {theory}")
    dims = [_colour_dim(leg, theory) for leg in legs]
    amplitude_colour = [np.broadcast_to(col, dims) for col, _ in terms]
    total = 0.0 + 0.0j
    for a, (_ca, ka) in enumerate(terms):
        for b, (_cb, kb) in enumerate(terms):
            colour = np.vdot(amplitude_colour[b], amplitude_colour[a])
            if colour == 0:
                continue
            total += colour * np.vdot(kb, ka)
    average = 1.0
    for leg in legs[:2]:
        average *= leg.particle.spin_states * _colour_dim(leg, theory)
    return float(total.real) / average


def me2_numeric(
    process: Process | str,
    sqrt_s: float,
    cos_theta: float,
    *,
    theory: str = "auto",
    e: float = 1.0,
    g: float = 1.0,
    massless: bool = False,
) -> float:
    """Independent numeric |M|^2 of a 2→2 process at a centre-of-mass point (helicity/colour sums).

    ``theory``: qed, qcd or auto (see infer_theory). Masses from PDG unless ``massless``."""
    if isinstance(process, str):
        process = Process.parse(process)
    if theory == "auto":
        theory = infer_theory(process)
    masses = process_masses(process, massless)
    p = momenta(tuple(masses), sqrt_s, cos_theta)  # type: ignore[arg-type]
    return me2_numeric_at(process, theory, p, masses, Couplings(e, g))
