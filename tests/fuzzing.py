"""Grammar-aware fuzzing of the text → tokens pipeline, shared by the CI-sized property test
(tests/symtok/test_fuzz.py) and the nightly-sized run (benchmarks/fuzz.py).

Inputs are valid expressions of every form (random trees printed in the MARTY, SymPy, 2022
prefix and functional forms) and mutations of them: characters and grammar tokens deleted,
inserted, duplicated and swapped, spans repeated (deep nesting, long chains), huge numbers and
exponents spliced in. For each input :func:`check` asserts the contract: only SymtokError
escapes, it finishes within a time bound, and an accepted input round-trips (text → tree → MARTY
text → the same tree; tree → canonical tokens → the same canonical tree).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sympy import Expr

from symtok import normalize, parse
from symtok.convert import write_form
from symtok.errors import SymtokError
from symtok.prefix import decode, encode
from symtok.printer import to_string

#: Pieces of every form's grammar, spliced into valid text by the mutations.
GRAMMAR_PIECES = (
    "(",
    ")",
    "{",
    "}",
    ",",
    ";",
    "*",
    "**",
    "/",
    "+",
    "-",
    "^",
    "^(*)",
    "_u",
    "_v",
    "%",
    "+%",
    "\\",
    "i",
    "I",
    "e",
    "g",
    "s_12",
    "m_e",
    "reg_prop",
    "p_1",
    "(p_3)",
    "(p_2)_u",
    "gamma",
    "gamma_{",
    "T_C_10_{",
    "Prod",
    "Sum",
    "Pow",
    "Prod,(,",
    "mul(",
    "Tr(",
    "slash(p1)",
    "gamma_mu",
    "Symbol('Q')",
    "0",
    "-1",
    "1/0",
    "99999999999999999999",
    "^1000",
    "**1000",
    "^(-1000)",
    "2^2^2",
    "x**x**x",
    "i_3",
    "%\\sigma_1",
    "%gam_2",
)


@dataclass(frozen=True)
class Outcome:
    """What one input did: accepted, rejected (a SymtokError), or a contract failure."""

    text: str
    accepted: bool
    seconds: float
    failure: str | None = None


def mutate(text: str, rng: random.Random, rounds: int = 3) -> str:
    """``text`` with ``rounds`` random edits drawn from characters, grammar pieces and spans of itself."""
    for _ in range(rounds):
        n = len(text)
        k = rng.randrange(n + 1)
        op = rng.randrange(7)
        if op == 0 and n:
            text = text[:k] + text[k + 1 :]  # delete a character
        elif op == 1:
            text = text[:k] + rng.choice(GRAMMAR_PIECES) + text[k:]  # insert a grammar piece
        elif op == 2 and n:
            j = min(n, k + rng.randint(1, 40))
            text = text[:k] + text[k:j] * rng.choice((2, 3, 50)) + text[j:]  # repeat a span
        elif op == 3 and n > 1:
            j = rng.randrange(n)
            chars = list(text)
            chars[min(k, n - 1)], chars[j] = chars[j], chars[min(k, n - 1)]
            text = "".join(chars)  # swap two characters
        elif op == 4:
            depth = rng.choice((5, 60, 150))
            text = "(" * depth + text + ")" * depth  # nest
        elif op == 5:
            text = text[:k] + chr(rng.choice((0, 7, 0x7F, 0xE9, 0x3B1, rng.randrange(32, 127)))) + text[k:]
        else:
            text = text[:k] + rng.choice(GRAMMAR_PIECES) * rng.choice((1, 20, 400)) + text[k:]  # a long run
    return text


def written_forms(expr: Expr) -> list[str]:
    """``expr`` in every form that can hold it."""
    out = []
    for form in ("marty", "sympy", "symba-prefix", "functional"):
        try:
            out.append(write_form(expr, form))
        except SymtokError:
            continue
    return out


def check(text: str, bound: float = 5.0) -> Outcome:
    """Run the pipeline on ``text`` and check the contract (see the module docstring)."""
    started = time.perf_counter()
    failure = None
    accepted = False
    try:
        expr = parse(text)
        accepted = True
        if parse(to_string(expr), form="marty") != expr:
            failure = "parse(to_string(x)) != x"
        else:
            canonical = normalize(expr)
            if decode(encode(canonical)) != canonical:
                failure = "decode(encode(normalize(x))) != normalize(x)"
    except SymtokError:
        if accepted:
            failure = "accepted, then a later stage raised SymtokError"
    except (KeyboardInterrupt, MemoryError):
        raise
    except BaseException as err:
        failure = f"{type(err).__name__} escaped: {str(err)[:200]}"
    seconds = time.perf_counter() - started
    if failure is None and seconds > bound:
        failure = f"took {seconds:.1f} s (bound {bound} s)"
    return Outcome(text, accepted, seconds, failure)
