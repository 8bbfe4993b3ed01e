"""Amplitudes as symtok expressions in the MARTY form, with MARTY-like growing index counters.

Each diagram's Dirac lines, Lorentz tensors, coefficient and denominators come from
amplitudes.physics.squared (the same structure the squared amplitude is computed from); this module adds
the external wave functions, explicit colour (T^a_ij along quark lines, f^abc at gluon vertices,
delta^ab along gluon propagators) and MARTY-style names.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from sympy import Add, Expr, Integer, Mul, Pow, Rational, S, expand

from amplitudes.physics.colour import N_COLOURS, F, T
from amplitudes.physics.diagrams import Diagram
from amplitudes.physics.particles import marty_field
from amplitudes.physics.process import Process, leg_roles
from amplitudes.physics.squared import REG, SymbolicDiagram, leg_masses, symbolic_terms, tree_terms
from amplitudes.physics.trees import TreeDiagram, process_diagrams
from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LABEL, LORENTZ, Index
from symtok.objects import (
    ColouredPolarization,
    ColouredSpinorU,
    ColouredSpinorV,
    ColourT,
    Conj,
    DeltaF,
    Gamma,
    Metric,
    MomentumComponent,
    Polarization,
    SpinorU,
    SpinorV,
    StructureF,
)
from symtok.symbols import symbol_for

_PREFIXES = {
    LORENTZ: ("\\sigma", "\\tau", "\\rho", "\\nu", "\\mu", "\\lambda"),
    DIRAC: ("gam", "del", "eta", "eps", "alpha", "beta"),
    ADJOINT: tuple("abcdefgh"),
    FUNDAMENTAL: tuple("ABCDEFGH"),
    LABEL: ("i", "j", "k", "l"),
}
TAG = symbol_for("C_10")


@dataclass
class IndexFactory:
    """Fresh index names from one growing counter, like MARTY's (deterministic for a seed)."""

    seed: int = 0
    start: int = 1
    counter: int = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.counter = self.start + self.rng.randint(0, 50)

    def name(self, kind: str) -> str:
        self.counter += self.rng.randint(1, 5)
        return f"{self.rng.choice(_PREFIXES[kind])}_{self.counter}"

    def index(self, kind: str, up: bool = False) -> Index:
        return Index(self.name(kind), kind, up)


@dataclass
class LegNames:
    """Names of one external leg: label, spin (Dirac or Lorentz) index and colour index."""

    label: Index
    spin: str  # Dirac or Lorentz index name
    colour: str | None


