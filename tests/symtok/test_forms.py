"""Every expression form: SymPy infix, the 2022 SYMBA prefix form, the functional form, detection per
expression, writers whose output reads back to the same tree, and conversion of whole files."""

from __future__ import annotations

import json
import random
import time

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import I, Symbol

from symtok import normalize, parse, to_string, tokenize
from symtok.convert import TARGETS, convert_expression, convert_file
from symtok.errors import ParseError, SymtokError
from symtok.functional import to_functional
from symtok.objects import PhysicsObject
from symtok.parse import FORMS, detect_form
from symtok.symba_prefix import to_symba_prefix
from symtok.sympy_form import reserved_names, to_sympy
from tests.strategies import expressions, squared_amplitudes

# The SymPy-infix and 2022 prefix examples of FORMAT.md §6 (inputs; every expected value below is
# computed independently: by sympy.parse_expr, or from MARTY text written by hand for the same object).
SYMPY_EXAMPLES = (
    "8*e**4*(2*m_e**2*m_s**2 - m_e**2*s_24 - m_s**2*s_13 + s_12*s_34 + s_14*s_23)"
    "/(9*(m_e**2 + reg_prop - 2*s_13 + s_33)**2)",
    "-64*e**4*(4*i**2*m_u**4 + m_u**2*(-2*i**2*s_13 - 2*i**2*s_14 + 4*i**2*s_34 - 4*s_44) + s_13*s_44 "
    "- 2*s_14*s_34)/(81*(reg_prop + 2*s_12)**2)",
    "-16*e**2*(2*m_c**2 - s_12)/9",
    "-4*e**2*(2*m_mu**2 - s_12)",
    "2**-x**2*y",
    "x**2**3 - -y/-(2*z)**-1",
)
PREFIX_EXAMPLES = {
    "Prod,-1,Prod,i,Prod,e,Prod,gamma,alpha_2,alpha_0,alpha_1,Prod,A^(*),i_2,alpha_2,(p_3),"
    "Prod,mu,i_0,alpha_1,(p_1)_u,mu^(*),i_1,alpha_0,(p_2)_u": "-i*e*gamma_{%alpha_2,%alpha_0,%alpha_1}"
    "*A_{i_2,+%alpha_2}(p_3)^(*)*mu_{i_0,%alpha_1}(p_1)_u*mu_{i_1,%alpha_0}(p_2)_u^(*)",
    "Prod,2/3,Prod,i,Prod,e,Prod,gamma,alpha_2,alpha_1,alpha_0,Prod,A,i_2,alpha_2,(p_3),"
    "Prod,u^(*),i_0,alpha_1,(p_1)_u,u,i_1,alpha_0,(p_2)_v": "2/3*i*e*gamma_{%alpha_2,%alpha_1,%alpha_0}"
    "*A_{i_2,+%alpha_2}(p_3)*u_{i_0,%alpha_1}(p_1)_u^(*)*u_{i_1,%alpha_0}(p_2)_v",
    "Prod,-1/3,Prod,i,Prod,e,Prod,gamma,alpha_2,alpha_0,alpha_1,Prod,A^(*),i_2,alpha_2,(p_3),"
    "Prod,d,i_0,alpha_1,(p_1)_u,d^(*),i_1,alpha_0,(p_2)_u": "-1/3*i*e*gamma_{%alpha_2,%alpha_0,%alpha_1}"
    "*A_{i_2,+%alpha_2}(p_3)^(*)*d_{i_0,%alpha_1}(p_1)_u*d_{i_1,%alpha_0}(p_2)_u^(*)",
    # the electron is ``ee``; an n-ary group; a MARTY item and a coloured spinor
    "Prod,(,e,ee,i_3,alpha_1,(p_1)_v,Sum,m_e,s_12,Pow,m_e,-2,)": "e*e_{i_3,%alpha_1}(p_1)_v*(m_e + s_12)*m_e^(-2)",
    "Prod,g,Prod,T_C_10_{%g_1,%A_2,%B_3},u,j_1,A_2,alpha_0,(p_2)_u": "g*T_C_10_{%g_1,%A_2,%B_3}*u_{j_1,%A_2,%alpha_0}(p_2)_u",
}
SEMICOLON_EXAMPLE = (
    "Prod;(;-1/2;i;Pow;(;e;2;);Pow;(;Sum;(;Pow;(;m_e;2;);Prod;(;-1;s_13;);Prod;(;1/2;reg_prop;););-1;);"
    "gamma_{+%\\sigma_126,%eps_36,%del_171};gamma_{%\\sigma_126,%eta_132,%del_172};e_{i_3,%del_171}(p_1)_u;"
    "e_{k_3,%del_172}(p_2)_u;e_{l_3,%eps_36}(p_3)_u^(*);e_{i_5,%eta_132}(p_4)_u^(*);)"
)
SEMICOLON_MARTY = (
    "-1/2*i*e^2*gamma_{+%\\sigma_126,%eps_36,%del_171}*gamma_{%\\sigma_126,%eta_132,%del_172}"
    "*e_{i_3,%del_171}(p_1)_u*e_{k_3,%del_172}(p_2)_u*e_{l_3,%eps_36}(p_3)_u^(*)*e_{i_5,%eta_132}(p_4)_u^(*)"
    "/(m_e^2 + -s_13 + 1/2*reg_prop)"
)


