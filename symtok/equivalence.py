"""Numerical equivalence of two expressions: equal at random points, in 50-digit arithmetic.

Squared amplitudes are rational functions of e, g, masses, s_ij and reg_prop (with i possibly in
intermediate forms). Two forms that differ in term order, factoring or index names are equal at
every point; different expressions are equal at a random point with probability ~0. Evaluation
uses 50 significant digits and a relative tolerance of 1e-40, far below any real difference and far
above rounding.
"""

from __future__ import annotations

import random

from sympy import Expr

from symtok.objects import PhysicsObject


def _scalar(expr: Expr) -> bool:
    return not any(isinstance(node, PhysicsObject) for node in expr.atoms(PhysicsObject))


def equivalent(a: Expr, b: Expr, *, points: int = 3, seed: int = 0, digits: int = 50) -> bool:
    """True if ``a`` and ``b`` are equal at ``points`` random points of their free symbols, evaluated
    with ``digits``-digit arithmetic (mpmath) and a relative tolerance of 10^(10 - digits)
    (expressions with tensor objects must be identical). Floating evaluation keeps every check
    fast, also for a wrong prediction with odd powers, where exact SymPy arithmetic could try to
    factor enormous integers. A point where either side is singular is drawn again (up to 4 times
    as many draws as points)."""
    if a == b:
        return True
    if not (_scalar(a) and _scalar(b)):
        return False
    import mpmath
    from sympy import lambdify

    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    try:
        fa, fb = lambdify(symbols, a, modules="mpmath"), lambdify(symbols, b, modules="mpmath")
    except (TypeError, ValueError, SyntaxError):
        return False
    rng = random.Random(seed)
    agreed = 0
    with mpmath.workdps(digits):
        tolerance = mpmath.mpf(10) ** (10 - digits)
        for _ in range(4 * points):
            values = [mpmath.mpf(rng.randint(1, 997)) / rng.randint(1, 997) * rng.choice((1, -1)) for _ in symbols]
            try:
                va, vb = mpmath.mpmathify(fa(*values)), mpmath.mpmathify(fb(*values))
            except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                continue
            if not (mpmath.isfinite(va) and mpmath.isfinite(vb)):
                continue
            if abs(va - vb) > tolerance * max(abs(va), abs(vb), mpmath.mpf(10) ** (-digits)):
                return False
            agreed += 1
            if agreed >= points:
                return True
    return False
