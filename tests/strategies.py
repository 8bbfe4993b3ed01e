"""Hypothesis strategies: random valid expression trees over the full object set (read from REGISTRY)."""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st
from sympy import Add, Expr, Integer, Mul, Pow, Rational, S

from symtok.canonical import canonical
from symtok.indices import KINDS, Index
from symtok.objects import FIELD, MOMENTUM, REGISTRY, TAG, WAVEFUNCTION, Conj, WaveFunction
from symtok.symbols import symbol_for
from symtok.tokens import KNOWN_SYMBOLS

# A small shared pool: names collide across kinds on purpose ((name, kind) is the identity).
INDEX_NAMES = (
    "\\sigma_3",
    "\\tau_41",
    "gam_7",
    "del_12",
    "a_1",
    "A_60",
    "i_3",
    "j_5",
    "x",
    "INDEX_0",
    "\\INDEX_2",
    "MOMENTUM_1",
    "\\mu_0",
    "del_2",
)
FIELDS = ("e", "mu", "tt", "u", "d", "s", "c", "b", "t", "A", "G", "nu_e", "chi")
GENERIC = ("alpha", "beta2", "x_1", "Q", "reg", "m_X", "theta_W", "s_99")
SCALARS = tuple(n for n in KNOWN_SYMBOLS if n not in FIELDS)

index_names = st.sampled_from(INDEX_NAMES)
integers = st.one_of(st.integers(-12, 12), st.integers(-(10**12), 10**12))
rationals = st.builds(lambda p, q: Rational(p, q), st.integers(-50, 50), st.integers(1, 50))
numbers = st.one_of(integers.map(Integer), rationals)
scalar_symbols = st.sampled_from(SCALARS + GENERIC).map(symbol_for)


def index(kind: str) -> st.SearchStrategy[Index]:
    """An index of ``kind`` with a name from the pool, upper or lower."""
    return st.builds(Index, index_names, st.just(kind), st.booleans())


def _slot(slot: str) -> st.SearchStrategy[Expr]:
    if slot == FIELD:
        return st.sampled_from(FIELDS).map(symbol_for)
    if slot == MOMENTUM:
        return st.integers(1, 12).map(lambda n: symbol_for(f"p_{n}"))
    if slot == TAG:
        return st.sampled_from(("C_10", "SU3", "C_2")).map(symbol_for)
    if slot == WAVEFUNCTION:
        return wavefunctions
    assert slot in KINDS
    return index(slot)


def _build(spec_cls: type, slots: tuple[str, ...]) -> st.SearchStrategy[Expr]:
    return st.tuples(*[_slot(s) for s in slots]).map(lambda args: spec_cls(*args))


wavefunctions = st.one_of(*[_build(s.cls, s.slots) for s in REGISTRY if issubclass(s.cls, WaveFunction)])
objects = st.one_of(*[_build(s.cls, s.slots) for s in REGISTRY if s.cls is not Conj], wavefunctions.map(Conj))
leaves = st.one_of(numbers, scalar_symbols, st.just(S.ImaginaryUnit), objects)


def _combine(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    exponents = st.sampled_from([-3, -2, -1, 2, 3]).map(Integer)  # the format has integer powers only
    return st.one_of(
        st.lists(children, min_size=2, max_size=5).map(lambda xs: Add(*xs)),
        st.lists(children, min_size=2, max_size=6).map(lambda xs: Mul(*xs)),
        st.tuples(children, exponents).map(lambda be: Pow(*be)),
    )


def _finite(expr: Expr) -> bool:
    """No infinities, and no literal longer than the parser's guard allows (nested powers grow)."""
    if expr.has(S.ComplexInfinity, S.NaN, S.Infinity, S.NegativeInfinity):
        return False
    return all(len(str(abs(n.p))) <= 150 and len(str(n.q)) <= 150 for n in expr.atoms(Rational))


#: Canonical trees (fixed points of rebuilding): the round trips are defined on these.
expressions = st.recursive(leaves, _combine, max_leaves=24).filter(_finite).map(canonical)


@st.composite
def dirac_traces(draw: st.DrawFn) -> Expr:
    """Products of gamma matrices forming closed Dirac chains with paired Lorentz indices:
    highly symmetric, the hard case for a canonical renaming."""
    n = draw(st.integers(2, 8))
    chains = draw(st.lists(st.integers(1, n), min_size=1, max_size=2))
    factors = []
    dirac = 0
    lorentz = list(range(n * len(chains)))
    pairing = draw(st.permutations(lorentz))
    slot = 0
    for length in chains:
        start = dirac
        for k in range(length):
            a, b = start + k, start + (k + 1) % length
            mu = pairing[slot] // 2
            factors.append(_gamma(mu, a, b, up=bool(pairing[slot] % 2)))
            slot += 1
        dirac += length
    assume(len(factors) >= 2)
    return Mul(*factors)


def _gamma(mu: int, a: int, b: int, up: bool) -> Expr:
    from symtok.objects import Gamma

    return Gamma(Index(f"\\l_{mu}", "lorentz", up), Index(f"d_{a}", "dirac"), Index(f"d_{b}", "dirac"))


@st.composite
def renamings(draw: st.DrawFn, expr: Expr) -> dict[Index, Index]:
    """A random bijective renaming of the indices of ``expr`` within each kind (positions kept)."""
    keys = sorted({i.key for i in expr.atoms(Index)})
    fresh = draw(st.permutations(range(len(keys) * 3)))
    new_name = {key: f"z{fresh[k]}_{fresh[k] % 7}" for k, key in enumerate(keys)}
    return {i: i.with_name(new_name[i.key]) for i in expr.atoms(Index)}


#: Squared-amplitude-like rational functions of masses, s_ij, couplings and the regulator.
sq_symbols = st.sampled_from(
    ("e", "g", "m_e", "m_mu", "m_u", "m_t", "s_12", "s_13", "s_14", "s_23", "s_34", "reg_prop")
).map(symbol_for)
squared_amplitudes = (
    st.recursive(
        st.one_of(numbers, sq_symbols),
        lambda ch: st.one_of(
            st.lists(ch, min_size=2, max_size=4).map(lambda xs: Add(*xs)),
            st.lists(ch, min_size=2, max_size=4).map(lambda xs: Mul(*xs)),
            st.tuples(ch, st.sampled_from([-2, -1, 2]).map(Integer)).map(lambda be: Pow(*be)),
            st.tuples(ch, ch).map(lambda ab: Mul(S.ImaginaryUnit, ab[0], Pow(Add(ab[1], S.ImaginaryUnit), -1))),
        ),
        max_leaves=20,
    )
    .filter(_finite)
    .map(canonical)
)
