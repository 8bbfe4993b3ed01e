"""The numeric value of an amplitude *as written* (a SYMBA/MARTY amplitude expression, ours or a real
row's): every object gets explicit components (Dirac matrices, spinors, polarisation vectors,
momenta, metric, colour generators and structure constants), every repeated index is summed, and
|A|^2 is summed over the external helicities and colours.

This checks the amplitude text itself, independently of how it was produced: for one diagram, the
sum of |A|^2 must equal that diagram's squared amplitude (the row's own, or the generator's
per-diagram |M_d|^2). External vector bosons are summed with -g_{mu nu} ("feynman", as SYMBA's
per-diagram rows are) or over their two physical polarisations ("physical").

    amplitude_squared(parse(row.amplitude), process, momenta, values) -> float
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

import numpy as np
from sympy import Add, Expr, I, Mul, Number, Pow, Symbol, expand

from amplitudes.physics.numeric import (
    GAMMA,
    METRIC_DIAG,
    bar,
    colour_matrices,
    polarisations,
    slash,
    spinors_u,
    spinors_v,
)
from amplitudes.physics.process import Process
from symtok.errors import SymtokError
from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LORENTZ, Index
from symtok.objects import (
    ColouredPolarization,
    ColouredSpinorU,
    ColouredSpinorV,
    ColourT,
    Conj,
    DeltaA,
    DeltaF,
    Gamma,
    Metric,
    MomentumComponent,
    Polarization,
    SpinorU,
    SpinorV,
    StructureF,
)

MAX_TERMS = 20_000  # expanded terms: beyond this the expression is refused, not evaluated for minutes
# external helicity x colour states (16 MB per term): g g > g g has 2^20, u u~ > g g g 1.2M, g g > g g g 2^25
MAX_STATES = 1 << 20
_DIMENSION = {LORENTZ: 4, DIRAC: 4, FUNDAMENTAL: 3, ADJOINT: 8}
Axis = tuple  # ("index", name, kind) | ("hel", leg) | ("col", leg)


def _leg(momentum: Expr) -> int:
    name = str(momentum)
    if not name.startswith("p_") or not name[2:].isdigit():
        raise SymtokError(f"cannot evaluate a wave function of momentum {name!r}")
    return int(name[2:])


def _lorentz(vector: np.ndarray, index: Index) -> np.ndarray:
    """Components of a contravariant vector (..., 4) in the position ``index`` is written in."""
    return vector if index.up else vector * METRIC_DIAG


class _Point:
    """Wave functions and momenta of one process at one phase-space point."""

    def __init__(self, process: Process, p: np.ndarray, masses: list[float], vector_sum: str) -> None:
        if vector_sum not in ("feynman", "physical"):
            raise SymtokError(f"vector_sum must be 'feynman' or 'physical', got {vector_sum!r}")
        self.process, self.p, self.masses, self.vector_sum = process, p, masses, vector_sum
        self.weights: dict[int, np.ndarray] = {}  # per external vector leg: weight of each basis state

    def spinor(self, leg: int, v_type: bool, barred: bool) -> np.ndarray:
        """(state, dirac) components of u, v, ubar or vbar of ``leg``: its two helicity spinors on
        shell; off shell (an OffShell leg, p^2 = s_ii != m^2) four weighted states whose sum is
        MARTY's spin sum pslash +- m (:func:`offshell_spinors`)."""
        if leg in self.process.offshell:
            waves, self.weights[leg] = offshell_spinors(self.p[leg - 1], self.masses[leg - 1], v_type)
        else:
            waves = (spinors_v if v_type else spinors_u)(self.p[leg - 1], self.masses[leg - 1])
        return bar(waves) if barred else waves

    def polarisation(self, leg: int, conjugate: bool) -> np.ndarray:
        """(state, mu) contravariant components: 4 basis vectors weighted (-1, 1, 1, 1) so that the
        sum is -g^{mu nu} ("feynman"), or the two transverse polarisations ("physical")."""
        if self.vector_sum == "feynman":
            self.weights[leg] = np.array([-1.0, 1.0, 1.0, 1.0])
            return np.eye(4, dtype=complex)
        self.weights[leg] = np.ones(2)
        eps = polarisations(self.p[leg - 1])
        return eps.conj() if conjugate else eps


