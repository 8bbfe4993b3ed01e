"""Bad input gets a clear ParseError (line, column, caret, expected), never a RecursionError or a hang."""

from __future__ import annotations

import time

import pytest

from symtok import ParseError, SymtokError, parse
from symtok.diagnostics import MAX_CHARS


def error(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    return info.value


def test_unexpected_token_reports_line_column_caret_and_expected():
    e = error("e^2*s_12 +\n  * m_e")
    assert (e.line, e.column) == (2, 3)
    assert "unexpected '*'" in str(e)
    assert "a name" in e.expected and "an integer" in e.expected
    assert e.excerpt.splitlines()[-1].endswith("^")
    assert e.excerpt.splitlines()[-1].index("^") == e.excerpt.splitlines()[0].index("*")


def test_unexpected_character():
    e = error("e^2 $ s_12")
    assert e.column == 5 and "'$'" in str(e)


def test_unexpected_end():
    e = error("(e + g")
    assert "end of input" in str(e) and "')'" in e.expected


def test_wrong_index_count_points_at_the_tensor():
    e = error(r"s_12*gamma_{%\sigma_1,%gam_2}")
    assert e.column == 6 and "gamma takes 3 indices" in str(e)


def test_unknown_tensor():
    assert "unknown tensor 'sigma'" in str(error("sigma_{%a_1,%b_2}"))


def test_conjugate_of_a_non_wavefunction_is_rejected():
    e = error("s_12^(*)")
    assert "^(*)" in str(e)


def test_parse_error_is_a_value_error_and_symtok_error():
    e = error("(")
    assert isinstance(e, ValueError) and isinstance(e, SymtokError)


def test_deep_nesting_is_rejected_clearly():
    text = "(" * 5000 + "x" + ")" * 5000
    e = error(text)
    assert "nested deeper" in str(e)


def test_deep_nesting_in_functional_form():
    text = "neg(" * 3000 + "x" + ")" * 3000
    assert "nested deeper" in str(error(text))


def test_megabyte_input_rejected_fast():
    text = "e*" * (3 * 1024 * 1024) + "e"
    start = time.perf_counter()
    e = error(text)
    assert time.perf_counter() - start < 1.0
    assert f"{MAX_CHARS:,}" in str(e)


def test_long_flat_input_below_limit_parses():
    text = " + ".join(f"{k}*x_{k}^2" for k in range(1, 3000))
    assert len(text) < MAX_CHARS
    assert len(parse(text).args) == 2999


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f"])
def test_control_characters(ch):
    e = error(f"e^2*{ch}s_12")
    assert "control character" in str(e) and e.column == 5


def test_non_ascii():
    assert "non-ASCII" in str(error("e^2*σ"))


def test_huge_exponent_and_integer():
    assert "exponent" in str(error("2^99999999"))
    assert "digits" in str(error("1" * 5000))


def test_division_by_zero():
    assert "division by zero" in str(error("e/0"))


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("e*s_12/0", 7, "division by zero"),
        ("e + 0^(-1)", 6, "0 to a negative power"),
        ("e*(s_12^2)^(1/2)", 11, "Abs(s_12)"),
        ("x**-1/(2-2)", 6, "division by zero"),
        ("e*(2^1000)^1000", 5, "digits"),
        ("Prod,e,2/0", 8, "division by zero"),
    ],
)
def test_arithmetic_errors_point_at_the_operator(text, column, message):
    err = error(text)
    assert err.column == column and message in err.reason


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty(text):
    assert "empty" in str(error(text))


def test_functional_errors():
    assert "only appear inside Tr" in str(error("mul(gamma_mu, x)"))
    assert "unknown function" in str(error("foo(x)"))
    assert "slash() takes one momentum" in str(error("Tr(slash(q))"))


@pytest.mark.parametrize(
    "text",
    [
        "((((2^1000)^1000)^1000)^1000)",
        "pow(pow(pow(pow(2,1000),1000),1000),1000)",
        "((s_12^1000)^1000)^1000",
        "s_12^1000*s_12",
        "2^1000*s_12",
        "10^200*10*s_12",
        "1/2^1000",
        "e^(999+999)",
    ],
)
def test_results_too_large_to_print_back_are_rejected_fast(text):
    """The guard looks at the evaluated result, not only at the literals: no hang, and nothing is
    accepted that would not parse again once printed."""
    started = time.perf_counter()
    with pytest.raises(ParseError):
        parse(text)
    assert time.perf_counter() - started < 2.0


def test_large_but_printable_numbers_round_trip():
    from symtok import to_string

    for text in ("2^600*s_12", "s_12^1000", "(s_12^10)^100"):
        expr = parse(text)
        assert parse(to_string(expr)) == expr
