"""The typer CLI, driven through CliRunner: every command, stdin, and errors with exit code 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.main import app
from symtok import Vocab, tokenize

runner = CliRunner()
AMP = r"-1/2*i*e^2*gamma_{+%\sigma_1,%gam_2,%del_3}*gamma_{%\sigma_1,%gam_4,%del_5}*e_{k_1,%del_5}(p_1)_u*e_{l_1,%gam_4}(p_2)_v^(*)*mu_{i_2,%gam_2}(p_3)_u^(*)*mu_{j_2,%del_3}(p_4)_v/(m_e^2 + s_12 + 1/2*reg_prop)"


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_tokenize_tokens_ids_and_json():
    tokens = tokenize(AMP)
    assert run("tokenize", AMP).stdout.split() == tokens
    assert run("tokenize", AMP, "--ids").stdout.split() == [str(i) for i in Vocab.default().encode(tokens)]
    data = json.loads(run("tokenize", AMP, "--json").stdout)
    assert data["tokens"] == tokens


def test_tokenize_steps_shows_every_stage():
    result = run("tokenize", AMP, "--steps")
    assert result.exit_code == 0
    for title in ("parse tree (Lark)", "SymPy", "renaming", "normalized", "prefix tokens", "ids"):
        assert title in result.stdout
    assert "\\sigma_1 (lorentz) -> \\mu_0" in result.stdout


def test_stdin_dash():
    assert run("tokenize", "-", input="e^2*s_12\n").stdout.split() == tokenize("e^2*s_12")


def test_detokenize_and_normalize():
    tokens = tokenize(AMP)
    text = run("detokenize", *tokens).stdout.strip()
    assert tokenize(text) == tokens
    ids = [str(i) for i in Vocab.default().encode(tokens)]
    assert run("detokenize", "--ids", *ids).stdout.strip() == text
    assert run("normalize", AMP).stdout.strip() == text


def test_roundtrip_expression_and_file(tmp_path):
    assert run("roundtrip", AMP).stdout.startswith("ok")
    path = tmp_path / "lines.txt"
    path.write_text("e^2*s_12\n" + AMP + "\n")
    result = run("roundtrip", "--file", str(path))
    assert result.exit_code == 0 and "2/2 expressions" in result.stdout


def test_roundtrip_fails_with_exit_1_on_mismatch(tmp_path):
    small = Vocab(Vocab.default().tokens[:20])  # lacks most tokens: ids must fail
    small.save(tmp_path / "small.json")
    result = run("roundtrip", AMP, "--vocab", str(tmp_path / "small.json"))
    assert result.exit_code == 1 and "FAIL" in result.stdout


def test_parse_error_exits_2_without_traceback():
    result = run("tokenize", "gamma_{%a}")
    assert result.exit_code == 2
    assert "error: line 1, column 1: gamma takes 3 indices" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_token_error_exits_2():
    result = run("detokenize", "add", "e")
    assert result.exit_code == 2 and "needs 2 operands" in result.stderr


def test_encode_command(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("e^2*s_12\n(\n")
    result = run("encode", str(path), "-o", str(tmp_path / "o.parquet"), "--no-progress")
    assert result.exit_code == 0
    assert "rows in 2 = written 1 + errors 1" in result.stdout


def test_vocab_build_and_show(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("e^2*s_12\n")
    out = tmp_path / "v.json"
    result = run("vocab", "build", str(path), "-o", str(out))
    assert result.exit_code == 0 and Vocab.load(out) == Vocab.core()
    shown = run("vocab", "show", str(out), "--limit", "8")
    assert "734 tokens" in shown.stdout and "<pad>" in shown.stdout


def test_demo_proves_the_shipped_examples():
    result = run("demo")
    assert result.exit_code == 0, result.stdout
    assert "all round trips hold" in result.stdout


def test_amplitudes_commands():
    listed = run("amplitudes", "list", "--theory", "qcd", "--json")
    rows = json.loads(listed.stdout)
    assert any(r["process"] == "g g > g g" and len(r["diagrams"]) == 4 for r in rows)
    shown = run("amplitudes", "show", "u u~ > g g")
    assert shown.exit_code == 0 and "t-channel u exchange" in shown.stdout
    me2 = json.loads(
        run(
            "amplitudes", "me2", "e+ e- > mu+ mu-", "--sqrt-s", "10", "--cos-theta", "0.5", "--massless", "--json"
        ).stdout
    )
    # massless: 2 (t^2 + u^2) / s^2 with s = 100, t = -25, u = -75
    assert abs(me2["me2"] - 1.25) < 1e-9
    bad = run("amplitudes", "me2", "e+ e- > mu+ mu-", "--sqrt-s", "0.1", "--cos-theta", "0.5")
    assert bad.exit_code == 2 and "threshold" in bad.stderr


def test_amplitudes_commands_at_2to3(tmp_path):
    listed = json.loads(run("amplitudes", "list", "--theory", "mixed", "--legs", "2to3", "--json").stdout)
    assert any(r["process"] == "e- e+ > u u~ g" and len(r["diagrams"]) == 2 for r in listed)
    shown = run("amplitudes", "show", "e+ e- > mu+ mu- a")
    assert shown.exit_code == 0 and shown.stdout.count("diagram ") == 4
    qcd = json.loads(run("amplitudes", "list", "--theory", "qcd", "--legs", "2to3", "--json").stdout)
    ggg = next(r for r in qcd if r["process"] == "u u~ > g g g")  # one diagram through the four-gluon vertex
    assert len(ggg["diagrams"]) == 16 and "[(1 2)→g 3 4 5]" in ggg["diagrams"]
    five = json.loads(run("amplitudes", "me2", "g g > g g g", "--sqrt-s", "100", "--json").stdout)
    assert five["rel_difference"] is None and five["me2"] == five["me2_numeric"] > 0  # numeric only
    result = json.loads(run("amplitudes", "me2", "e+ e- > mu+ mu- a", "--sqrt-s", "20", "--seed", "3", "--json").stdout)
    assert len(result["momenta"]) == 5 and result["rel_difference"] < 1e-9 and result["me2"] > 0
    again = json.loads(run("amplitudes", "me2", "e+ e- > mu+ mu- a", "--sqrt-s", "20", "--seed", "3", "--json").stdout)
    assert again["momenta"] == result["momenta"]
    for args in (
        ("amplitudes", "me2", "e+ e- > mu+ mu- a", "--sqrt-s", "20", "--cos-theta", "0.1"),
        ("amplitudes", "me2", "e+ e- > mu+ mu-", "--sqrt-s", "20"),
        ("amplitudes", "me2", "e+ e- > mu+ mu- a*", "--sqrt-s", "20"),
        ("amplitudes", "generate", "-o", str(tmp_path / "x.txt"), "--legs", "2to4"),
        ("amplitudes", "corpus", "-o", str(tmp_path / "c"), "--legs", "3to3"),
        ("amplitudes", "corpus", "-o", str(tmp_path / "d"), "--offshell-max", "1"),
    ):
        bad = run(*args)
        assert bad.exit_code == 2 and bad.stderr.startswith("error:") and len(bad.stderr.strip().splitlines()) == 1, (
            args
        )
    rows = tmp_path / "rows.txt"
    made = run("amplitudes", "generate", "-p", "e+ e- > mu+ mu- a*", "-o", str(rows), "--no-progress")
    assert made.exit_code == 0 and len(rows.read_text().splitlines()) == 4
    checked = run("amplitudes", "check-symba", str(rows), "--no-progress")
    assert checked.exit_code == 0 and "4/4 rows match" in checked.stdout


def test_files_with_a_byte_order_mark_are_read(tmp_path):
    for encoding in ("utf-16", "utf-16-be", "utf-8-sig"):
        path = tmp_path / f"{encoding}.txt"
        text = f"{AMP}\ne^2*s_12\n"
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        path.write_bytes(data)
        result = run("roundtrip", "--file", str(path))
        assert result.exit_code == 0, (encoding, result.output)
        assert "2/2 expressions round-trip" in result.stdout


def test_bad_input_to_roundtrip_and_a_point_out_of_range_exit_2():
    bad = run("roundtrip", "gamma_{")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: line 1, column 8")
    from amplitudes.learn.predict import default_model_dir

    for option, value in (("--sqrt-s", "1e308"), ("--sqrt-s", "nan"), ("--cos-theta", "1.5")):
        result = run("predict", "--model", str(default_model_dir()), "--process", "e+ e- > mu+ mu-", option, value)
        assert result.exit_code == 2 and "error:" in result.stderr, (option, value, result.output)


PREFIX_2022 = (
    "Prod,-1,Prod,i,Prod,e,Prod,gamma,alpha_2,alpha_0,alpha_1,Prod,A^(*),i_2,alpha_2,(p_3),"
    "Prod,mu,i_0,alpha_1,(p_1)_u,mu^(*),i_1,alpha_0,(p_2)_u"
)


def test_every_symba_form_tokenizes_and_converts(tmp_path):
    from symtok import parse

    sympy_text = "-4*e**2*(2*m_mu**2 - s_12)"
    assert run("tokenize", "--", sympy_text).stdout.split() == tokenize(sympy_text)
    assert run("tokenize", PREFIX_2022).stdout.split() == tokenize(PREFIX_2022)
    forced = run("tokenize", "--form", "marty", PREFIX_2022)
    assert forced.exit_code == 2 and forced.stderr.startswith("error: line 1, column 5")
    src = tmp_path / "mixed.txt"
    src.write_text(f"{sympy_text}\n{PREFIX_2022}\nProd,e\n")
    result = run("convert", str(src), "--to", "marty")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [parse(line) for line in lines] == [parse(sympy_text), parse(PREFIX_2022)]
    assert "rows in 3 = written 2 + errors 1" in result.stderr
    assert '"line": 3' in result.stderr  # the bad row, as a JSON line, when writing to stdout
    out = tmp_path / "out.txt"
    assert run("convert", str(src), "--to", "sympy", "-o", str(out)).exit_code == 0
    assert len((tmp_path / "out.txt.errors.jsonl").read_text().splitlines()) == 2
    assert run("convert", str(tmp_path / "missing.txt"), "--to", "sympy").exit_code == 2
    bad = tmp_path / "bad.txt"
    bad.write_text("Prod,e\n")
    assert run("convert", str(bad), "--to", "marty").exit_code == 1


def test_predict_method_regression_uses_the_surrogate():
    from symtok.files import data_path

    result = run("predict", "--method", "regression", "--process", "e+ e- > mu+ mu-", "--sqrt-s", "9", "--exact")
    assert result.exit_code == 0 and "predicted |M|^2 = " in result.stdout and "relative error" in result.stdout
    squared = str(data_path("models", "squared-symba2025"))
    bad = run("predict", "--method", "regression", "--model", squared, "--process", "e+ e- > mu+ mu-")
    assert bad.exit_code == 2 and "needs an amplitude-regressor model" in bad.stderr


def test_inference_commands_take_device_and_precision(tmp_path):
    import pytest

    torch = pytest.importorskip("torch")
    from symtok.files import data_path

    rows = str(data_path("examples", "qed_rows.txt"))
    ok = run("amplitudes", "squared", "evaluate", rows, "--precision", "bf16", "--no-progress", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] == 1.0  # constrained decoding, in bf16
    if not torch.cuda.is_available():
        missing = run("predict", "--device", "cuda", "--process", "e+ e- > mu+ mu-")
        assert missing.exit_code == 2 and "no CUDA GPU" in missing.stderr
    args = ("predict", "--method", "regression", "--process", "e+ e- > mu+ mu-", "--sqrt-s", "9", "--json")
    full, reduced = json.loads(run(*args).stdout), json.loads(run(*args, "--precision", "bf16").stdout)
    assert reduced["prediction"] == pytest.approx(full["prediction"], rel=0.1)  # the surrogate in bf16
    onnx = run(*args, "--backend", "onnx", "--precision", "bf16")
    assert onnx.exit_code == 2 and "onnxruntime on the CPU" in onnx.stderr