def offshell_spinors(p: np.ndarray, m: float, v_type: bool) -> tuple[np.ndarray, np.ndarray]:
    """(waves (4, 4), weights (4,)) with sum_k weight_k w_k w_k^dagger = (pslash + m) gamma^0 (u) or
    (pslash - m) gamma^0 (v), a Hermitian matrix for any p: so sum_k weight_k w_k wbar_k = pslash +- m,
    the spin sum MARTY's squared amplitudes use for a leg whose p^2 is not m^2. On shell two weights
    vanish and the other states are the helicity spinors up to a unitary mixing (tested)."""
    h = (slash(p) + (-m if v_type else m) * np.eye(4)) @ GAMMA[0]
    values, vectors = np.linalg.eigh((h + h.conj().T) / 2)
    return (vectors * np.sqrt(np.abs(values))).T, np.sign(values)


def _factor(obj: Expr, point: _Point) -> tuple[np.ndarray, list[Axis]] | None:
    """(components, axes) of one indexed object, or None if ``obj`` carries no index."""
    t, f = colour_matrices()
    conj = isinstance(obj, Conj)
    inner = obj.args[0] if conj else obj
    if isinstance(inner, SpinorU | SpinorV | ColouredSpinorU | ColouredSpinorV):
        leg = _leg(inner.momentum)
        waves = point.spinor(leg, isinstance(inner, SpinorV | ColouredSpinorV), conj)
        dirac = inner.args[-1]
        axes: list[Axis] = [("hel", leg), ("index", dirac.name, DIRAC)]
        if isinstance(inner, ColouredSpinorU | ColouredSpinorV):
            colour = inner.args[3]
            waves = np.einsum("hd,ci->hdci", waves, np.eye(3))
            axes += [("col", leg), ("index", colour.name, FUNDAMENTAL)]
        return waves, axes
    if isinstance(inner, Polarization | ColouredPolarization):
        leg = _leg(inner.momentum)
        lorentz = inner.args[-1]
        waves = _lorentz(point.polarisation(leg, conj), lorentz)
        if conj:
            waves = waves.conj()
        axes = [("hel", leg), ("index", lorentz.name, LORENTZ)]
        if isinstance(inner, ColouredPolarization):
            colour = inner.args[3]
            waves = np.einsum("hm,ab->hmab", waves, np.eye(8))
            axes += [("col", leg), ("index", colour.name, ADJOINT)]
        return waves, axes
    if conj:
        raise SymtokError(f"cannot evaluate the conjugate of {type(inner).__name__}")
    if isinstance(obj, Gamma):
        mu, a, b = obj.args
        gamma = GAMMA if mu.up else GAMMA * METRIC_DIAG[:, None, None]
        return gamma, [("index", mu.name, LORENTZ), ("index", a.name, DIRAC), ("index", b.name, DIRAC)]
    if isinstance(obj, MomentumComponent):
        momentum, mu = obj.args
        return _lorentz(point.p[_leg(momentum) - 1].astype(complex), mu), [("index", mu.name, LORENTZ)]
    if isinstance(obj, Metric):
        mu, nu = obj.args
        g = np.eye(4, dtype=complex) if mu.up != nu.up else np.diag(METRIC_DIAG).astype(complex)
        return g, [("index", mu.name, LORENTZ), ("index", nu.name, LORENTZ)]
    if isinstance(obj, ColourT):
        _, a, i, j = obj.args
        return t, [("index", a.name, ADJOINT), ("index", i.name, FUNDAMENTAL), ("index", j.name, FUNDAMENTAL)]
    if isinstance(obj, StructureF):
        return f.astype(complex), [("index", x.name, ADJOINT) for x in obj.args]
    if isinstance(obj, DeltaF | DeltaA):
        kind = FUNDAMENTAL if isinstance(obj, DeltaF) else ADJOINT
        return np.eye(_DIMENSION[kind], dtype=complex), [("index", x.name, kind) for x in obj.args]
    if obj.atoms(Index):
        raise SymtokError(f"cannot evaluate {type(obj).__name__} numerically")
    return None


