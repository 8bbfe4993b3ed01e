"""Proof that nothing is lost: every round trip of the pipeline checked on one expression or a file."""

from __future__ import annotations

from dataclasses import dataclass, field

from symtok.indices import Index
from symtok.io import BadRow, read_rows
from symtok.normalize import normalize_indices
from symtok.parse import parse
from symtok.prefix import decode, encode
from symtok.printer import to_string
from symtok.tokens import UNK
from symtok.vocab import Vocab


@dataclass(frozen=True)
class RoundTrip:
    """Outcome of every check on one expression; ``failure`` is None when all hold."""

    text: str
    n_tokens: int
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def check_roundtrip(text: str, vocab: Vocab | None = None, *, form: str = "auto") -> RoundTrip:
    """Check parse∘to_string, normalize idempotence and renaming, decode∘encode, encode∘decode and ids."""
    vocab = vocab or Vocab.default()
    try:
        expr = parse(text, form=form)
        if parse(to_string(expr), form="marty") != expr:
            return RoundTrip(text, 0, "parse(to_string(x)) != x")
        canonical, renaming = normalize_indices(expr)
        if normalize_indices(canonical)[0] != canonical:
            return RoundTrip(text, 0, "normalize is not idempotent")
        if len({(kind, new) for (_, kind), new in renaming.items()}) != len(renaming):
            return RoundTrip(text, 0, "normalize renaming is not a bijection")
        relabel = {i: i.with_name(renaming[i.key]) for i in expr.atoms(Index)}
        if expr.xreplace(relabel) != canonical:
            return RoundTrip(text, 0, "normalize changed more than index names")
        tokens = encode(canonical)
        if decode(tokens) != canonical:
            return RoundTrip(text, len(tokens), "decode(encode(x)) != x")
        if encode(decode(tokens)) != tokens:
            return RoundTrip(text, len(tokens), "encode(decode(t)) != t")
        ids = vocab.encode(tokens, strict=False)
        if vocab.unk_id in ids:
            missing = sorted({t for t in tokens if t not in vocab})
            return RoundTrip(text, len(tokens), f"{UNK} for tokens {missing[:5]}")
        if vocab.decode(ids) != tokens:
            return RoundTrip(text, len(tokens), "vocab.decode(vocab.encode(t)) != t")
        return RoundTrip(text, len(tokens), None)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as err:  # SymtokError, or anything unforeseen: this expression's failure, never fatal
        return RoundTrip(text, 0, f"{type(err).__name__}: {err}")


@dataclass
class RoundTripReport:
    """Counts over a file: every expression is either proven or listed with its failure."""

    expressions: int = 0
    passed: int = 0
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)
    max_tokens: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.expressions > 0


def roundtrip_file(path: str, fmt: str = "auto", vocab: Vocab | None = None, *, form: str = "auto") -> RoundTripReport:
    """Check every expression (amplitudes and squared amplitudes) of a dataset file."""
    vocab = vocab or Vocab.default()
    report = RoundTripReport()
    for row in read_rows(path, fmt):
        if isinstance(row, BadRow):
            report.expressions += 1
            report.failures.append((row.line, "row", row.reason))
            continue
        for name in ("amplitude", "squared_amplitude"):
            text = getattr(row, name)
            if text is None:
                continue
            report.expressions += 1
            result = check_roundtrip(text, vocab, form=form)
            report.max_tokens = max(report.max_tokens, result.n_tokens)
            if result.ok:
                report.passed += 1
            else:
                report.failures.append((row.line, name, result.failure or ""))
    return report
