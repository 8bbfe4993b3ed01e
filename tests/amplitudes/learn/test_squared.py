"""The SYMBA task end to end on generated rows: read, train, publish, evaluate, predict, CLI."""

from __future__ import annotations

import csv
import json

import pytest

from amplitudes.generate import generate
from amplitudes.learn.squared import SquaredConfig, load_squared
from amplitudes.learn.squared_data import read_pairs, source_tokens
from amplitudes.learn.squared_eval import evaluate_squared_file
from amplitudes.learn.squared_predict import predict_squared_rows
from amplitudes.learn.squared_train import train_squared_file
from cli.main import run
from symtok import normalize, parse, to_string, tokenize
from symtok.io import Row, read_rows
from symtok.nn.seq2seq import Seq2SeqConfig
from symtok.nn.train import TrainConfig
from symtok.vocab import Vocab

PROCESSES = ["e+ e- > mu+ mu-", "e- mu- > e- mu-", "e+ e- > a a", "e- a > e- a"]


@pytest.fixture(scope="module")
def rows_csv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("squared")
    raw = tmp / "rows.txt"
    generate("qed", raw, processes=PROCESSES, mode="diagram", progress=False)
    rows = [r for r in read_rows(str(raw)) if isinstance(r, Row)]
    path = tmp / "rows.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["amp", "sqamp"])
        for r in rows:
            writer.writerow([r.amplitude, r.squared_amplitude])
        writer.writerow(["gamma_{%\\sigma_1", "e^2"])  # unreadable amplitude
        writer.writerow(["e^2*s_12", "(("])  # unreadable squared amplitude
    return path, len(rows)


@pytest.fixture(scope="module")
def trained(rows_csv, tmp_path_factory):
    path, _ = rows_csv
    out = tmp_path_factory.mktemp("model")
    config = SquaredConfig(
        model=Seq2SeqConfig(dim=32, heads=4, encoder_depth=1, decoder_depth=1, max_source_len=400, max_target_len=300),
        train=TrainConfig(steps=20, batch_size=1, lr=3e-3, warmup_steps=2, progress=False),
        tokens_per_batch=4096,
    )
    report = train_squared_file(str(path), out, config, valid_path=str(path))
    return out, report


def test_rows_in_equal_pairs_plus_errors(rows_csv):
    path, n = rows_csv
    data = read_pairs(path, Vocab.default())
    assert len(data.pairs) == n and len(data.errors) == 2
    assert sorted(e.line for e in data.errors) == [n + 2, n + 3]
    short = read_pairs(path, Vocab.default(), max_target_len=20)
    assert len(short.pairs) + len(short.errors) == n + 2
    assert any("exceed the limits" in e.reason for e in short.errors)


def test_source_tokens_are_canonical_and_the_order_channel_is_name_free():
    a = "gamma_{%\\sigma_5,%del_3,%del_9}*e_{i_1,%del_3}(p_1)_u*e^2"
    b = "gamma_{%\\mu_1,%del_7,%del_2}*e_{i_1,%del_7}(p_1)_u*e^2"
    assert source_tokens(a) == tokenize(a) == source_tokens(b)
    with_order = source_tokens(a, order=True)
    assert with_order[: len(tokenize(a))] == tokenize(a) and with_order[len(tokenize(a))] == "<sep>"
    # the ranks depend on how the names are ordered, not on the names
    renamed = a.replace("del_3", "del_4").replace("del_9", "del_8")
    assert source_tokens(renamed, order=True) == with_order


def test_training_publishes_a_model_with_its_held_out_metrics(trained, rows_csv):
    out, report = trained
    _, n = rows_csv
    assert report.pairs == n and report.errors == 2
    assert len((out / "errors.jsonl").read_text().splitlines()) == 2
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    valid = metrics["valid"]
    assert valid["rows"] == n and 0.0 <= valid["exact_match"] <= valid["equivalent"] <= 1.0
    assert valid["valid"] == 1.0  # constrained decoding: every output is an expression
    assert not (out / "model" / "optimizer.safetensors").exists()
    _model, vocab, config = load_squared(out / "model")
    assert config.model.dim == 32 and len(vocab) == config.model.vocab_size


