"""Physics objects of MARTY amplitudes as SymPy expressions, and the one table (REGISTRY) that drives
the parser, printer, prefix codec and the hypothesis strategies.

All objects are commutative scalars: a gamma matrix with explicit Dirac indices is one component
of the matrix, so products reorder freely and SymPy's algebra (substitution, ``srepr``, ``==``)
works unchanged. Arguments are either :class:`~symtok.indices.Index` objects (their kind fixed by
the slot) or plain symbols (field names such as ``e``/``mu``, momenta ``p_1``, generator tags).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sympy import Expr, Symbol

from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LABEL, LORENTZ, Index

# Slot kinds that are not indices.
FIELD = "field"  # a field name: e, mu, u, A, G, ...
MOMENTUM = "momentum"  # a momentum symbol p_N
TAG = "tag"  # the group tag of a colour generator, e.g. C_10 in T_C_10_{...}
WAVEFUNCTION = "wavefunction"  # the argument of Conj
SYMBOL_SLOTS = frozenset((FIELD, MOMENTUM, TAG))
_SLOT_WORDS = {FIELD: "a symbol", MOMENTUM: "a symbol", TAG: "a symbol", WAVEFUNCTION: "a wave function"}


class PhysicsObject(Expr):
    """Base of the MARTY objects: fixed arity, each argument slot of a known kind."""

    __slots__ = ()
    is_commutative = True
    slots: ClassVar[tuple[str, ...]] = ()

    def __new__(cls, *args: Any) -> PhysicsObject:
        slots = cls.slots
        if len(args) != len(slots):
            raise TypeError(f"{cls.__name__} takes {len(slots)} arguments, got {len(args)}")
        for arg, slot in zip(args, slots, strict=True):
            if type(arg) is Index:
                if arg.kind == slot:
                    continue
            elif slot in SYMBOL_SLOTS:
                if isinstance(arg, Symbol) and not isinstance(arg, Index):
                    continue
            elif slot == WAVEFUNCTION and isinstance(arg, WaveFunction):
                continue
            raise TypeError(
                f"{cls.__name__}: slot {slot!r} takes {_SLOT_WORDS.get(slot, f'a {slot} index')}, got {arg!r}"
            )
        return Expr.__new__(cls, *args)

    @property
    def indices(self) -> tuple[Index, ...]:
        """The index arguments in slot order."""
        return tuple(a for a in self.args if isinstance(a, Index))

    def _eval_subs(self, old: Any, new: Any) -> Any:
        return None


class Gamma(PhysicsObject):
    """Dirac matrix component (gamma^mu)_{a b}: MARTY ``gamma_{%\\sigma_1,%gam_2,%del_3}``."""

    __slots__ = ()
    slots = (LORENTZ, DIRAC, DIRAC)


class WaveFunction(PhysicsObject):
    """An external-particle wave function: field, momentum p_N, particle label, then indices."""

    __slots__ = ()

    @property
    def field(self) -> Symbol:
        return self.args[0]

    @property
    def momentum(self) -> Symbol:
        return self.args[1]


class SpinorU(WaveFunction):
    """Dirac spinor u(p) component: ``e_{i_3,%eta_12}(p_1)_u``."""

    __slots__ = ()
    slots = (FIELD, MOMENTUM, LABEL, DIRAC)


class SpinorV(WaveFunction):
    """Dirac spinor v(p) component: ``e_{l_6,%gam_8}(p_2)_v``."""

    __slots__ = ()
    slots = (FIELD, MOMENTUM, LABEL, DIRAC)


class ColouredSpinorU(WaveFunction):
    """Quark spinor u(p) with a colour index: ``u_{l_3,%A_60,%gam_107}(p_3)_u``."""

    __slots__ = ()
    slots = (FIELD, MOMENTUM, LABEL, FUNDAMENTAL, DIRAC)


class ColouredSpinorV(WaveFunction):
    """Quark spinor v(p) with a colour index: ``d_{k_3,%D_6,%del_11}(p_4)_v``."""

    __slots__ = ()
    slots = (FIELD, MOMENTUM, LABEL, FUNDAMENTAL, DIRAC)


class Polarization(WaveFunction):
    """Vector-boson polarisation epsilon_mu(p): ``A_{l_3,+%\\sigma_49}(p_3)``."""

    __slots__ = ()
    slots = (FIELD, MOMENTUM, LABEL, LORENTZ)


class ColouredPolarization(WaveFunction):
    """Gluon polarisation with adjoint colour: ``G_{k_3,%g_98,+%\\sigma_130}(p_2)``."""

    __slots__ = ()
    slots = (FIELD, MOMENTUM, LABEL, ADJOINT, LORENTZ)


class Conj(PhysicsObject):
    """MARTY's ``^(*)`` on a wave function: the Dirac adjoint of a spinor, the complex conjugate
    of a polarisation vector."""

    __slots__ = ()
    slots = (WAVEFUNCTION,)


class ColourT(PhysicsObject):
    """Colour generator (T^a)_{ij}: ``T_C_10_{%g_104,%D_293,%D_513}`` (tag ``C_10``)."""

    __slots__ = ()
    slots = (TAG, ADJOINT, FUNDAMENTAL, FUNDAMENTAL)


class StructureF(PhysicsObject):
    """SU(N) structure constant f^{abc}: ``f_{%a_1,%b_2,%c_3}``."""

    __slots__ = ()
    slots = (ADJOINT, ADJOINT, ADJOINT)


class Metric(PhysicsObject):
    """Minkowski metric g_{mu nu}: ``g_{%\\mu_1,%\\nu_2}``."""

    __slots__ = ()
    slots = (LORENTZ, LORENTZ)


class DeltaF(PhysicsObject):
    """Kronecker delta of fundamental colour indices: ``delta_{%A_1,%B_2}``."""

    __slots__ = ()
    slots = (FUNDAMENTAL, FUNDAMENTAL)


class DeltaA(PhysicsObject):
    """Kronecker delta of adjoint colour indices: ``delta_adj_{%a_1,%b_2}`` (symtok spelling)."""

    __slots__ = ()
    slots = (ADJOINT, ADJOINT)


class MomentumComponent(PhysicsObject):
    """Four-momentum with a Lorentz index: ``p_3_%\\nu_183`` (lower) or ``p_2_+%\\sigma_130`` (upper)."""

    __slots__ = ()
    slots = (MOMENTUM, LORENTZ)


@dataclass(frozen=True)
class ObjectSpec:
    """One row of the registry: the SymPy class, its prefix token and its printed head."""

    cls: type[PhysicsObject]
    token: str
    head: str | None  # text before ``_{`` for tensors; None where the printer derives it

    @property
    def slots(self) -> tuple[str, ...]:
        return self.cls.slots

    @property
    def arity(self) -> int:
        return len(self.cls.slots)


#: The one table: adding an object is one row here (plus its printer/grammar spelling if new).
REGISTRY: tuple[ObjectSpec, ...] = (
    ObjectSpec(Gamma, "gamma", "gamma"),
    ObjectSpec(SpinorU, "spinor_u", None),
    ObjectSpec(SpinorV, "spinor_v", None),
    ObjectSpec(ColouredSpinorU, "cspinor_u", None),
    ObjectSpec(ColouredSpinorV, "cspinor_v", None),
    ObjectSpec(Polarization, "pol", None),
    ObjectSpec(ColouredPolarization, "cpol", None),
    ObjectSpec(Conj, "conj", None),
    ObjectSpec(ColourT, "T", "T"),
    ObjectSpec(StructureF, "f", "f"),
    ObjectSpec(Metric, "metric", "g"),
    ObjectSpec(DeltaF, "delta", "delta"),
    ObjectSpec(DeltaA, "delta_adj", "delta_adj"),
    ObjectSpec(MomentumComponent, "mom", None),
)

SPEC_BY_CLASS: dict[type, ObjectSpec] = {s.cls: s for s in REGISTRY}
SPEC_BY_TOKEN: dict[str, ObjectSpec] = {s.token: s for s in REGISTRY}
#: Tensor heads written ``HEAD_{...}`` with no momentum argument (ColourT is ``T_<tag>_{``).
TENSOR_BY_HEAD: dict[str, ObjectSpec] = {s.head: s for s in REGISTRY if s.head is not None and s.cls is not ColourT}

#: Wave-function class by (number of indices in braces, spinor suffix or None).
WAVEFUNCTION_BY_SHAPE: dict[tuple[int, str | None], type[WaveFunction]] = {
    (2, "u"): SpinorU,
    (2, "v"): SpinorV,
    (3, "u"): ColouredSpinorU,
    (3, "v"): ColouredSpinorV,
    (2, None): Polarization,
    (3, None): ColouredPolarization,
}
SPINOR_SUFFIX: dict[type, str] = {
    SpinorU: "u",
    SpinorV: "v",
    ColouredSpinorU: "u",
    ColouredSpinorV: "v",
}
