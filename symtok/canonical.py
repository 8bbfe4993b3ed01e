"""Canonical SymPy trees: the fixed point of rebuilding every node with its evaluating constructor.

SymPy's evaluation is not idempotent on every tree: ``Pow(1 + I, -1)`` evaluates to
``Mul(1/2, 1 - I)``, and rebuilding that two-argument product distributes the 1/2. The decoder
can only produce constructor outputs, so the round trips are defined on trees that rebuilding
leaves unchanged; :func:`canonical` computes them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sympy import Basic, Expr

MAX_PASSES = 5


def rebuild(expr: Expr, replace: Mapping[Basic, Basic] | None = None) -> Expr:
    """Rebuild every node bottom-up with its constructor, substituting atoms found in ``replace``."""
    if replace and expr in replace:
        return replace[expr]
    if not expr.args:
        return expr
    return expr.func(*[rebuild(a, replace) for a in expr.args])


def canonical(expr: Expr, replace: Mapping[Basic, Basic] | None = None) -> Expr:
    """The rebuilding fixed point of ``expr`` (after substituting ``replace``)."""
    current = rebuild(expr, replace)
    for _ in range(MAX_PASSES):
        again = rebuild(current)
        if again == current:
            return current
        current = again
    return current
