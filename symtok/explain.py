"""Tokenization transparency: every stage from text to ids, for people to inspect."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import srepr

from grammar import load_parser
from symtok.normalize import normalize_indices
from symtok.parse import is_functional, parse
from symtok.prefix import encode
from symtok.printer import to_string
from symtok.vocab import Vocab


@dataclass(frozen=True)
class TokenizationSteps:
    """Each stage of ``tokenize``: Lark tree, SymPy tree, normalized form, renaming, tokens and ids."""

    text: str
    parse_tree: str
    sympy: str
    sympy_srepr: str
    normalized: str
    renaming: dict[str, str]
    tokens: list[str]
    ids: list[int]


def tokenization_steps(text: str, vocab: Vocab | None = None) -> TokenizationSteps:
    """Run the pipeline on ``text`` and keep every intermediate form."""
    vocab = vocab or Vocab.default()
    expr = parse(text)  # validates first, so the tree below cannot fail
    grammar = "functional" if is_functional(text) else "marty"
    tree = load_parser(grammar).parse(text).pretty()
    canonical, renaming = normalize_indices(expr)
    tokens = encode(canonical)
    return TokenizationSteps(
        text=text,
        parse_tree=tree,
        sympy=str(expr),
        sympy_srepr=srepr(expr),
        normalized=to_string(canonical),
        renaming={f"{name} ({kind})": new for (name, kind), new in renaming.items()},
        tokens=tokens,
        ids=vocab.encode(tokens),
    )