def test_evaluate_writes_metrics_rows_and_a_plot(trained, rows_csv, tmp_path):
    out, _ = trained
    path, n = rows_csv
    metrics = evaluate_squared_file(out / "model", str(path), beam=2, seen_path=str(path), out_dir=tmp_path)
    assert metrics["rows"] == n and metrics["errors"] == 2 and metrics["unseen_rows"] == 0
    assert sum(b["rows"] for b in metrics["by_length"]) == n
    assert len((tmp_path / "rows.jsonl").read_text().splitlines()) == n
    assert (tmp_path / "by_length.png").stat().st_size > 1000


def test_verified_decoding_returns_checked_outputs_and_never_loses_an_equivalent_row(trained, rows_csv, tmp_path):
    """Two independent numerics agree: an output that passes the check against the amplitude text is
    equal to the row's own squared amplitude at physical points; and re-ranking only ever gains rows."""
    out, _ = trained
    path, n = rows_csv
    plain = evaluate_squared_file(out / "model", str(path), beam=3)
    verified = evaluate_squared_file(out / "model", str(path), beam=3, verify=True, out_dir=tmp_path)
    assert verified["verify"] and verified["uncheckable"] == 0
    rows = [json.loads(x) for x in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == n and all(r["verified"] is not None for r in rows)
    assert all(r["physical"] for r in rows if r["verified"])  # passed the check: equal to the reference on phase space
    assert all(r["physical"] for r in rows if r["equivalent"])  # equal as expressions: equal on phase space
    assert verified["phase_space_rows"] == n and verified["phase_space_equal"] >= verified["equivalent"]
    assert all(isinstance(r["rank"], int) and 0 <= r["rank"] < 3 for r in rows)
    assert all(isinstance(r["physical"], bool) for r in rows)
    assert sum(r["rank"] > 0 for r in rows) == verified["reranked"]
    assert verified["equivalent"] >= plain["equivalent"]
    assert verified["verified"] == sum(r["verified"] for r in rows) / n


def test_predict_rows_gives_every_row_a_prediction_or_an_error(trained, rows_csv):
    out, _ = trained
    path, n = rows_csv
    rows = predict_squared_rows(out / "model", str(path))
    assert [r.line for r in rows] == list(range(2, n + 4))
    errors = [r for r in rows if r.error]
    assert len(errors) == 2
    for r in rows:
        if r.error is None:
            parse(r.squared_amplitude)  # a valid expression, compared with the row's own
            assert r.equivalent is not None and r.exact_match is not None


def test_the_cli_predicts_expressions_and_counts(trained, rows_csv, capsys):
    out, _ = trained
    path, n = rows_csv
    amplitude = next(r for r in read_rows(str(path)) if isinstance(r, Row)).amplitude
    assert run(["predict", "--model", str(out / "model"), "--", amplitude]) == 0
    captured = capsys.readouterr()
    parse(captured.out.strip())
    assert "verified" in captured.err  # verified decoding is the default and says its verdict
    assert run(["predict", "--model", str(out / "model"), "--", "e^2*s_12"]) == 0
    assert "not checked" in capsys.readouterr().err  # no wave functions: nothing to check against
    code = run(["predict", "--model", str(out / "model"), "--file", str(path), "--json"])
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines() if x.strip()]
    assert code == 0 and len(lines) == n + 2
    assert sum("error" in x for x in lines) == 2 and all("equivalent" in x for x in lines if "error" not in x)
    assert all(isinstance(x["verified"], bool) for x in lines if "error" not in x)  # --verify is the default
    assert f"{n + 2} rows: {n} predicted, 2 errors" in captured.err