class AmplitudeBuilder:
    """Builds the MARTY-form amplitude of each diagram of one process."""

    def __init__(
        self,
        process: Process,
        theory: str,
        factory: IndexFactory,
        *,
        marty: bool = True,
        fierz: bool = True,
        fierz_cross_first: bool | None = None,
        line_unit_term: int | None = None,
    ) -> None:
        self.process = process
        self.theory = theory
        self.factory = factory
        self.marty = marty
        self.fierz = fierz and marty  # four-quark colour Fierz-expanded (MARTY's rows), else T^a T^a
        self.fierz_cross_first = fierz_cross_first  # None: drawn per diagram from the seeded counter
        self.line_unit_term = line_unit_term  # which term of a Dirac-reduced line has coefficient 1; None: drawn
        self.roles = leg_roles(process)
        self.masses = leg_masses(process, theory=theory)
        self.legs: dict[int, LegNames] = {}
        for n, p in enumerate(process.legs, start=1):
            kind = LORENTZ if p.is_vector else DIRAC
            colour = None
            if theory != "qed" and p.colour != 1:
                colour = factory.name(ADJOINT if p.colour == 8 else FUNDAMENTAL)
            self.legs[n] = LegNames(factory.index(LABEL), factory.name(kind), colour)

    # --------------------------------------------------------------- external wave functions
    def wavefunction(self, n: int, colour_name: str | None = None) -> Expr:
        """Leg n's wave function; a quark's colour index is ``colour_name`` when given (Fierz terms
        contract two quarks' colours directly)."""
        p = self.process.legs[n - 1]
        names = self.legs[n]
        momentum = symbol_for(f"p_{n}")
        field_ = symbol_for(marty_field(p.pdg, self.theory))
        incoming = n <= 2
        if p.is_vector:
            lorentz = Index(names.spin, LORENTZ, up=True)
            if names.colour is not None:
                wf = ColouredPolarization(field_, momentum, names.label, Index(names.colour, ADJOINT), lorentz)
            else:
                wf = Polarization(field_, momentum, names.label, lorentz)
            return wf if incoming else Conj(wf)
        dirac = Index(names.spin, DIRAC)
        u_type = not p.is_antiparticle
        if names.colour is not None:
            colour = Index(colour_name or names.colour, FUNDAMENTAL)
            wf = (ColouredSpinorU if u_type else ColouredSpinorV)(field_, momentum, names.label, colour, dirac)
        else:
            wf = (SpinorU if u_type else SpinorV)(field_, momentum, names.label, dirac)
        return Conj(wf) if self.roles[n] == "row" else wf

    # ---------------------------------------------------------------------------- diagrams
    def amplitude(self, diagram: Diagram | TreeDiagram, tag: str) -> Expr:
        """Sum over the colour terms (one, or three per four-gluon vertex) of the diagram."""
        if isinstance(diagram, TreeDiagram):
            terms = tree_terms(self.process, diagram, self.theory, self.masses, tag)
        else:
            terms = symbolic_terms(self.process, diagram, self.theory, self.masses, tag)
        out = S.Zero
        for number, term in enumerate(terms):
            out += self._term(term, number)
        return out

    def _term(self, term: SymbolicDiagram, number: int) -> Expr:
        lorentz: dict[str, str] = {f"e{n}": self.legs[n].spin for n in self.legs if self.process.legs[n - 1].is_vector}
        adjoint: dict[str, str] = {
            f"e{n}": self.legs[n].colour
            for n in self.legs
            if self.legs[n].colour and self.process.legs[n - 1].is_vector
        }
        first_source: dict[str, int] = {}
        source = [0]

        upper_first: dict[str, bool] = {}

        def lorentz_index(abstract: str) -> Index:
            if abstract not in lorentz:
                lorentz[abstract] = self.factory.name(LORENTZ)
            # external vector indices are upper on the polarisation, so lower here; an internal
            # index is upper in one of the two lines or tensors that hold it and lower in the other:
            # MARTY's rows have it either way, so the seeded counter draws which (docs/physics.md)
            first = first_source.setdefault(abstract, source[0])
            if abstract.startswith("e"):
                return Index(lorentz[abstract], LORENTZ, False)
            if abstract not in upper_first:
                upper_first[abstract] = self.marty and self.factory.rng.random() < 0.5
            return Index(lorentz[abstract], LORENTZ, (first == source[0]) == upper_first[abstract])

        def adjoint_index(abstract: str) -> Index:
            if abstract not in adjoint:
                adjoint[abstract] = self.factory.name(ADJOINT)
            return Index(adjoint[abstract], ADJOINT)

        # MARTY's amplitudes carry the opposite overall phase (a convention: |M|^2 is unchanged),
        # except a diagram it writes term by term (its reduced fermion line), measured on its rows
        by_term = self._written_term_by_term(term)
        factors: list[Expr] = [-term.coefficient if self.marty and not by_term else term.coefficient]
        pair = self._fierz_pair(term) if self.fierz else None
        for line in term.lines:
            source[0] += 1
            factors.extend(self._line(line, term, lorentz_index, adjoint_index, colour=pair is None))
        for tensor in term.tensors:
            source[0] += 1
            factors.append(self._tensor(tensor, lorentz_index))
        factors.append(self._gluon_colour(term, number, adjoint_index))
        for d in term.denominators:
            content = denominator_content(d) if self.marty else 1  # MARTY writes 1/c * 1/(D/c)
            factors += [Rational(1, content), Pow(expand(d / content) if content != 1 else d, -1)]
        if pair is not None:
            factors.extend(self._fierz(*pair))
        elif by_term:
            chain = next(f for f in factors if f.has(Gamma))
            factors.remove(chain)
            factors.append(self._term_by_term(chain, Mul(*(self.wavefunction(n) for n in self.legs))))
        else:
            factors.extend(self.wavefunction(n) for n in self.legs)
        return Mul(*factors)

    def _written_term_by_term(self, term: SymbolicDiagram) -> bool:
        """Whether MARTY writes this diagram as one sum of whole products: its one fermion line is
        reduced with the spinor equation (:meth:`_sequences`) and nothing else carries indices."""
        if not self.marty or len(term.lines) != 1 or term.tensors or any(isinstance(c, F) for c in term.colour):
            return False
        return self._sequences(term.lines[0])[1]

    def _term_by_term(self, chain: Expr, wavefunctions: Expr) -> Expr:
        """sum_k (chain term k) x wavefunctions, each term with its own spinor (Dirac) and colour
        index names, as MARTY writes a reduced line: -i*e^2*(X + 1/2*Y)/(...)."""
        spinor_indices = {i for i in wavefunctions.atoms(Index) if i.kind == DIRAC}
        out = []
        for k, part in enumerate(Add.make_args(expand(chain))):
            product = part * wavefunctions
            if k:
                renamed = {
                    i: i.with_name(self.factory.name(i.kind))
                    for i in sorted(product.atoms(Index), key=lambda i: (i.kind, i.name))
                    if i in spinor_indices or i.kind in (FUNDAMENTAL, ADJOINT)
                }
                product = product.xreplace(renamed)
            out.append(product)
        return Add(*out)

    def _gluon_vertices(self, line, term: SymbolicDiagram) -> list[str]:
        """The abstract indices of the gluons (external ``e<n>`` or internal) that meet ``line``."""
        vertex_indices = [f[0][2] for f in line.factors if len(f) == 1 and f[0][1] == "g"]
        return [v for v in vertex_indices if self._is_gluon(v, term)]

    def _is_gluon(self, abstract: str, term: SymbolicDiagram) -> bool:
        """Whether the vector index ``abstract`` (e<n>: external leg n; else a propagator) is a gluon's."""
        if abstract.startswith("e"):
            return self.process.legs[int(abstract[1:]) - 1].name == "g"
        if isinstance(term.diagram, TreeDiagram):  # an internal gluon's colour label is its index name
            return any(isinstance(c, T) and c.adjoint == abstract for c in term.colour)
        return term.diagram.propagator is not None and term.diagram.propagator.name == "g"

    def _fierz_pair(self, term: SymbolicDiagram) -> tuple[Any, Any] | None:
        """The two quark lines joined by the diagram's one internal gluon, when that gluon is its
        only colour (four-quark diagrams: q q~ > q' q~', q q' > q q', with photons or other colourless
        legs besides): MARTY writes their colour Fierz-expanded (docs/physics.md)."""
        if self.theory == "qed" or any(isinstance(c, F) for c in term.colour):
            return None
        coloured = [line for line in term.lines if self.legs[line.row].colour is not None]
        if len(coloured) != 2:
            return None
        first, second = (self._gluon_vertices(line, term) for line in coloured)
        if len(first) != 1 or first != second or first[0].startswith("e"):
            return None
        return coloured[0], coloured[1]

    def _fierz(self, a, b) -> list[Expr]:
        """The external wave functions times the colour of lines ``a`` and ``b`` Fierz-expanded, as
        MARTY writes them: sum_g T^g_{ij} T^g_{kl} = 1/2 (d_il d_kj - 1/N d_ij d_kl) with i, j (k, l)
        the row and column legs of ``a`` (``b``); each delta becomes one colour index shared by the
        two quarks it joins. MARTY factors either term out first, so the builder draws which."""

        def spinors(pairs: tuple[tuple[int, int], ...]) -> Expr:
            colour: dict[int, str] = {}
            for legs in pairs:
                name = self.factory.name(FUNDAMENTAL)
                colour.update(dict.fromkeys(legs, name))
            return Mul(*(self.wavefunction(n, colour.get(n)) for n in self.legs))

        cross = spinors(((a.row, b.col), (b.row, a.col)))
        same = spinors(((a.row, a.col), (b.row, b.col)))
        cross_first = self.fierz_cross_first
        if cross_first is None:
            cross_first = self.factory.rng.random() < 0.5
        if cross_first:
            return [Rational(1, 2), Add(cross, -same / N_COLOURS)]
        return [Rational(-1, 2 * N_COLOURS), Add(same, -N_COLOURS * cross)]

    def _line(
        self, line, term: SymbolicDiagram, lorentz_index, adjoint_index, *, colour: bool = True
    ) -> tuple[Expr, Expr]:
        """(number, chain): the sum over the expanded propagator numerators of one Dirac (and colour)
        chain, T^a at each gluon vertex of a coloured line, delta_ij on a coloured line that meets only
        photons; without ``colour`` the Dirac chain alone (its colour is in the Fierz-expanded wave
        functions). A line MARTY reduces with the spinor equation (:meth:`_sequences`) is written as
        it writes it, one term's coefficient factored out into ``number`` (1 otherwise)."""
        row_names, col_names = self.legs[line.row], self.legs[line.col]
        gluon_indices = self._gluon_vertices(line, term)
        colour_factor: Expr = S.One
        if colour and row_names.colour is not None and gluon_indices:
            chain = (
                [row_names.colour] + [self.factory.name(FUNDAMENTAL) for _ in gluon_indices[:-1]] + [col_names.colour]
            )
            colour_factor = Mul(
                *(
                    ColourT(TAG, adjoint_index(v), Index(chain[k], FUNDAMENTAL), Index(chain[k + 1], FUNDAMENTAL))
                    for k, v in enumerate(gluon_indices)
                )
            )
        elif colour and row_names.colour is not None:
            colour_factor = DeltaF(Index(row_names.colour, FUNDAMENTAL), Index(col_names.colour, FUNDAMENTAL))
        terms = []
        sequences, reduced = self._sequences(line)
        number: Expr = S.One
        slash_index: str | None = None
        if reduced:
            unit = self.line_unit_term
            if unit is None:
                unit = self.factory.rng.randrange(len(sequences))
            number = sequences[unit % len(sequences)][0]
            if not number.is_Rational:
                number = S.One
            sequences = [(c / number, scalars, items) for c, scalars, items in sequences]
        for coeff, scalars, items in sequences:
            dirac = [row_names.spin] + [self.factory.name(DIRAC) for _ in items[:-1]] + [col_names.spin]
            product: list[Expr] = [coeff]
            for leg, vector in scalars:
                product.append(MomentumComponent(symbol_for(f"p_{leg}"), lorentz_index(vector)))
            for k, (kind, arg) in enumerate(items):
                a, b = Index(dirac[k], DIRAC), Index(dirac[k + 1], DIRAC)
                if kind == "g":
                    product.append(Gamma(lorentz_index(arg), a, b))
                else:
                    if not reduced or slash_index is None:  # MARTY's term by term: one index per propagator
                        slash_index = self.factory.name(LORENTZ)
                    rho = slash_index
                    product.append(MomentumComponent(symbol_for(f"p_{arg}"), Index(rho, LORENTZ)))
                    product.append(Gamma(Index(rho, LORENTZ, up=True), a, b))
            terms.append(Mul(*product))
        return number, colour_factor * Add(*terms)

    def _sequences(self, line) -> tuple[list[tuple[Expr, tuple, tuple]], bool]:
        """The line's product terms as (coefficient, momentum components (leg, vector index), Dirac
        items (kind, arg) from row to col), and whether MARTY's reduction applied.

        MARTY's rows (docs/physics.md) write a line with one propagator between two external bosons
        by momentum conservation at the vertex of the higher-numbered boson B, whose fermion F is
        on shell, and then the spinor equation at F: ubar(p_F) eps_B (c p_F + ...) becomes
        c (2 p_F.eps_B - eta m eps_B) with eta = +1 for u, ubar and -1 for v, vbar (and mirrored at
        the col end); equal items are merged and the mass terms cancel."""
        factors = list(line.factors)
        side = self._reduction_side(line) if self.marty else None
        if side is not None:
            _, fermion, boson = side
            shifted = self._shifted(factors[1], {fermion, boson})
            if shifted is None:
                side = None
            else:
                factors[1] = shifted
        merged: dict[tuple[tuple, tuple], Expr] = {}
        out: list[tuple[Expr, tuple, tuple]] = []
        for choice in itertools.product(*factors):
            coeff = S.One
            items = []
            for c, kind, arg in choice:
                coeff *= c
                if kind != "1":
                    items.append((kind, arg))
            if coeff == 0:
                continue
            if side is None:
                out.append((coeff, (), tuple(items)))
                continue
            for c, scalars, reduced in self._spinor_equation(coeff, tuple(items), *side, factors[1]):
                merged[(scalars, reduced)] = merged.get((scalars, reduced), S.Zero) + c
        if side is None:
            return out, False
        return [(c, scalars, items) for (scalars, items), c in merged.items() if c != 0], True

    def _reduction_side(self, line) -> tuple[str, int, int] | None:
        """("row" | "col", F, B) when the line is (boson vertex, propagator, boson vertex) with both
        bosons external: F is the fermion of the vertex MARTY rewrites the propagator at, B its
        boson. That is the vertex without the momentum MARTY eliminates (:meth:`eliminated_leg`), or
        else the higher-numbered boson's; the spinor equation then applies if F is on shell."""
        if len(line.factors) != 3 or any(len(line.factors[k]) != 1 for k in (0, 2)):
            return None
        ends = [line.factors[0][0], line.factors[2][0]]
        if any(kind != "g" or not str(arg).startswith("e") for _, kind, arg in ends):
            return None
        if any(kind == "p" and not isinstance(arg, int) for _, kind, arg in line.factors[1]):
            return None
        row_boson, col_boson = (int(arg[1:]) for _, _, arg in ends)
        sides = [("row", line.row, row_boson), ("col", line.col, col_boson)]
        free = [side for side in sides if self.eliminated_leg() not in side[1:]]
        if len(free) == 1:
            return free[0]
        return max(sides, key=lambda side: side[2])

    def eliminated_leg(self) -> int:
        """The external momentum MARTY writes numerators without (momentum conservation): the first
        vector boson's when every external fermion is on shell, else the last leg's (measured on
        every OffShell pattern of the 2025 rows; its denominators always drop the last leg's)."""
        legs = self.process.legs
        fermions_on_shell = all(n not in self.process.offshell for n, p in enumerate(legs, 1) if not p.is_vector)
        bosons = [n for n, p in enumerate(legs, 1) if p.is_vector]
        return bosons[0] if fermions_on_shell and bosons else len(legs)

    def _shifted(self, propagator, legs: set[int]) -> tuple | None:
        """The propagator numerator with its momentum rewritten (sum_in p = sum_out p) in the momenta
        of ``legs`` alone, or None if it cannot be."""
        n = len(self.process.legs)
        k = {leg: 1 if leg <= 2 else -1 for leg in range(1, n + 1)}
        q = {arg: c for c, kind, arg in propagator if kind == "p"}
        others = [leg for leg in k if leg not in legs]
        shift = Rational(q.get(others[0], 0), k[others[0]]) if others else S.Zero
        if any(q.get(leg, 0) != shift * k[leg] for leg in others):
            return None
        moved = {leg: q.get(leg, 0) - shift * k[leg] for leg in sorted(legs)}
        rest = tuple(choice for choice in propagator if choice[1] != "p")
        return (*tuple((Integer(c), "p", leg) for leg, c in moved.items() if c != 0), *rest)

    def _spinor_equation(self, coeff: Expr, items: tuple, where: str, fermion: int, boson: int, propagator):
        """One product term after the spinor equation at ``fermion``'s end of the line."""
        vector = f"e{boson}"
        if fermion in self.process.offshell:  # p_F^2 = s_FF: no spinor equation
            return [(coeff, (), items)]
        if where == "row" and items[:2] == (("g", vector), ("p", fermion)) and len(items) > 2:
            rest, gamma_side = items[2:], (("g", vector), *items[2:])
        elif where == "col" and items[-2:] == (("p", fermion), ("g", vector)) and len(items) > 2:
            rest, gamma_side = items[:-2], (*items[:-2], ("g", vector))
        else:
            return [(coeff, (), items)]
        eta = -1 if self.process.legs[fermion - 1].is_antiparticle else 1
        mass = next((c for c, kind, _ in propagator if kind == "1"), S.Zero)
        return [(2 * coeff, ((fermion, vector),), rest), (-eta * mass * coeff, (), gamma_side)]

    def _tensor(self, tensor: dict, lorentz_index) -> Expr:
        terms = []
        for key, coeff in tensor.items():
            product: list[Expr] = [coeff]
            for f in key:
                if f[0] == "G":
                    product.append(Metric(lorentz_index(f[1]), lorentz_index(f[2])))
                else:
                    product.append(MomentumComponent(symbol_for(f"p_{f[1]}"), lorentz_index(f[2])))
            terms.append(Mul(*product))
        return Add(*terms)

    def _gluon_colour(self, term: SymbolicDiagram, number: int, adjoint_index) -> Expr:
        """f^abc at three-gluon vertices; the three f f structures of the contact diagram."""
        if self.theory == "qed":
            return S.One
        if isinstance(term.diagram, TreeDiagram):  # f^abc in the order of its vertex tensor's legs

            def label(c: str) -> Index:
                return adjoint_index(f"e{c[1:]}" if c.startswith("c") else c)

            out = S.One
            for c in term.colour:
                if isinstance(c, F):
                    out *= StructureF(label(c.a), label(c.b), label(c.c))
            return out
        if term.diagram.propagator is None:
            a, b, c, d = (adjoint_index(f"e{n}") for n in range(1, 5))
            e = adjoint_index(f"c{number}")
            pairs = [((a, b), (c, d)), ((a, c), (b, d)), ((a, d), (b, c))][number]
            return StructureF(pairs[0][0], pairs[0][1], e) * StructureF(pairs[1][0], pairs[1][1], e)
        out = S.One
        for tensor in term.tensors:
            names = sorted(
                {f[-1] for key in tensor for f in key if f[0] == "P"}
                | {x for key in tensor for f in key if f[0] == "G" for x in f[1:]}
            )
            external = sorted(n for n in names if n.startswith("e"))
            internal = [n for n in names if not n.startswith("e")]
            out *= StructureF(adjoint_index(external[0]), adjoint_index(external[1]), adjoint_index(internal[0]))
        return out


