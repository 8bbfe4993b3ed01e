"""Numerical equivalence of two expressions: equal at random rational points, exactly.

Squared amplitudes are rational functions of e, g, masses, s_ij and reg_prop (with i possibly in
intermediate forms). Two forms that differ in term order, factoring or index names are equal at
every point; different expressions are equal at a random point with probability ~0. Evaluation is
exact (random rationals in, an exact number out), so no tolerance is involved.
"""

from __future__ import annotations

import random

from sympy import Expr, Rational, S, expand

from symtok.objects import PhysicsObject


def _scalar(expr: Expr) -> bool:
    return not any(isinstance(node, PhysicsObject) for node in expr.atoms(PhysicsObject))


def equivalent(a: Expr, b: Expr, *, points: int = 3, seed: int = 0) -> bool:
    """True if ``a`` and ``b`` are equal at ``points`` random rational points of their free symbols
    (expressions with tensor objects must be identical). A point where either side is singular is
    drawn again (up to 4 times as many draws as points)."""
    if a == b:
        return True
    if not (_scalar(a) and _scalar(b)):
        return False
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    rng = random.Random(seed)
    agreed = 0
    for _ in range(4 * points):
        values = {s: Rational(rng.randint(1, 997), rng.randint(1, 997)) * rng.choice((1, -1)) for s in symbols}
        try:
            va, vb = a.xreplace(values), b.xreplace(values)
        except (ZeroDivisionError, ValueError):
            continue
        if not (va.is_number and vb.is_number) or S.ComplexInfinity in (va, vb) or va.has(S.NaN, S.ComplexInfinity):
            continue
        if vb.has(S.NaN, S.ComplexInfinity):
            continue
        if expand(va - vb) != 0:
            return False
        agreed += 1
        if agreed >= points:
            return True
    return False
