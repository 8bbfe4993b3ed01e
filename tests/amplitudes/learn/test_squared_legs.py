"""OffShell legs in the model input: the amplitude text alone does not fix the squared amplitude
(an OffShell external leg keeps p_i^2 = s_ii), so a model trained with ``source_legs`` reads each
row's legs from its interaction field, and predict passes them on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amplitudes.generate import process_rows
from amplitudes.learn.squared import SquaredConfig, load_squared
from amplitudes.learn.squared_data import read_pairs, row_legs, source_tokens
from amplitudes.learn.squared_predict import model_legs, predict_squared_rows, predict_texts
from amplitudes.learn.squared_train import train_squared_file
from amplitudes.physics.process import Process
from amplitudes.physics.theory import infer_theory
from amplitudes.symba import offshell_legs, process_of_interaction
from symtok import tokenize
from symtok.errors import SymtokError
from symtok.io import Row
from symtok.nn.seq2seq import Seq2SeqConfig
from symtok.nn.train import TrainConfig
from symtok.vocab import Vocab


def _rows(text: str):
    proc = Process.parse(text)
    return process_rows(proc, infer_theory(proc), mode="diagram")


def test_offshell_legs_are_read_from_the_interaction_field():
    field = "e_gam_29(X)^(*)  OffShell AntiPart e_del_3(X)  to  e_eps_36(X)  OffShell A_\\nu_39(X)"
    assert offshell_legs(field) == (2, 4)
    assert process_of_interaction(field).offshell == frozenset({2, 4})
    assert row_legs(Row(1, "e^2", "e^4", field)) == (2, 4)
    assert row_legs(Row(1, "e^2", "e^4", None)) == ()  # an amplitude alone: every leg on shell
    assert row_legs(Row(1, "e^2", "e^4", "e- a > e- a*")) == (4,)
    with pytest.raises(SymtokError, match="cannot read the leg"):
        offshell_legs("Virtual e_1(X)  e_2(X)  to  e_3(X)  e_4(X)")


def test_the_text_alone_does_not_fix_the_squared_amplitude_and_the_legs_do():
    on, off = _rows("e- a > e- a"), _rows("e- a > e- a*")
    clashes = [
        (a, b)
        for a, b in zip(on, off, strict=True)
        if tokenize(a.amplitude) == tokenize(b.amplitude)
        and tokenize(a.squared_amplitude) != tokenize(b.squared_amplitude)
    ]
    assert clashes, "the OffShell photon changes no amplitude text of e- a > e- a"
    for a, b in clashes:
        legs_a = row_legs(Row(1, a.amplitude, a.squared_amplitude, a.interaction))
        legs_b = row_legs(Row(1, b.amplitude, b.squared_amplitude, b.interaction))
        assert (legs_a, legs_b) == ((), (4,))
        assert source_tokens(a.amplitude, legs=legs_a) != source_tokens(b.amplitude, legs=legs_b)


def test_the_legs_channel_and_its_limits():
    amp = "gamma_{%\\sigma_5,%del_3,%del_9}*e_{i_1,%del_3}(p_1)_u*e^2"
    n = len(tokenize(amp))
    assert source_tokens(amp, legs=[3, 1, 3])[n:] == ["<sep>", "s_11", "s_33", "<sep>"]
    assert source_tokens(amp, legs=())[n:] == ["<sep>", "<sep>"]
    assert source_tokens(amp)[n:] == []
    with pytest.raises(SymtokError, match=r"numbered 1\.\.8"):
        source_tokens(amp, legs=[9])
    assert model_legs(False, [(1,)], 1) is None
    assert model_legs(True, None, 2) == [(), ()]


@pytest.fixture(scope="module")
def legs_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("legs")
    rows = _rows("e- a > e- a") + _rows("e- a > e- a*")
    path = tmp / "rows.txt"
    path.write_text("".join(r.symba_line() + "\n" for r in rows), encoding="utf-8")
    config = SquaredConfig(
        model=Seq2SeqConfig(dim=32, heads=4, encoder_depth=1, decoder_depth=1, max_source_len=400, max_target_len=300),
        train=TrainConfig(steps=6, batch_size=1, lr=3e-3, warmup_steps=2, progress=False),
        tokens_per_batch=4096,
        source_legs=True,
    )
    report = train_squared_file(str(path), tmp / "out", config)
    return path, report.model_dir, len(rows)


def test_a_legs_model_reads_each_rows_header(legs_model, tmp_path):
    path, model_dir, n = legs_model
    assert json.loads((model_dir / "config.json").read_text())["source_legs"] is True
    _, _, config = load_squared(model_dir)
    pairs = read_pairs(str(path), Vocab.default(), legs=True).pairs
    assert len(pairs) == n and len({p.source for p in pairs}) == n  # no two rows share an input now
    broken = tmp_path / "mixed.txt"
    good = path.read_text(encoding="utf-8").splitlines()[0]
    _, rest = good.split(" : ", 1)
    broken.write_text(good + "\nInteraction:  Virtual e_1(X)  e_2(X)  to  e_3(X)  e_4(X) : " + rest + "\n")
    out = predict_squared_rows(model_dir, str(broken))
    assert len(out) == 2 and out[0].error is None and "interaction field" in (out[1].error or "")
    assert config.source_legs


def test_onnx_reads_the_legs_like_torch(legs_model):
    _, model_dir, _ = legs_model
    amp = _rows("e- a > e- a")[1].amplitude
    for legs in ([()], [(4,)]):
        torch_out = predict_texts(model_dir, [amp], legs=legs)
        onnx_out = predict_texts(model_dir, [amp], legs=legs, backend="onnx")
        assert [p.tokens for p in torch_out] == [p.tokens for p in onnx_out]


def test_the_shipped_default_squares_qed_with_the_real_row_model_and_colour_with_the_generated_one():
    from amplitudes.learn.squared_data import default_squared_dir, has_colour
    from symtok.files import data_path

    qed = _rows("e+ e- > mu+ mu-")[0].amplitude
    qcd = _rows("u u~ > d d~")[0].amplitude
    assert not has_colour(qed) and has_colour(qcd) and not has_colour("((")
    assert default_squared_dir(qed).name == "squared-symba2025"
    assert default_squared_dir(qcd).name == default_squared_dir().name == "squared-default"
    from amplitudes.learn.squared_predict import predict_squared_one

    assert Path(predict_squared_one(None, process="e+ e- > mu+ mu-").model).name == "squared-default"
    assert Path(predict_squared_one(qed).model).name == "squared-symba2025"
    routed = predict_texts(None, [qcd, qed, "(("])
    assert len(routed) == 3 and routed[2].error
    assert routed[0].tokens == predict_texts(data_path("models", "squared-default"), [qcd])[0].tokens
    assert routed[1].tokens == predict_texts(data_path("models", "squared-symba2025"), [qed])[0].tokens