def _value(expr: sympy.Expr, seed: int) -> complex:
    """``expr`` at a random point, symbols matched by name (parse_expr's carry no assumptions)."""
    rng = random.Random(seed)
    names = sorted({s.name for s in expr.free_symbols})
    values = {name: sympy.Rational(rng.randint(1, 997), rng.randint(1, 97)) for name in names}
    return complex(expr.xreplace({s: values[s.name] for s in expr.free_symbols}))


@pytest.mark.parametrize("text", SYMPY_EXAMPLES)
def test_sympy_infix_has_the_value_parse_expr_gives(text: str) -> None:
    ours = parse(text)
    theirs = sympy.parse_expr(text, local_dict={"i": I})
    assert detect_form(text) == "sympy"
    for seed in range(3):
        assert _value(ours, seed) == pytest.approx(_value(theirs, seed), rel=1e-12)


@pytest.mark.parametrize(("text", "marty"), PREFIX_EXAMPLES.items())
def test_prefix_form_gives_the_objects_of_the_marty_text(text: str, marty: str) -> None:
    assert detect_form(text) == "symba-prefix"
    assert parse(text) == parse(marty, form="marty")
    assert tokenize(text) == tokenize(marty)


def test_semicolon_export_with_marty_items() -> None:
    assert parse(SEMICOLON_EXAMPLE) == parse(SEMICOLON_MARTY)


def test_power_binds_as_in_python() -> None:
    x, y = Symbol("x"), Symbol("y")
    assert parse("-x**2") == -(x**2)
    assert parse("x**-y") == x ** (-y)
    assert parse("2**3**2") == 2**9
    assert parse("x^2", form="sympy") == x**2  # MARTY's ^ is read in either form


def test_imaginary_unit_spellings() -> None:
    assert parse("I*e**2") == parse("i*e^2")
    assert parse("I*x", form="marty") == Symbol("I") * Symbol("x")  # MARTY has no I
    assert parse("Symbol('Q')*Q**2") == Symbol("Q") ** 3


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Prod,e", "missing 1 more operand"),
        ("Prod,e,m_e,x", "make 2 expressions"),
        ("Prod,gamma,a,b", "gamma takes 3 indices"),
        ("Prod,(p_1),e", "must follow a field"),
        ("Prod,mu^(*),e", "conjugate field needs"),
        ("Prod,,e", "empty item"),
        ("Sum,(,)", "no operands"),
        ("Prod,e,)", "closes no"),
        ("Prod,e,2/0", "division by zero"),
        ("Prod,e,gamma_{%a", "item"),
    ],
)
def test_prefix_errors_say_where(text: str, where: str) -> None:
    with pytest.raises(ParseError, match=where) as info:
        parse(text)
    assert info.value.column >= 1


@pytest.mark.parametrize(
    "text",
    [
        "x" + "**x" * 5000,
        "2" + "**2" * 200,
        "Pow," * 50_000 + "2," + ",".join(["2"] * 50_000),
        "Prod,(," * 30_000 + "e" + ",)" * 30_000,
        "Pow,Pow,Pow,2,1000,1000,1000",
        "((2**1000)**1000)**1000",
    ],
)
def test_hostile_forms_are_refused_fast(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(SymtokError):
        parse(text)
    assert time.perf_counter() - started < 5


scalars = st.one_of(squared_amplitudes, expressions.filter(lambda x: not x.atoms(PhysicsObject)))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(scalars)
def test_sympy_writer_round_trip_and_parse_expr_value(x: sympy.Expr) -> None:
    text = to_sympy(x)
    assert parse(text, form="sympy") == x
    theirs = sympy.parse_expr(text)
    try:
        ours_value = _value(x, 7)
    except (ZeroDivisionError, TypeError, ValueError):  # a random point may hit a pole or 0**-n
        return
    assert complex(_value(theirs, 7)) == pytest.approx(ours_value, rel=1e-9, abs=1e-12)


def test_sympy_writer_names_clashing_symbols() -> None:
    x = Symbol("Q") * Symbol("beta") + Symbol("lambda")
    text = to_sympy(x)
    assert "Symbol('Q')" in text and "Symbol('lambda')" in text
    assert parse(text) == x
    assert {s.name for s in sympy.parse_expr(text).free_symbols} == {"Q", "beta", "lambda"}
    assert "Q" in reserved_names() and "m_e" not in reserved_names()


def test_sympy_writer_refuses_tensors() -> None:
    with pytest.raises(SymtokError, match="Gamma has no SymPy infix form"):
        to_sympy(parse("e*gamma_{%\\sigma_1,%a_1,%b_2}*m_e"))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions)