def _scalar(expr: Expr, values: Mapping[str, float]) -> complex:
    """An index-free factor at the point (every symbol from ``values``)."""
    missing = sorted(s.name for s in expr.free_symbols if isinstance(s, Symbol) and s.name not in values)
    if missing:
        raise SymtokError(f"no value for {', '.join(missing)}")
    return complex(expr.subs({s: values[s.name] for s in expr.free_symbols}).subs(I, 1j))


def _term_tensor(term: Expr, point: _Point, values: Mapping[str, float], external: list[Axis]) -> np.ndarray:
    """One product term contracted down to its external (helicity, colour) axes."""
    scalar = 1 + 0j
    tensors: list[np.ndarray] = []
    labels: list[list[Axis]] = []
    for factor in Mul.make_args(term):
        if isinstance(factor, Number):
            scalar *= complex(factor)
            continue
        if isinstance(factor, Pow) and not factor.atoms(Index):
            scalar *= _scalar(factor, values)
            continue
        found = _factor(factor, point)
        if found is None:
            scalar *= _scalar(factor, values)
        else:
            tensors.append(found[0])
            labels.append(found[1])
    counts: dict[Axis, int] = {}
    for axes in labels:
        for axis in axes:
            counts[axis] = counts.get(axis, 0) + 1
    for axis, n in counts.items():
        if axis[0] == "index" and n != 2:
            raise SymtokError(f"index {axis[1]} occurs {n} times in one term")
    # Lorentz pairs written both upper or both lower take a metric between them
    position: dict[str, list[bool]] = {}
    for factor in Mul.make_args(term):
        for idx in factor.atoms(Index):
            if idx.kind == LORENTZ:
                position.setdefault(idx.name, []).append(idx.up)
    for name, ups in position.items():
        if len(ups) == 2 and ups[0] == ups[1]:
            tensors.append(np.diag(METRIC_DIAG).astype(complex))
            partner = ("index", name + "'", LORENTZ)
            labels.append([("index", name, LORENTZ), partner])
            for axes in labels[:-1]:
                if ("index", name, LORENTZ) in axes:
                    axes[axes.index(("index", name, LORENTZ))] = partner
                    break
    letters: dict[Axis, str] = {}
    pool = iter(string.ascii_letters)
    for axis in [*external, *(a for axes in labels for a in axes)]:
        if axis not in letters:
            try:
                letters[axis] = next(pool)
            except StopIteration as err:
                raise SymtokError("too many indices in one term to evaluate") from err
    missing = [a for a in external if a not in {x for axes in labels for x in axes}]
    if missing:
        raise SymtokError(f"a term lacks the wave function of leg {missing[0][1]}")
    spec = ",".join("".join(letters[a] for a in axes) for axes in labels) + "->" + "".join(letters[a] for a in external)
    return scalar * np.einsum(spec, *tensors, optimize="greedy")


_COLOURED = (ColouredSpinorU, ColouredSpinorV, ColouredPolarization)


class TooLarge(SymtokError):
    """The amplitude is too large to evaluate within the limits (not an error in the text)."""


def expanded_terms(expr: Expr) -> int:
    """How many terms expanding ``expr`` gives at most, without expanding it."""
    if expr.is_Add:
        return sum(expanded_terms(a) for a in expr.args)
    if expr.is_Mul:
        n = 1
        for a in expr.args:
            n *= expanded_terms(a)
            if n > MAX_TERMS:
                return n
        return n
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 1:
        return expanded_terms(expr.base) ** int(expr.exp)
    return 1


