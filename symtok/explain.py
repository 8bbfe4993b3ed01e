"""Tokenization transparency: every stage from text to ids, for people to inspect."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import srepr

from grammar import load_parser
from symtok.normalize import normalize_indices
from symtok.parse import detect_form, parse
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


def tokenization_steps(text: str, vocab: Vocab | None = None, *, form: str = "auto") -> TokenizationSteps:
    """Run the pipeline on ``text`` and keep every intermediate form."""
    vocab = vocab or Vocab.default()
    expr = parse(text, form=form)  # validates first, so the tree below cannot fail
    form = detect_form(text) if form == "auto" else form
    if form == "symba-prefix":  # read by a stack machine, not a Lark grammar
        tree = f"(the 2022 prefix form is read without a parse tree; the items are)\n{text}"
    else:
        tree = load_parser("functional" if form == "functional" else "marty").parse(text).pretty()
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
