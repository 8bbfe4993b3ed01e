"""The token specification: every token string the prefix codec can emit, and its arity.

Read by the encoder, the decoder, the vocabulary and the tests; see docs/tokens.md.
"""

from __future__ import annotations

import re
import string

from symtok.indices import ADJOINT, DIRAC, FUNDAMENTAL, LABEL, LORENTZ
from symtok.normalize import CANONICAL_NAMES
from symtok.objects import REGISTRY
from symtok.symbols import BOSON_FIELDS, FERMION_FIELDS

SPECIALS = ("<pad>", "<bos>", "<eos>", "<mask>", "<sep>", "<unk>")
PAD, BOS, EOS, MASK, SEP, UNK = SPECIALS

#: Operators of fixed arity. add/mul are binary and chained to the right (see prefix.py).
OPERATORS: dict[str, int] = {"add": 2, "mul": 2, "pow": 2, "rat": 2}
INT_POS, INT_NEG = "INT+", "INT-"  # sign, then one or more digit tokens (Lample & Charton)
DIGITS = tuple("0123456789")
IMAGINARY = "I"
UP = "up"  # arity 1: the index that follows is upper
SYMBOL_ESCAPE = "sym"  # then one char token per character of the name
CHAR_PREFIX = "~"
NAME_CHARS = string.ascii_letters + string.digits + "_\\"
CHAR_TOKENS = tuple(CHAR_PREFIX + c for c in NAME_CHARS)

#: Index tokens: kind prefix + canonical number (0 .. slots-1), or prefix + "?" + char tokens.
INDEX_PREFIX: dict[str, str] = {LORENTZ: "L", DIRAC: "D", ADJOINT: "CA", FUNDAMENTAL: "CF", LABEL: "P"}
INDEX_SLOTS: dict[str, int] = {LORENTZ: 128, DIRAC: 128, ADJOINT: 128, FUNDAMENTAL: 128, LABEL: 16}
INDEX_ESCAPE: dict[str, str] = {kind: prefix + "?" for kind, prefix in INDEX_PREFIX.items()}
CANONICAL_PATTERN: dict[str, re.Pattern[str]] = {
    kind: re.compile(re.escape(fmt.removesuffix("{}")) + r"(0|[1-9][0-9]*)\Z") for kind, fmt in CANONICAL_NAMES.items()
}

OBJECT_TOKENS: dict[str, int] = {spec.token: spec.arity for spec in REGISTRY}

#: Names that are single tokens; any other valid name is spelled with SYMBOL_ESCAPE.
MASSES = (*tuple(f"m_{f}" for f in FERMION_FIELDS), "m_W", "m_Z", "m_H")
MANDELSTAM = tuple(f"s_{i}{j}" for i in range(1, 9) for j in range(1, 9))
MOMENTA = tuple(f"p_{i}" for i in range(1, 9))
KNOWN_SYMBOLS: tuple[str, ...] = tuple(
    dict.fromkeys(("e", "g", "reg_prop", *MASSES, *MANDELSTAM, *MOMENTA, *FERMION_FIELDS, *BOSON_FIELDS, "C_10"))
)


def index_tokens(kind: str) -> tuple[str, ...]:
    """The single-token spellings of canonical indices of ``kind``."""
    return tuple(f"{INDEX_PREFIX[kind]}{n}" for n in range(INDEX_SLOTS[kind]))


def core_tokens() -> list[str]:
    """Every token of the specification in its stable order (specials first). Append only."""
    tokens: list[str] = list(SPECIALS)
    tokens += [*list(OPERATORS), INT_POS, INT_NEG, *list(DIGITS), IMAGINARY, UP, SYMBOL_ESCAPE]
    tokens += list(OBJECT_TOKENS)
    tokens += list(KNOWN_SYMBOLS)
    for kind in INDEX_PREFIX:
        tokens += [*list(index_tokens(kind)), INDEX_ESCAPE[kind]]
    tokens += list(CHAR_TOKENS)
    return tokens