def external_states(expr: Expr, process: Process, vector_sum: str = "feynman") -> int:
    """How many external helicity (off-shell fermion: 4) and colour states ``expr`` is summed over."""
    states = 1
    for n in range(1, process.n_legs + 1):
        leg = process.legs[n - 1]
        states *= (4 if vector_sum == "feynman" else 2) if leg.is_vector else 4 if n in process.offshell else 2
    colours = {_leg(w.momentum): 8 if isinstance(w, ColouredPolarization) else 3 for w in expr.atoms(*_COLOURED)}
    for n in colours.values():
        states *= n
    return states


def check_size(expr: Expr, process: Process, vector_sum: str = "feynman", max_work: int | None = None) -> None:
    """:class:`TooLarge` unless ``expr`` can be evaluated within MAX_TERMS and MAX_STATES (and, with
    ``max_work``, external states times expanded terms at most that)."""
    states = external_states(expr, process, vector_sum)
    if states > MAX_STATES:
        raise TooLarge(f"{states} external helicity and colour states (limit {MAX_STATES})")
    terms = expanded_terms(expr)
    if terms > MAX_TERMS:
        raise TooLarge(f"the expanded amplitude has more than {MAX_TERMS} terms")
    if max_work is not None and states * terms > max_work:
        raise TooLarge(f"{states} external states times {terms} terms is more than {max_work}")


def amplitude_tensor(
    expr: Expr,
    process: Process,
    p: np.ndarray,
    values: Mapping[str, float],
    *,
    vector_sum: str = "feynman",
    masses: Sequence[float] | None = None,
) -> tuple[np.ndarray, list[Axis], dict[int, np.ndarray]]:
    """(A, axes, weights): the amplitude for every external helicity and colour (axes ("hel", n),
    ("col", n)) and the weight of each leg's states (vector legs, off-shell fermions). ``masses``:
    the legs' masses in their wave functions (default: the particles'), as ``values`` gives them."""
    check_size(expr, process, vector_sum)
    masses = [float(leg.mass) for leg in process.legs] if masses is None else [float(m) for m in masses]
    point = _Point(process, np.asarray(p, dtype=float), masses, vector_sum)
    expanded = expand(expr)
    terms = Add.make_args(expanded)
    wave_functions = ColouredSpinorU, ColouredSpinorV, ColouredPolarization
    coloured = sorted({_leg(w.momentum) for w in expanded.atoms(*wave_functions)})  # QED files: quarks colourless
    external: list[Axis] = [("hel", n) for n in range(1, process.n_legs + 1)] + [("col", n) for n in coloured]
    total = None
    for term in terms:
        value = _term_tensor(term, point, values, external)
        total = value if total is None else total + value
    assert total is not None
    return total, external, point.weights


def amplitude_squared(
    expr: Expr,
    process: Process,
    p: np.ndarray,
    values: Mapping[str, float],
    *,
    vector_sum: str = "feynman",
    average: bool = True,
    masses: Sequence[float] | None = None,
) -> float:
    """|A|^2 summed over the external helicities and colours and, with ``average``, divided by the
    initial states' (2 spin or polarisation states times the colours the text gives each incoming
    leg): the normalisation of SYMBA's squared amplitudes. No identical-particle factor."""
    amp, axes, weights = amplitude_tensor(expr, process, p, values, vector_sum=vector_sum, masses=masses)
    states = 1
    if average:
        for k, axis in enumerate(axes):
            if axis[1] <= 2:
                states *= 2 if axis[0] == "hel" else amp.shape[k]  # an off-shell leg too averages over 2
    w = np.ones(amp.shape)
    for k, axis in enumerate(axes):
        if axis[0] == "hel" and axis[1] in weights:
            shape = [1] * amp.ndim
            shape[k] = len(weights[axis[1]])
            w = w * weights[axis[1]].reshape(shape)
    return float(np.sum(w * np.abs(amp) ** 2)) / states


__all__ = [
    "MAX_STATES",
    "MAX_TERMS",
    "TooLarge",
    "amplitude_squared",
    "amplitude_tensor",
    "check_size",
    "external_states",
]