def test_bad_models_and_inputs_are_one_line_errors(trained, tmp_path, capsys):
    out, _ = trained
    assert run(["predict", "--model", str(tmp_path), "e^2"]) == 2  # no model there
    assert "error:" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in (out / "model").iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "model.safetensors").write_bytes(b"\0" * 100)
    assert run(["predict", "--model", str(broken), "e^2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    long_amplitude = "+".join(f"x{i}" for i in range(300))
    assert run(["predict", "--model", str(out / "model"), long_amplitude]) == 2
    assert "longer than the model's maximum" in capsys.readouterr().err


def test_onnx_backend_predicts_like_torch_without_importing_torch(trained, rows_csv):
    import subprocess
    import sys

    out, _ = trained
    path, _ = rows_csv
    model_dir = out / "model"
    assert run(["export", "onnx", "--model", str(model_dir), "-o", str(model_dir)]) == 0
    torch_rows = predict_squared_rows(model_dir, str(path))
    code = (
        "import sys, json; from amplitudes.learn.squared_predict import predict_squared_rows; "
        f"rows = predict_squared_rows({str(model_dir)!r}, {str(path)!r}, backend='onnx'); "
        "print(json.dumps([[r.line, r.squared_amplitude, r.error] for r in rows])); "
        f"rows = predict_squared_rows({str(model_dir)!r}, {str(path)!r}, beam=3, backend='onnx', verify=True); "
        "print(json.dumps([[r.line, r.squared_amplitude, r.verified] for r in rows])); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "False"  # verified beam search included: onnxruntime and numpy only
    assert json.loads(lines[0]) == [[r.line, r.squared_amplitude, r.error] for r in torch_rows]
    torch_beam = predict_squared_rows(model_dir, str(path), beam=3)
    onnx_beam = predict_squared_rows(model_dir, str(path), beam=3, backend="onnx")
    assert [(r.squared_amplitude, r.error) for r in onnx_beam] == [(r.squared_amplitude, r.error) for r in torch_beam]
    # verified decoding re-ranks the same hypotheses the same way on both backends
    torch_verified = predict_squared_rows(model_dir, str(path), beam=3, verify=True)
    assert json.loads(lines[1]) == [[r.line, r.squared_amplitude, r.verified] for r in torch_verified]
    assert any(r.verified is not None for r in torch_verified)


def test_exact_compares_with_the_generator(trained, capsys):
    out, _ = trained
    assert run(["predict", "--model", str(out / "model"), "--process", "e+ e- > mu+ mu-", "--exact", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data["equivalent"], bool) and parse(data["exact"]) is not None
    from amplitudes.learn.squared_predict import generator_squared

    generated = out / "one.txt"
    generate("qed", generated, processes=["e- mu- > e- mu-"], mode="diagram", progress=False)
    first = next(r for r in read_rows(str(generated)) if isinstance(r, Row))
    renamed = to_string(normalize(parse(first.amplitude)))  # another naming of the same diagram
    assert renamed != first.amplitude
    assert tokenize(generator_squared(renamed)) == tokenize(first.squared_amplitude)


def test_predict_rows_at_a_point_never_stop_on_a_row(trained, tmp_path):
    """Rows below threshold at the point keep their prediction and get value_error; the others get
    the prediction's value, the row's own value and the relative difference, computed independently."""
    from amplitudes.learn.predict import evaluate_expression
    from symtok.files import data_path

    out, _ = trained
    text = data_path("examples", "qed_rows.txt").read_text()
    first = text.splitlines()[0]
    top_pair = first.replace("mu_", "tt_").replace("m_mu", "m_tt").replace("mu(", "tt(")  # e+ e- > top pair
    path = tmp_path / "rows.txt"
    path.write_text(text + top_pair + "\n")
    rows_in = [r for r in read_rows(str(path)) if isinstance(r, Row)]
    sqrt_s = 3.0  # above the muon-pair threshold, below the top pair's
    rows = predict_squared_rows(out / "model", str(path), point=(sqrt_s, 0.3))
    assert len(rows) == len(rows_in)
    below = [r for r in rows if r.value_error]
    assert below and all("threshold" in r.value_error and r.squared_amplitude for r in below)
    valued = [r for r in rows if r.prediction is not None]
    assert valued and len(valued) + len(below) == len(rows)
    for r in valued:
        src = next(x for x in rows_in if x.line == r.line)
        own = evaluate_expression(src.amplitude, src.squared_amplitude, sqrt_s, 0.3)
        assert r.exact == own and r.rel_error == pytest.approx(abs(r.prediction - own) / abs(own))


def test_the_squared_trainer_under_torchrun_matches_one_process(tmp_path):
    """2 gloo processes, each with half the rows of every batch, give the 1-process weights (the
    per-token mean is over both ranks' tokens, and gradients go through DDP)."""
    import torch
    from safetensors.torch import load_file

    from tests.squared_fixtures import tiny_squared_run
    from tests.torchrun import torchrun

    single = tiny_squared_run(str(tmp_path / "single"))
    out = tmp_path / "ddp.safetensors"
    result = torchrun("tests.ddp_squared_worker", str(out), str(tmp_path / "ddp"), port=29519)
    assert result.returncode == 0, result.stderr[-3000:]
    ddp = load_file(str(out))
    for name, value in single.state_dict().items():
        # a key bias shifts every score of a query equally, so softmax gives it a zero true gradient:
        # Adam turns the float noise of the two reductions into full-size steps (measured 1.3e-4)
        atol = 5e-4 if name.endswith("kv.bias") else 1e-5
        torch.testing.assert_close(ddp[name], value, rtol=1e-4, atol=atol, msg=name)


def test_teacher_forced_exact_match_is_greedy_decodings(trained, rows_csv):
    """A row every token of which is the argmax given the true prefix is the greedy decoding, so
    label-efficiency studies read greedy exact match without decoding."""
    from dataclasses import replace

    from amplitudes.learn.squared import decode_ids
    from amplitudes.learn.squared_eval import teacher_forced

    out, _ = trained
    model, vocab, _ = load_squared(out / "model")
    pairs = read_pairs(rows_csv[0], vocab, max_source_len=400, max_target_len=300).pairs[:12]
    limit = 60
    greedy = [
        ids for ids, _ in decode_ids(model, [p.source for p in pairs], max_length=limit, constrained=False, vocab=vocab)
    ]
    ended = [len(ids) < limit for ids in greedy]  # greedy stopped with <eos> before the limit
    # fed its own greedy tokens, every argmax is the next greedy token; <eos> follows only where it stopped
    accuracy, right = teacher_forced(
        model, [replace(p, target=tuple(ids)) for p, ids in zip(pairs, greedy, strict=True)]
    )
    assert right == ended
    expected = (sum(map(len, greedy)) + sum(ended)) / sum(len(ids) + 1 for ids in greedy)
    assert accuracy == pytest.approx(expected)
    _, right = teacher_forced(model, pairs)
    assert right == [p.target == tuple(ids) for p, ids in zip(pairs, greedy, strict=True)]
    changed = [replace(p, target=(*ids[:-1], (ids[-1] + 1) % len(vocab))) for p, ids in zip(pairs, greedy, strict=True)]
    assert teacher_forced(model, changed)[0] < accuracy


def test_an_encoder_initialises_from_a_trained_models_encoder_alone(trained):
    """The label-efficiency ablation's ``supervised`` arm: the encoder (and the token embedding the
    decoder shares) comes from a trained model, the decoder blocks stay fresh; a model of another
    shape is refused with the keys that do not fit."""
    import torch

    from amplitudes.learn.squared import KIND
    from symtok.nn.checkpoint import CheckpointError, load_submodule
    from symtok.nn.seq2seq import Seq2Seq

    out, _ = trained
    source, _, config = load_squared(out / "model")
    fresh = Seq2Seq(replace_seed(config.model, 7))
    decoder_before = {k: v.clone() for k, v in fresh.state_dict().items() if not k.startswith("encoder.")}
    load_submodule(fresh.encoder, out / "model", KIND, "encoder.")
    for key, value in source.encoder.state_dict().items():
        assert torch.equal(fresh.encoder.state_dict()[key], value.cpu())
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in decoder_before.items())
    other = Seq2Seq(Seq2SeqConfig(dim=16, heads=2, encoder_depth=2, decoder_depth=1))
    with pytest.raises(CheckpointError):
        load_submodule(other.encoder, out / "model", KIND, "encoder.")


def replace_seed(config: Seq2SeqConfig, seed: int) -> Seq2SeqConfig:
    from dataclasses import replace

    return replace(config, seed=seed)
