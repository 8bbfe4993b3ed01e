"""symtok: MARTY/SYMBA amplitudes ↔ canonical SymPy trees ↔ reversible prefix tokens.

>>> import symtok
>>> tokens = symtok.tokenize("e^2*gamma_{%\\\\sigma_3,%gam_1,%del_2}")
>>> symtok.detokenize(tokens) == symtok.normalize(symtok.parse("e^2*gamma_{%\\\\sigma_3,%gam_1,%del_2}"))
True
"""

from __future__ import annotations

from sympy import Expr

from symtok.errors import ParseError, SymtokError, TokenError, VocabError
from symtok.indices import Index
from symtok.normalize import normalize, normalize_indices
from symtok.parse import parse
from symtok.prefix import decode, encode
from symtok.printer import to_string
from symtok.vocab import Vocab

__version__ = "0.1.0"


def to_prefix(expr: Expr) -> list[str]:
    """Prefix tokens of a SymPy expression (no normalization; see :func:`tokenize`)."""
    return encode(expr)


def detokenize(tokens: list[str]) -> Expr:
    """The SymPy expression of a prefix token sequence (inverse of :func:`to_prefix`)."""
    return decode(tokens)


def tokenize(text: str, *, form: str = "auto") -> list[str]:
    """Parse, normalize and encode an expression (in any form, see :data:`symtok.parse.FORMS`):
    the canonical prefix tokens of ``text``."""
    return encode(normalize(parse(text, form=form)))


__all__ = [
    "Expr",
    "Index",
    "ParseError",
    "SymtokError",
    "TokenError",
    "Vocab",
    "VocabError",
    "decode",
    "detokenize",
    "encode",
    "normalize",
    "normalize_indices",
    "parse",
    "to_prefix",
    "to_string",
    "tokenize",
]
