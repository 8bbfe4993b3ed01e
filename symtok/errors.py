"""The one error family of symtok: every error the library raises on purpose derives from SymtokError."""

from __future__ import annotations


class SymtokError(Exception):
    """Root of every error symtok raises deliberately; the CLI catches it in one place."""


class ParseError(SymtokError, ValueError):
    """Text that is not a valid expression: carries line, column (1-based), the expected tokens and an excerpt."""

    def __init__(
        self,
        message: str,
        *,
        line: int = 1,
        column: int = 1,
        expected: tuple[str, ...] = (),
        excerpt: str = "",
    ) -> None:
        self.reason = message
        self.line = line
        self.column = column
        self.expected = tuple(expected)
        self.excerpt = excerpt
        text = f"line {line}, column {column}: {message}"
        if expected:
            text += "\n  expected one of: " + ", ".join(expected)
        if excerpt:
            text += "\n" + excerpt
        super().__init__(text)


class TokenError(SymtokError, ValueError):
    """A token sequence that does not decode: unknown token, missing operand, or trailing tokens."""


class VocabError(SymtokError, ValueError):
    """A vocabulary file that is malformed, or a token/id that is not in the vocabulary."""