def denominator_content(denominator: Expr) -> int:
    """The number MARTY divides a propagator denominator by, moving 1/c into the coefficient: the
    coefficient of its first term other than the regulator, masses first, then the invariants by
    name (2 for (p_1 + p_2)^2 = 2 m_e^2 + 2 s_12; -2 for -2 s_23 + reg_prop, written
    s_23 - 1/2*reg_prop; 1 for s_22 - 2 s_23, left as it is; -1 for s_11 + 2 s_12 - m_e^2, written
    m_e^2 - s_11 - 2 s_12 - reg_prop). Measured on MARTY's rows, OffShell legs' s_ii included."""
    terms = [t.as_coeff_Mul() for t in Add.make_args(expand(denominator)) if not t.has(REG)]
    if not terms:
        return 1
    first = min(terms, key=lambda t: (not str(t[1]).startswith("m_"), str(t[1])))[0]
    return int(first) if first.is_Integer and first != 0 else 1


def diagram_amplitudes(
    process: Process,
    theory: str,
    factory: IndexFactory,
    *,
    marty: bool = True,
    fierz: bool = True,
    fierz_cross_first: bool | None = None,
    line_unit_term: int | None = None,
) -> list[Expr]:
    """The MARTY-form amplitude of each diagram of ``process``. With ``marty`` (SYMBA's diagram rows)
    denominators are written over their integer content, each internal Lorentz index is upper on
    a drawn side and a four-quark diagram's colour is Fierz-expanded (unless ``fierz`` is off; its
    factoring drawn, or fixed by ``fierz_cross_first``), as MARTY writes them; without, undivided,
    upper in its second factor and T^a T^a (the process-level rows the regression surrogate learned)."""
    builder = AmplitudeBuilder(
        process,
        theory,
        factory,
        marty=marty,
        fierz=fierz,
        fierz_cross_first=fierz_cross_first,
        line_unit_term=line_unit_term,
    )
    return [builder.amplitude(d, str(n)) for n, d in enumerate(process_diagrams(process, theory))]


__all__ = ["AmplitudeBuilder", "IndexFactory", "Integer", "diagram_amplitudes"]