def test_symba_prefix_writer_round_trip(x: sympy.Expr) -> None:
    assert parse(to_symba_prefix(x)) == x


trace_items = st.lists(
    st.one_of(st.sampled_from(["gamma_mu", "gamma_nu", "gamma_rho"]), st.sampled_from(["slash(p1)", "slash(p2)"])),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(trace_items, min_size=1, max_size=2), st.integers(-9, 9), st.sampled_from(["alpha", "s", "m_e"]))
def test_functional_writer_round_trip(traces: list[list[str]], coefficient: int, symbol: str) -> None:
    text = f"mul({coefficient}, pow({symbol}, 2), " + ", ".join(f"Tr({', '.join(t)})" for t in traces) + ")"
    x = parse(text)
    written = to_functional(x)
    assert normalize(parse(written)) == normalize(x)
    assert to_functional(parse(written)) == written


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(scalars)
def test_functional_writer_scalars(x: sympy.Expr) -> None:
    assert parse(to_functional(x), form="functional") == x


def test_functional_writer_refuses_spinors() -> None:
    with pytest.raises(SymtokError, match="SpinorU has no functional form"):
        to_functional(parse("e*mu_{i_1,%a_1}(p_1)_u"))


@pytest.mark.parametrize("to", TARGETS)
def test_convert_every_target_reads_back(to: str) -> None:
    text = next(iter(PREFIX_EXAMPLES)) if to in ("marty", "symba-prefix", "prefix-tokens") else SYMPY_EXAMPLES[0]
    written = convert_expression(text, to)
    if to == "prefix-tokens":
        from symtok import detokenize

        assert detokenize(written.split()) == normalize(parse(text))
    else:
        assert normalize(parse(written)) == normalize(parse(text))


def test_convert_file_keeps_every_row(tmp_path) -> None:
    rows = [SYMPY_EXAMPLES[0], next(iter(PREFIX_EXAMPLES)), "Prod,oops", SYMPY_EXAMPLES[2], "-(", ""]
    src = tmp_path / "mixed.txt"
    src.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.txt"
    report = convert_file(str(src), out, to="sympy")
    errors = [json.loads(line) for line in (tmp_path / "out.txt.errors.jsonl").read_text().splitlines()]
    written = out.read_text().splitlines()
    assert report.rows_in == 5 == report.rows_out + report.errors
    assert [e["line"] for e in errors] == [2, 3, 5]  # a tensor amplitude has no SymPy form; two bad rows
    assert "Conj has no SymPy infix form" in errors[0]["reason"]
    assert [sympy.parse_expr(w) for w in written] == [sympy.parse_expr(to_sympy(parse(r))) for r in (rows[0], rows[3])]


def test_convert_keeps_the_csv_and_symba_layouts(tmp_path) -> None:
    csv_in = tmp_path / "rows.csv"
    amp = next(iter(PREFIX_EXAMPLES))
    csv_in.write_text(f'amp,sqamp\n"{amp}",{SYMPY_EXAMPLES[2]}\n')
    report = convert_file(str(csv_in), tmp_path / "rows.out.csv", to="marty")
    assert report.rows_out == 1
    import csv

    (header, row), *_ = [list(csv.reader((tmp_path / "rows.out.csv").open()))]
    assert header == ["amp", "sqamp"] and parse(row[0]) == parse(amp) and parse(row[1]) == parse(SYMPY_EXAMPLES[2])
    symba_in = tmp_path / "rows.txt"
    symba_in.write_text(f"Interaction: e e to mu mu : Vertex V_0:e(X_1), : {amp} : {SYMPY_EXAMPLES[2]}\n")
    convert_file(str(symba_in), tmp_path / "rows.out.txt", to="prefix-tokens")
    from symtok.io import read_rows

    (converted,) = list(read_rows(str(tmp_path / "rows.out.txt")))
    assert converted.process == "e e to mu mu" and converted.squared_amplitude.split() == tokenize(SYMPY_EXAMPLES[2])


def test_forms_are_listed_once() -> None:
    assert set(FORMS) - {"prefix-tokens"} <= set(TARGETS)
    assert to_string(parse(SYMPY_EXAMPLES[3])) == to_string(parse(to_sympy(parse(SYMPY_EXAMPLES[3]))))
