"""Numerical equivalence: equal forms are equal, different expressions are not, exactly."""

from __future__ import annotations

from symtok import parse
from symtok.equivalence import equivalent


def test_equal_forms_are_equivalent():
    a = parse("2*e^4*(m_e^2 + -s_13 + 1/2*reg_prop)^(-2)*(s_12*s_34 + m_e^4)")
    b = parse("(2*e^4*s_12*s_34 + 2*e^4*m_e^4)/(m_e^2 - s_13 + reg_prop/2)^2")
    assert equivalent(a, b)


def test_different_expressions_are_not():
    a = parse("2*e^4*s_12*s_34*(m_e^2 + -s_13)^(-2)")
    assert not equivalent(a, parse("2*e^4*s_12*s_34*(m_e^2 + -s_14)^(-2)"))
    assert not equivalent(a, parse("2*e^4*s_12*s_34*(m_e^2 + -s_13)^(-2) + s_44*e^4/(m_e^2 + -s_13)^2"))
    assert not equivalent(parse("i*e^2"), parse("-i*e^2"))


def test_tensor_expressions_must_be_identical():
    a = parse("gamma_{%\\mu_1,%del_1,%del_2}*e^2")
    b = parse("gamma_{%\\mu_2,%del_1,%del_2}*e^2")
    assert equivalent(a, a)
    assert not equivalent(a, b)
