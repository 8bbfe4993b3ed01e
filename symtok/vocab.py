"""Vocabulary: token strings ↔ stable integer ids, saved as versioned JSON.

Ids never change once shipped: new tokens are only ever appended. The shipped default
(``data/vocab.json``) holds every token of the specification, so valid input never maps to UNK.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from symtok.errors import VocabError
from symtok.files import atomic_write_text, data_path
from symtok.tokens import SPECIALS, UNK, core_tokens

FORMAT = "symtok-vocab"
VERSION = 1


@dataclass(frozen=True)
class Vocab:
    """Token ↔ id table; the specials <pad> <bos> <eos> <mask> <sep> <unk> are ids 0-5."""

    tokens: tuple[str, ...]
    version: int = VERSION
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if tuple(self.tokens[: len(SPECIALS)]) != SPECIALS:
            raise VocabError(f"a vocabulary must start with the specials {SPECIALS}")
        ids = {t: i for i, t in enumerate(self.tokens)}
        if len(ids) != len(self.tokens):
            dupes = [t for t, n in Counter(self.tokens).items() if n > 1]
            raise VocabError(f"duplicate tokens in vocabulary: {dupes[:5]}")
        object.__setattr__(self, "_ids", ids)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def bos_id(self) -> int:
        return 1

    @property
    def eos_id(self) -> int:
        return 2

    @property
    def mask_id(self) -> int:
        return 3

    @property
    def sep_id(self) -> int:
        return 4

    @property
    def unk_id(self) -> int:
        return 5

    def id(self, token: str) -> int:
        """Id of ``token``; VocabError if it is not in the vocabulary."""
        try:
            return self._ids[token]
        except KeyError:
            raise VocabError(f"token {token!r} is not in the vocabulary") from None

    def encode(self, tokens: Iterable[str], *, strict: bool = True) -> list[int]:
        """Ids of ``tokens``; unknown tokens raise (strict) or map to <unk>."""
        ids = self._ids
        if strict:
            return [self.id(t) if t not in ids else ids[t] for t in tokens]
        unk = ids[UNK]
        return [ids.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``; VocabError on an id out of range."""
        n = len(self.tokens)
        out = []
        for i in ids:
            if not 0 <= int(i) < n:
                raise VocabError(f"id {i} is out of range for a vocabulary of {n} tokens")
            out.append(self.tokens[int(i)])
        return out

    def to_json(self) -> str:
        return (
            json.dumps(
                {"format": FORMAT, "version": self.version, "specials": list(SPECIALS), "tokens": list(self.tokens)},
                indent=1,
            )
            + "\n"
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the vocabulary as JSON, atomically."""
        atomic_write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocab:
        """Read a vocabulary written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise VocabError(f"cannot read vocabulary {path}: {err}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("tokens"), list):
            raise VocabError(f"{path} is not a symtok vocabulary (format {FORMAT!r} with a token list)")
        return cls(tuple(data["tokens"]), int(data.get("version", VERSION)))

    @classmethod
    def core(cls) -> Vocab:
        """The vocabulary of the token specification of this symtok version."""
        return cls(tuple(core_tokens()))

    @classmethod
    def default(cls) -> Vocab:
        """The shipped vocabulary (data/vocab.json)."""
        return _default_vocab()

    def extended(self, tokens: Iterable[str]) -> Vocab:
        """A vocabulary with ``tokens`` that are missing appended at the end (existing ids unchanged)."""
        new = [t for t in dict.fromkeys(tokens) if t not in self._ids]
        return Vocab(self.tokens + tuple(new), self.version)


@lru_cache(maxsize=1)
def _default_vocab() -> Vocab:
    return Vocab.load(data_path("vocab.json"))


def build_vocab(
    streams: Iterable[Sequence[str]], base: Vocab | None = None, min_count: int = 1
) -> tuple[Vocab, Counter[str]]:
    """Extend ``base`` (default: the core vocabulary) with tokens of ``streams`` seen ``min_count``
    times or more, most frequent first; returns the vocabulary and the token counts."""
    counts: Counter[str] = Counter()
    for stream in streams:
        counts.update(stream)
    base = base or Vocab.core()
    fresh = sorted((t for t, n in counts.items() if n >= min_count and t not in base), key=lambda t: (-counts[t], t))
    return base.extended(fresh), counts
