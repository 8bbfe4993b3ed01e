"""Verified decoding: of a row's hypotheses, the first that passes the numeric check against the
row's own amplitude, else the model's best; each choice says whether it passed."""

from __future__ import annotations

from amplitudes.generate import process_rows
from amplitudes.learn.squared_verify import Choice, amplitude_check, choose, choose_all
from amplitudes.physics.process import Process
from symtok import parse, to_string, tokenize
from symtok.nn.decode import Hypothesis
from symtok.vocab import Vocab

VOCAB = Vocab.default()


def hypothesis(text: str, log_prob: float = -1.0) -> Hypothesis:
    return Hypothesis(tuple(VOCAB.encode(tokenize(text))), log_prob, True)


def generated(process: str = "e- a > e- a*"):
    return process_rows(Process.parse(process), "qed", mode="diagram")


def test_the_first_hypothesis_that_passes_is_chosen():
    row = generated()[0]
    wrong = f"2*({row.squared_amplitude})"
    beams = [hypothesis(wrong, -0.1), hypothesis(row.squared_amplitude, -0.5), hypothesis(row.squared_amplitude, -0.9)]
    check = amplitude_check(row.amplitude, (4,))
    assert check is not None
    choice = choose(VOCAB, beams, check)
    assert choice == Choice(beams[1].ids, -0.5, 1, True)
    # nothing passes: the model's best, marked as not verified
    assert choose(VOCAB, beams[:1], check) == Choice(beams[0].ids, -0.1, 0, False)
    # no check: the model's best, unmarked
    assert choose(VOCAB, beams, None) == Choice(beams[0].ids, -0.1, 0, None)


def test_a_hypothesis_that_is_no_expression_is_passed_over():
    row = generated()[0]
    broken = Hypothesis(tuple(VOCAB.encode(["add"])), -0.01, True)  # an operator without operands
    choice = choose(VOCAB, [broken, hypothesis(row.squared_amplitude)], amplitude_check(row.amplitude))
    assert choice.rank == 1 and choice.verified


def test_rows_whose_amplitude_cannot_be_checked_keep_the_best_unmarked():
    beams = [[hypothesis("e^2*s_12")], [hypothesis("e^4")]]
    choices = choose_all(VOCAB, beams, ["e^2*s_12", "gamma_{%\\sigma_1"])  # no wave functions; unreadable
    assert [c.verified for c in choices] == [None, None] and [c.rank for c in choices] == [0, 0]
    assert amplitude_check("e^2*s_12") is None


def test_known_legs_decide_between_on_and_off_shell_squares():
    """The same diagram text with leg 4 on and off shell: given the legs, only the right square passes."""
    off = next(r for r in generated() if "s_44" in r.squared_amplitude)
    on = parse(off.squared_amplitude).subs(parse("s_44"), 0)  # the photon on shell
    beams = [hypothesis(to_string(on), -0.1), hypothesis(off.squared_amplitude, -0.2)]
    assert choose(VOCAB, beams, amplitude_check(off.amplitude, (4,))).rank == 1
    assert choose(VOCAB, beams, amplitude_check(off.amplitude, ())).rank == 0
