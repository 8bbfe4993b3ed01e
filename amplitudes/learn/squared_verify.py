"""Verified decoding: of a row's beam hypotheses, the first (most probable) whose expression passes the
numeric check against the row's own amplitude (amplitudes.physics.verify.SquaredCheck: the
amplitude text's |A|^2 summed over helicities at random points), else the model's best.

Nothing here comes from training data: the check is the physics relation between an amplitude and
its squared amplitude, so it also holds on rows and processes never seen. Every returned choice
says whether it passed (``verified``), and which hypothesis it was (``rank``, 0 = the model's best).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import symtok
from amplitudes.physics.verify import SquaredCheck
from symtok.errors import SymtokError
from symtok.vocab import Vocab

if TYPE_CHECKING:  # torch-free at run time: the ONNX backend verifies too
    from symtok.nn.decode import Hypothesis


@dataclass(frozen=True)
class Choice:
    """The hypothesis a row's verified decoding returns: its ids and log-probability, its rank in the
    beam, and whether it passed the check (None: the amplitude could not be checked)."""

    ids: tuple[int, ...]
    log_prob: float
    rank: int
    verified: bool | None


def amplitude_check(amplitude: str, offshell: Sequence[int] | None = None) -> SquaredCheck | None:
    """The check of one amplitude text, or None when it cannot be checked (its process cannot be read
    from its wave functions, or it is beyond the numeric evaluator's limits)."""
    try:
        return SquaredCheck(symtok.parse(amplitude), offshell=offshell)
    except (SymtokError, RecursionError, ValueError):
        return None


def passes(vocab: Vocab, check: SquaredCheck, ids: Sequence[int]) -> bool:
    """Whether decoded ``ids`` are an expression that passes ``check``."""
    try:
        return check.accepts(symtok.detokenize(vocab.decode(list(ids))))
    except (SymtokError, RecursionError, ValueError, TypeError, ArithmeticError):
        return False  # a hypothesis that is no expression, or one the evaluator cannot take


def choose(vocab: Vocab, hypotheses: Sequence[Hypothesis], check: SquaredCheck | None) -> Choice:
    """The first hypothesis that passes ``check``; else (or with no check) the first."""
    if not hypotheses:
        return Choice((), float("-inf"), 0, None if check is None else False)
    if check is not None:
        for rank, h in enumerate(hypotheses):
            if passes(vocab, check, h.ids):
                return Choice(h.ids, h.log_prob, rank, True)
    best = hypotheses[0]
    return Choice(best.ids, best.log_prob, 0, None if check is None else False)


def choose_all(
    vocab: Vocab,
    beams: Sequence[Sequence[Hypothesis]],
    amplitudes: Sequence[str],
    offshell: Sequence[Sequence[int] | None] | None = None,
) -> list[Choice]:
    """:func:`choose` for each row (``offshell``: each row's known OffShell legs, None to read them
    from each hypothesis)."""
    if len(beams) != len(amplitudes):
        raise SymtokError(f"{len(beams)} beams for {len(amplitudes)} amplitudes")
    legs = offshell if offshell is not None else [None] * len(amplitudes)
    return [choose(vocab, b, amplitude_check(a, o)) for b, a, o in zip(beams, amplitudes, legs, strict=True)]


__all__ = ["Choice", "amplitude_check", "choose", "choose_all", "passes"]
