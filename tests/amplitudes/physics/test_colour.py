"""The colour algebra of the symbolic |M|^2, checked against SU(3) identities (independent of numeric.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sympy import Integer, Rational

from amplitudes.physics.colour import F, T, colour_sum, generators, structure_constants
from symtok.errors import SymtokError


def test_generators_are_normalised_hermitian_and_traceless():
    t = generators(3)
    assert t.shape == (8, 3, 3)
    assert np.allclose(np.einsum("aij,bji->ab", t, t), np.eye(8) / 2)
    assert np.allclose(t, np.conj(np.transpose(t, (0, 2, 1))))
    assert np.allclose(np.einsum("aii->a", t), 0)


def test_structure_constants_are_antisymmetric_with_the_known_values():
    f = structure_constants(3)
    # generalized Gell-Mann order: (sym, antisym) for (0,1), (0,2), (1,2), then the two diagonal ones,
    # so lambda_1, lambda_2, lambda_3 are 0, 1, 6 and lambda_4, lambda_5, lambda_8 are 2, 3, 7
    assert f[0, 1, 6] == pytest.approx(1.0)
    assert f[2, 3, 7] == pytest.approx(np.sqrt(3) / 2)
    assert np.allclose(f, -np.transpose(f, (1, 0, 2)))
    assert np.allclose(f, -np.transpose(f, (0, 2, 1)))


def test_casimirs():
    # sum |T^a_ij|^2 = C_F N = 4; f^abc f^abc = C_A (N^2 - 1) = 24
    assert colour_sum((T("a", "i", "j"),), (T("a", "i", "j"),)) == Integer(4)
    assert colour_sum((F("a", "b", "c"),), (F("a", "b", "c"),)) == Integer(24)


def test_fierz_interference_of_s_and_t_channel_quark_colour():
    # sum T^x_{31} T^x_{42} (T^y_{41} T^y_{32})^* = -(N^2 - 1) / (4 N) = -2/3 (q q' > q q' colour interference)
    s = (T("x", "c3", "c1"), T("x", "c4", "c2"))
    t = (T("y", "c4", "c1"), T("y", "c3", "c2"))
    assert colour_sum(s, t) == Rational(-2, 3)
    assert colour_sum(s, s) == Integer(2)


def test_mismatched_external_indices_are_an_error():
    with pytest.raises(SymtokError):
        colour_sum((T("a", "i", "j"),), (T("a", "i", "k"),))
