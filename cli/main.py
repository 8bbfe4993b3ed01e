"""The ``symtok`` typer app: each command parses options, calls one library function, renders."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from symtok.errors import SymtokError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class SymtokGroup(TyperGroup):
    """The one place the CLI catches SymtokError: message on stderr, no traceback, exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SymtokError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=SymtokGroup,
    help="symtok: MARTY/SYMBA amplitudes to canonical, reversible ML tokens.",
    no_args_is_help=True,
    add_completion=False,
)
vocab_app = typer.Typer(help="Build and inspect token vocabularies.", no_args_is_help=True)
app.add_typer(vocab_app, name="vocab")
amplitudes_app = typer.Typer(help="Tree-level 2->2 QED/QCD processes, diagrams and |M|^2.", no_args_is_help=True)
app.add_typer(amplitudes_app, name="amplitudes")
jets_app = typer.Typer(help="Jet datasets (Pythia8 + FastJet).", no_args_is_help=True)
app.add_typer(jets_app, name="jets")


@jets_app.command("generate")
def jets_generate(
    kind: Annotated[str, typer.Option(help="qg (quark/gluon, R = 0.4) | top (top tagging, R = 0.8)")],
    n: Annotated[int, typer.Option("--n", help="jets, half of each label")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file")],
    workers: Annotated[int, typer.Option("--workers", "-j", min=1)] = 1,
    seed: Annotated[int, typer.Option()] = 0,
    append: Annotated[bool, typer.Option("--append", help="add new seeded chunks to an existing file")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Generate labelled jets with the published recipes; constituents as Parquet list columns."""
    from jets.generate import generate_jets

    report = generate_jets(kind, n, output, workers=workers, seed=seed, append=append, progress=progress)
    out.print(
        f"{report.jets} jets in {report.seconds:.1f} s ({report.jets_per_second:.1f} jets/s)"
        + (f", {report.resumed_chunks} chunks from an interrupted run" if report.resumed_chunks else "")
        + f"; {report.written} in {report.output}",
        markup=False,
    )


@jets_app.command("pretrain")
def jets_pretrain(
    data: Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate` (labels unused)")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run directory (checkpoint/, metrics.jsonl, loss.png)")
    ],
    steps: Annotated[int, typer.Option(min=1)] = 200,
    lr: Annotated[float, typer.Option(min=0.0)] = 1e-3,
    pid: Annotated[bool, typer.Option("--pid", help="add particle-type one-hots and charge")] = False,
    max_constituents: Annotated[
        int, typer.Option("--max-constituents", min=1, help="hardest constituents kept per jet")
    ] = 128,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Jet JEPA on the training split: whole C/A subjets are the targets, their axes the predictor's hints."""
    import pyarrow.parquet as pq

    from jets.features import FeatureConfig
    from jets.report import split
    from jets.task import TaggerConfig, pretrain_jepa
    from symtok.nn.train import TrainConfig

    train, _ = split(list(pq.read_table(data).to_pandas().itertuples()), 0.25, 0)
    ckpt = pretrain_jepa(
        train,
        TaggerConfig(features=FeatureConfig(max_constituents=max_constituents, use_pid=pid)),
        TrainConfig(
            steps=steps,
            batch_size=min(64, len(train)),
            lr=lr,
            warmup_steps=max(1, steps // 20),
            log_every=max(1, steps // 20),
            seed=seed,
            progress=True,
        ),
        output,
    )
    out.print(
        f"{len(train)} jets; jet JEPA checkpoint at {ckpt} (use with `symtok jets finetune --pretrained`)", markup=False
    )


@jets_app.command("finetune")
def jets_finetune(
    data: Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate`")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Tagger checkpoint directory")],
    label_fraction: Annotated[float, typer.Option("--label-fraction", min=0.01, max=1.0)] = 1.0,
    steps: Annotated[int, typer.Option(min=1)] = 600,
    attention: Annotated[str | None, typer.Option(help="fast | softmax (default: fast, or the pretrained one)")] = None,
    pid: Annotated[bool, typer.Option("--pid", help="add particle-type one-hots and charge")] = False,
    max_constituents: Annotated[
        int, typer.Option("--max-constituents", min=1, help="hardest constituents kept per jet")
    ] = 128,
    pretrained: Annotated[
        Path | None,
        typer.Option(help="jet JEPA checkpoint (`symtok jets pretrain`); the tagger takes its configuration"),
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Train the Encoder tagger on 75% of the jets (a seeded fraction of them); test metrics on the rest."""
    import pyarrow.parquet as pq

    from jets.features import FeatureConfig
    from jets.report import split
    from jets.task import (
        JetTagger,
        TaggerConfig,
        evaluate,
        load_pretrained,
        pretrained_config,
        save_tagger,
        train_classifier,
    )
    from symtok.nn.train import TrainConfig

    jets = list(pq.read_table(data).to_pandas().itertuples())
    train, test = split(jets, 0.25, 0)
    import random

    train = random.Random(seed).sample(train, max(2, round(label_fraction * len(train))))
    if pretrained is not None:
        config = pretrained_config(pretrained)
        if attention not in (None, config.attention) or (pid and not config.features.use_pid):
            raise SymtokError(
                f"{pretrained} was pretrained with attention={config.attention}, pid={config.features.use_pid}: "
                "fine-tune with the same settings"
            )
    else:
        config = TaggerConfig(
            features=FeatureConfig(max_constituents=max_constituents, use_pid=pid), attention=attention or "fast"
        )
    model = JetTagger(config)
    if pretrained is not None:
        load_pretrained(model, pretrained)
    train_classifier(
        model,
        train,
        config.features,
        TrainConfig(
            steps=steps,
            batch_size=min(64, len(train)),
            lr=2e-3,
            warmup_steps=max(1, steps // 20),
            log_every=max(1, steps // 10),
            seed=seed,
            progress=False,
        ),
    )
    metrics = evaluate(model, test, config.features)
    save_tagger(
        model, output, {"test": asdict(metrics), "train_jets": len(train), "test_jets": len(test), "steps": steps}
    )
    out.print(
        f"test: accuracy {metrics.accuracy:.3f}, AUC {metrics.auc:.3f}, 1/eps_B at 0.5 {metrics.rejection_at_50:.1f}, at 0.3 {metrics.rejection_at_30:.1f} -> {output}",
        markup=False,
    )


@jets_app.command("evaluate")
def jets_evaluate(
    data: Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate`")],
    model: Annotated[Path, typer.Option("--model", help="Tagger checkpoint directory")],
    backend: Annotated[str, typer.Option(help="torch | onnx (model.onnx in the model directory)")] = "torch",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Tagging metrics of a tagger on every jet of a file."""
    import numpy as np
    import pyarrow.parquet as pq

    from jets.features import make_batch
    from jets.metrics import tagging_metrics
    from jets.task import load_tagger, scores

    jets = list(pq.read_table(data).to_pandas().itertuples())
    labels = np.array([int(j.label) for j in jets])
    tagger = load_tagger(model)
    if backend == "onnx":
        from symtok.onnxrt import OnnxModel

        session = OnnxModel(model / "model.onnx")
        batch = make_batch(jets, tagger.config.features, with_subjets=False)
        probs = session.run({"features": batch.features, "mask": (~batch.padding).astype(np.int64)})[0]
    elif backend == "torch":
        probs = scores(tagger, jets, tagger.config.features)
    else:
        raise typer.BadParameter("backend must be torch or onnx")
    metrics = tagging_metrics(labels, probs)
    if as_json:
        out.print(json.dumps(asdict(metrics)), markup=False)
    else:
        out.print(
            f"{len(jets)} jets: accuracy {metrics.accuracy:.3f}, AUC {metrics.auc:.3f}, 1/eps_B at 0.5 {metrics.rejection_at_50:.1f}, at 0.3 {metrics.rejection_at_30:.1f}",
            markup=False,
        )


@jets_app.command("probe")
def jets_probe(
    data: Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate`")],
    pretrained: Annotated[Path, typer.Option(help="jet JEPA checkpoint (`symtok jets pretrain`)")],
    jets: Annotated[int, typer.Option("--jets", min=10, help="probe training and test jets (each)")] = 5000,
) -> None:
    """Linear-probe AUC of frozen pooled embeddings: the JEPA-pretrained encoder vs the same encoder at random init."""
    import pyarrow.parquet as pq
    import torch

    from jets.report import split
    from jets.task import JetTagger, linear_probe, load_pretrained, pretrained_config

    train, test = split(list(pq.read_table(data).to_pandas().itertuples()), 0.25, 0)
    train, test = train[:jets], test[:jets]
    config = pretrained_config(pretrained)
    torch.manual_seed(0)
    random_init = JetTagger(config)
    torch.manual_seed(0)
    tagger = JetTagger(config)
    load_pretrained(tagger, pretrained)
    before, after = linear_probe(random_init, train, test), linear_probe(tagger, train, test)
    out.print(
        f"linear probe on {len(train)} + {len(test)} jets: AUC {before:.4f} at random init, {after:.4f} JEPA-pretrained",
        markup=False,
    )


@jets_app.command("report")
def jets_report(
    data: Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate`")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for metrics.json, roc.png, report.md")],
    seeds: Annotated[int, typer.Option(min=1)] = 3,
    steps: Annotated[int, typer.Option(min=1, help="fine-tuning steps per model")] = 600,
    pretrain_steps: Annotated[int, typer.Option(min=1, help="jet JEPA steps")] = 200,
    pretrain_lr: Annotated[float, typer.Option(min=0.0, help="jet JEPA learning rate")] = 1e-3,
    lr: Annotated[float, typer.Option(min=0.0, help="fine-tuning learning rate")] = 2e-3,
    pid: Annotated[bool, typer.Option("--pid", help="add particle-type one-hots and charge")] = False,
    max_constituents: Annotated[
        int, typer.Option("--max-constituents", min=1, help="hardest constituents kept per jet")
    ] = 128,
) -> None:
    """Observables, Deep Sets, Encoder from scratch and JEPA-pretrained at 10% and 100% labels, over seeds."""
    import pyarrow.parquet as pq

    from jets.features import FeatureConfig
    from jets.report import run_report, table
    from jets.task import TaggerConfig

    jets = list(pq.read_table(data).to_pandas().itertuples())
    report = run_report(
        jets,
        output,
        config=TaggerConfig(features=FeatureConfig(max_constituents=max_constituents, use_pid=pid)),
        seeds=seeds,
        steps=steps,
        pretrain_steps=pretrain_steps,
        pretrain_lr=pretrain_lr,
        lr=lr,
        progress=True,
    )
    out.print(table(report["summary"]), markup=False)
    out.print(
        f"{report['train_jets']} training and {report['test_jets']} test jets, {report['seconds']:.0f} s -> {output}",
        markup=False,
    )


export_app = typer.Typer(help="Export trained models for deployment.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("onnx")
def export_onnx_command(
    model: Annotated[Path, typer.Option("--model", help="Checkpoint directory of an amplitude regressor")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="model.onnx to write (preprocess.json and vocab.json go beside it)")
    ],
    opset: Annotated[int, typer.Option(help="ONNX opset")] = 18,
) -> None:
    """Export an amplitude regressor or a jet tagger to ONNX (named inputs, dynamic axes, fixed FAVOR+ features)."""
    config = (
        model / "checkpoint" / "config.json"
        if (model / "checkpoint" / "config.json").exists()
        else model / "config.json"
    )
    kind = json.loads(config.read_text()).get("kind") if config.exists() else None
    if kind == "jet-tagger":
        from jets.export import export_tagger

        path = export_tagger(model, output, opset=opset)
    else:
        from amplitudes.export import export_regressor

        path = export_regressor(model, output, opset=opset)
    out.print(f"wrote {path} and {path.with_name('preprocess.json')}", markup=False)


def _read_expr(expr: str) -> str:
    """The expression argument, or standard input when it is '-'."""
    return sys.stdin.read().strip() if expr == "-" else expr


def _vocab(path: Path | None):
    from symtok.vocab import Vocab

    return Vocab.load(path) if path else Vocab.default()


#: Expressions often start with '-' (``-1/2*i*e^2*...``): let such arguments through as arguments.
EXPR_COMMAND = {"context_settings": {"ignore_unknown_options": True}}

VocabOption = Annotated[Path | None, typer.Option("--vocab", help="Vocabulary JSON (default: the shipped one).")]


@app.command(**EXPR_COMMAND)
def tokenize(
    expr: Annotated[str, typer.Argument(help="Expression in MARTY or functional form; '-' reads stdin.")],
    ids: Annotated[bool, typer.Option("--ids", help="Print token ids instead of tokens.")] = False,
    steps: Annotated[
        bool, typer.Option("--steps", help="Show every stage: parse tree, SymPy, normalized, tokens, ids.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    vocab: VocabOption = None,
) -> None:
    """Parse, normalize and encode an expression into prefix tokens."""
    from symtok.steps import tokenization_steps

    result = tokenization_steps(_read_expr(expr), _vocab(vocab))
    if as_json:
        out.print_json(json.dumps(asdict(result) if steps else {"tokens": result.tokens, "ids": result.ids}))
    elif steps:
        for title, body in (
            ("input", result.text),
            ("parse tree (Lark)", result.parse_tree.rstrip()),
            ("SymPy", result.sympy),
            ("SymPy srepr", result.sympy_srepr),
            ("renaming", "\n".join(f"{k} -> {v}" for k, v in result.renaming.items()) or "(no indices)"),
            ("normalized", result.normalized),
            (f"prefix tokens ({len(result.tokens)})", " ".join(result.tokens)),
            ("ids", " ".join(map(str, result.ids))),
        ):
            out.rule(title)
            out.print(body, markup=False)
    else:
        out.print(" ".join(map(str, result.ids if ids else result.tokens)), markup=False)


@app.command(**EXPR_COMMAND)
def detokenize(
    tokens: Annotated[list[str], typer.Argument(help="Prefix tokens (or ids with --ids); a single '-' reads stdin.")],
    ids: Annotated[bool, typer.Option("--ids", help="The arguments are token ids.")] = False,
    vocab: VocabOption = None,
) -> None:
    """Decode prefix tokens back into the MARTY expression."""
    from symtok.prefix import decode
    from symtok.printer import to_string

    items = sys.stdin.read().split() if tokens == ["-"] else tokens
    if ids:
        try:
            items = _vocab(vocab).decode(int(i) for i in items)
        except ValueError:
            raise typer.BadParameter("--ids expects integers") from None
    out.print(to_string(decode(items)), markup=False)


@app.command(**EXPR_COMMAND)
def normalize(expr: Annotated[str, typer.Argument(help="Expression; '-' reads stdin.")]) -> None:
    """Print the expression with canonical index names."""
    from symtok import normalize as normalize_expr
    from symtok import parse, to_string

    out.print(to_string(normalize_expr(parse(_read_expr(expr)))), markup=False)


@app.command(**EXPR_COMMAND)
def roundtrip(
    expr: Annotated[str | None, typer.Argument(help="Expression; '-' reads stdin.")] = None,
    file: Annotated[
        str | None, typer.Option("--file", "-f", help="Check every expression of a dataset file ('-' = stdin).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="symba | csv | lines | auto")] = "auto",
    vocab: VocabOption = None,
) -> None:
    """Prove the round trips (text, normalize, tokens, ids); exit 1 on any mismatch."""
    from symtok.roundtrip import check_roundtrip, roundtrip_file

    if (expr is None) == (file is None):
        raise typer.BadParameter("give an expression or --file, not both")
    if file is None:
        result = check_roundtrip(_read_expr(expr or "-"), _vocab(vocab))
        out.print(f"ok ({result.n_tokens} tokens)" if result.ok else f"FAIL: {result.failure}", markup=False)
        raise typer.Exit(0 if result.ok else 1)
    report = roundtrip_file(file, fmt, _vocab(vocab))
    for line, field, reason in report.failures[:20]:
        err.print(f"line {line} {field}: {reason}", markup=False)
    out.print(
        f"{report.passed}/{report.expressions} expressions round-trip; {len(report.failures)} failures; longest {report.max_tokens} tokens",
        markup=False,
    )
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def encode(
    input: Annotated[str, typer.Argument(help="SYMBA rows, amp/sqamp CSV, or one expression per line; '-' = stdin.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="symba | csv | lines | auto")] = "auto",
    workers: Annotated[int, typer.Option("--workers", "-j", min=1, help="Processes.")] = 1,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    vocab: VocabOption = None,
) -> None:
    """Encode a dataset file to Parquet; bad rows go to OUTPUT.errors.jsonl with their reason."""
    from symtok.datafiles import encode_file

    report = encode_file(input, output, fmt=fmt, workers=workers, vocab=_vocab(vocab), progress=progress)
    out.print(
        f"rows in {report.rows_in} = written {report.rows_out} + errors {report.errors}  "
        f"({report.rows_per_second:.0f} rows/s) -> {report.output}, {report.errors_path}",
        markup=False,
    )


@vocab_app.command("build")
def vocab_build(
    inputs: Annotated[list[str], typer.Argument(help="Dataset files whose tokens must be covered.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Vocabulary JSON to write.")],
    base: VocabOption = None,
    fmt: Annotated[str, typer.Option("--format", help="symba | csv | lines | auto")] = "auto",
) -> None:
    """Extend a vocabulary (ids unchanged) with every token the inputs produce; report coverage."""
    from symtok.datafiles import build_vocab_from_files

    result = build_vocab_from_files(inputs, fmt=fmt, base=_vocab(base) if base else None)
    result.vocab.save(output)
    out.print(
        f"{result.expressions} expressions, {result.tokens} tokens, {result.distinct} distinct; "
        f"{result.added} tokens added; {result.escaped} escaped names; {result.errors} unreadable -> {output} ({len(result.vocab)} tokens)",
        markup=False,
    )


@vocab_app.command("show")
def vocab_show(
    path: Annotated[Path | None, typer.Argument(help="Vocabulary JSON (default: the shipped one).")] = None,
    limit: Annotated[int, typer.Option(help="Tokens to list.")] = 40,
) -> None:
    """Print a vocabulary's version, size, specials and first tokens."""
    voc = _vocab(path)
    table = Table("id", "token")
    for i, token in enumerate(voc.tokens[:limit]):
        table.add_row(str(i), token)
    out.print(f"version {voc.version}, {len(voc)} tokens")
    out.print(table)


@amplitudes_app.command("list")
def amplitudes_list(
    theory: Annotated[str, typer.Option(help="qed | qcd")] = "qed",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every tree-level 2->2 process of a theory, with its diagrams."""
    from amplitudes.service import list_processes

    rows = list_processes(theory)
    if as_json:
        out.print_json(json.dumps([asdict(r) for r in rows]))
        return
    table = Table("process", "diagrams")
    for r in rows:
        table.add_row(r.process, ", ".join(r.diagrams))
    out.print(table)
    out.print(f"{len(rows)} {theory.upper()} processes")


@amplitudes_app.command("show")
def amplitudes_show(
    process: Annotated[str, typer.Argument(help='e.g. "e+ e- > mu+ mu-"')],
    theory: Annotated[str, typer.Option(help="qed | qcd | auto")] = "auto",
) -> None:
    """The diagrams of one process."""
    from amplitudes.service import show_process

    summary = show_process(process, theory)
    out.print(f"{summary.process}  ({summary.theory})", markup=False)
    for n, d in enumerate(summary.diagrams):
        out.rule(f"diagram {n + 1}: {d}")
        out.print(f"amplitude          {summary.amplitudes[n]}", markup=False)
        out.print(f"|M|^2 (this diagram) {summary.squared_per_diagram[n]}", markup=False)
    out.rule("process |M|^2 (all diagrams, with interference; averaged over initial spins and colours)")
    out.print(summary.squared_total, markup=False)


@amplitudes_app.command("me2", **EXPR_COMMAND)
def amplitudes_me2(
    process: Annotated[str, typer.Argument(help='e.g. "e+ e- > mu+ mu-"')],
    sqrt_s: Annotated[float, typer.Option("--sqrt-s", help="centre-of-mass energy, GeV")],
    cos_theta: Annotated[float, typer.Option("--cos-theta", help="cosine of the angle between p_1 and p_3")],
    massless: Annotated[bool, typer.Option("--massless", help="set every mass to 0")] = False,
    theory: Annotated[str, typer.Option(help="qed | qcd | auto")] = "auto",
    e: Annotated[float, typer.Option(help="QED coupling")] = 1.0,
    g: Annotated[float, typer.Option(help="QCD coupling")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Spin/colour-summed, initial-averaged |M|^2 at one centre-of-mass point."""
    from amplitudes.service import evaluate_me2

    result = evaluate_me2(process, sqrt_s, cos_theta, theory=theory, e=e, g=g, massless=massless)
    if as_json:
        out.print_json(json.dumps(asdict(result)))
    else:
        out.print(
            f"{result.process} ({result.theory}) at sqrt(s) = {sqrt_s} GeV, cos(theta) = {cos_theta}: |M|^2 = {result.me2:.12g} "
            f"(independent numeric evaluator: {result.me2_numeric:.12g}, relative difference {result.rel_difference:.1e})",
            markup=False,
        )


@amplitudes_app.command("generate")
def amplitudes_generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    theory: Annotated[str, typer.Option(help="qed | qcd")] = "qed",
    processes: Annotated[
        list[str] | None, typer.Option("--processes", "-p", help='e.g. -p "e+ e- > mu+ mu-" (repeatable); default: all')
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="symba | parquet | jsonl")] = "symba",
    mode: Annotated[
        str, typer.Option(help="diagram (one row per diagram) | process (one row per process)")
    ] = "diagram",
    workers: Annotated[int, typer.Option("--workers", "-j", min=1)] = 1,
    seed: Annotated[int, typer.Option(help="seeds the MARTY-like index numbering")] = 0,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Generate tree-level 2->2 amplitudes and squared amplitudes in the SYMBA row format."""
    from amplitudes.generate import generate

    report = generate(
        theory, output, processes=processes, fmt=fmt, mode=mode, workers=workers, seed=seed, progress=progress
    )
    out.print(
        f"{report.processes} processes, {report.rows} rows in {report.seconds:.1f} s -> {report.output}", markup=False
    )


@amplitudes_app.command("check-symba")
def amplitudes_check_symba(
    path: Annotated[str, typer.Argument(help="SYMBA raw rows (Interaction: ... : ... : amp : sqamp)")],
    theory: Annotated[str, typer.Option(help="qed | qcd")] = "qed",
    points: Annotated[int, typer.Option(help="random phase-space points per row")] = 3,
) -> None:
    """Compare each row's squared amplitude with the generator's at random points; exit 1 on a mismatch."""
    from amplitudes.symba_check import check_symba_file

    report = check_symba_file(path, theory, points)
    for line, process in report.mismatched[:20]:
        err.print(f"line {line}: {process}: no generated diagram matches", markup=False)
    out.print(f"{report.matched}/{report.rows} rows match the generated squared amplitudes", markup=False)
    raise typer.Exit(0 if report.rows and not report.mismatched else 1)


@amplitudes_app.command("train")
def amplitudes_train(
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write.")] = Path(
        "data/models/amplitude-default"
    ),
    preset: Annotated[str, typer.Option(help="default | smoke")] = "default",
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Generate data, pretrain (JEPA), fine-tune and evaluate the squared-amplitude regressor."""
    from amplitudes.evaluate import table
    from amplitudes.pipeline import train_preset

    report = train_preset(preset, output, progress=progress)
    out.print(table(report.evaluations), markup=False)
    out.print(f"model written to {report.model_dir} in {report.seconds:.0f} s", markup=False)


@amplitudes_app.command("pretrain")
def amplitudes_pretrain(
    data: Annotated[str, typer.Argument(help="SYMBA-format rows; amplitudes and squared amplitudes are the corpus")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run directory (checkpoint/, metrics.jsonl, loss.png)")
    ],
    preset: Annotated[str, typer.Option(help="model shape and steps from this preset")] = "default",
    steps: Annotated[int | None, typer.Option(help="override the preset's pretraining steps")] = None,
    jepa_lambda: Annotated[
        float, typer.Option("--jepa-lambda", min=0.0, help="auxiliary span loss weight (0 = off)")
    ] = 0.0,
    jepa_start_frac: Annotated[
        float, typer.Option("--jepa-start-frac", min=0.0, max=1.0, help="span loss from this fraction of training")
    ] = 0.0,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """JEPA pretraining (subtree masking) of the Encoder on token sequences, without labels."""
    from amplitudes.pipeline import preset as get_preset
    from amplitudes.pipeline import pretraining_sequences, train_config
    from amplitudes.regression import pretrain
    from symtok.vocab import Vocab

    p = get_preset(preset)
    vocab = Vocab.default()
    sequences = pretraining_sequences(Path(data), vocab, p.max_pretrain_tokens)
    from symtok.nn.jepa import JEPAConfig

    dim = p.regressor.encoder.dim
    jepa = JEPAConfig(
        predictor_dim=max(16, dim // 2), predictor_depth=1, jepa_lambda=jepa_lambda, jepa_start_frac=jepa_start_frac
    )
    ckpt = pretrain(
        sequences, output, p.regressor.encoder, train_config(p, steps or p.pretrain_steps, progress), jepa, vocab=vocab
    )
    out.print(f"{len(sequences)} sequences; encoder checkpoint at {ckpt}", markup=False)


@amplitudes_app.command("finetune")
def amplitudes_finetune(
    data: Annotated[str, typer.Argument(help="SYMBA-format rows (e.g. `amplitudes generate --mode process`)")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run directory (checkpoint/, metrics.jsonl, loss.png)")
    ],
    pretrained: Annotated[
        Path | None, typer.Option(help="JEPA checkpoint from `amplitudes pretrain` (default: from scratch)")
    ] = None,
    label_fraction: Annotated[float, typer.Option("--label-fraction", min=0.01, max=1.0)] = 1.0,
    attention: Annotated[str, typer.Option(help="fast | softmax")] = "fast",
    preset: Annotated[str, typer.Option(help="model shape, points and steps from this preset")] = "default",
    steps: Annotated[int | None, typer.Option(help="override the preset's fine-tuning steps")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Fine-tune the regressor (Encoder + kinematics + head) on log10 |M|^2; report the evaluation."""
    from amplitudes.dataset import build_dataset
    from amplitudes.evaluate import evaluate_model, table
    from amplitudes.pipeline import preset as get_preset
    from amplitudes.pipeline import train_config
    from amplitudes.regression import finetune, with_attention

    p = get_preset(preset)
    dataset = build_dataset(data, p.dataset)
    model, scale = finetune(
        dataset,
        output,
        with_attention(p.regressor, attention),
        train_config(p, steps or p.finetune_steps, progress),
        pretrained=pretrained,
        label_fraction=label_fraction,
    )
    out.print(table([evaluate_model(str(output), model, scale, dataset)[0]]), markup=False)


@amplitudes_app.command("study")
def amplitudes_study(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for runs, study.json and study.md.")],
    preset: Annotated[str, typer.Option(help="default | smoke")] = "default",
) -> None:
    """Label efficiency and baselines in one run: pretrained vs scratch (10%, 100%), softmax, gradient boosting."""
    from amplitudes.evaluate import table
    from amplitudes.pipeline import study

    out.print(table(study(preset, output)), markup=False)


@amplitudes_app.command("evaluate")
def amplitudes_evaluate(
    data: Annotated[str, typer.Argument(help="SYMBA-format rows (e.g. from `amplitudes generate --mode process`)")],
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: the shipped model)")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write metrics.json, parity.png, residuals.png here")
    ] = None,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="also fit the gradient-boosting baseline")
    ] = True,
) -> None:
    """Evaluate a trained regressor on a file: median / p90 relative error of |M|^2 per split."""
    from amplitudes.dataset import DatasetConfig, build_dataset
    from amplitudes.evaluate import evaluate_model, gradient_boosting_baseline, table, write_plots
    from amplitudes.predict import default_model_dir
    from amplitudes.regression import json_dump, load_regressor

    regressor, scale, vocab, _ = load_regressor(model or default_model_dir())
    dataset = build_dataset(data, DatasetConfig(), vocab)
    evaluation, predictions = evaluate_model("model", regressor, scale, dataset)
    evaluations = [evaluation] + ([gradient_boosting_baseline(dataset, scale, len(vocab))] if baselines else [])
    out.print(table(evaluations), markup=False)
    if output:
        output.mkdir(parents=True, exist_ok=True)
        json_dump(output / "metrics.json", [asdict(e) for e in evaluations])
        write_plots(output, dataset, predictions, str(model or "default model"))


@app.command(**EXPR_COMMAND)
def predict(
    amplitude: Annotated[str | None, typer.Argument(help="Amplitude in the MARTY form; '-' reads stdin")] = None,
    sqrt_s: Annotated[float, typer.Option("--sqrt-s", help="centre-of-mass energy, GeV")] = 10.0,
    cos_theta: Annotated[float, typer.Option("--cos-theta", help="cosine of the angle between p_1 and p_3")] = 0.0,
    process: Annotated[
        str | None, typer.Option("--process", help='build the amplitude with the generator, e.g. "e+ e- > mu+ mu-"')
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: the shipped model)")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="also compute the exact |M|^2 and the relative error")] = False,
    file: Annotated[str | None, typer.Option("--file", help="SYMBA rows: predict each row at the given point")] = None,
    backend: Annotated[str, typer.Option(help="torch | onnx (model.onnx from `symtok export onnx`)")] = "torch",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Predict |M|^2 (e = g = 1) of an amplitude at a centre-of-mass point with a trained model."""
    from amplitudes.predict import predict as run_predict

    if file is not None:
        from symtok.datafiles import BadRow, read_rows

        results = []
        for row in read_rows(file, "symba"):
            if isinstance(row, BadRow):
                err.print(f"line {row.line}: {row.reason}", markup=False)
                continue
            results.append(
                run_predict(
                    sqrt_s,
                    cos_theta,
                    amplitude=row.amplitude,
                    squared_amplitude=row.squared_amplitude if exact else None,
                    model_dir=model,
                    backend=backend,
                )
            )
    else:
        text = _read_expr(amplitude) if amplitude is not None else None
        results = [
            run_predict(
                sqrt_s, cos_theta, amplitude=text, process=process, model_dir=model, exact=exact, backend=backend
            )
        ]
    for r in results:
        if as_json:
            out.print(json.dumps(asdict(r)), markup=False)
        else:
            line = f"{r.process}  sqrt(s) = {r.sqrt_s} GeV, cos(theta) = {r.cos_theta}: predicted |M|^2 = {r.prediction:.6g}"
            if r.exact is not None:
                line += f", exact {r.exact:.6g}, relative error {100 * (r.rel_error or 0):.2f}%"
            if not r.in_training_range:
                line += "  (outside the model's training range: extrapolation)"
            out.print(line, markup=False)


@app.command()
def demo() -> None:
    """The main job: tokenize the shipped examples and prove their round trip; generate a small QED
    set; predict |M|^2 with the shipped model next to the exact value."""
    from amplitudes.demo import amplitude_demo
    from symtok.demo import run_demo

    result = run_demo()
    table = Table("file", "format", "expressions", "round-trip ok", "failures", "longest (tokens)")
    for f in result.files:
        table.add_row(
            f.name,
            f.fmt,
            str(f.report.expressions),
            str(f.report.passed),
            str(len(f.report.failures)),
            str(f.report.max_tokens),
        )
    out.rule("1. round trip of the shipped examples")
    out.print(table)
    for f in result.files:
        for line, field, reason in f.report.failures:
            err.print(f"{f.name}:{line} {field}: {reason}", markup=False)
    for title, steps in result.showcase[:1]:
        out.rule(f"2. tokenization, step by step: {title}")
        out.print(f"input      {steps.text}", markup=False)
        out.print("Lark tree  " + " ".join(steps.parse_tree.split())[:300] + " ...", markup=False)
        out.print(
            f"renaming   {', '.join(f'{k} -> {v}' for k, v in list(steps.renaming.items())[:6])} ...", markup=False
        )
        out.print(f"normalized {steps.normalized}", markup=False)
        out.print(f"tokens     {' '.join(steps.tokens)}", markup=False)
        out.print(f"ids        {' '.join(map(str, steps.ids))}", markup=False)
    amp = amplitude_demo()
    out.rule("3. generated QED rows (symtok amplitudes generate)")
    out.print(
        f"{amp.rows} rows; {amp.roundtrip.passed}/{amp.roundtrip.expressions} expressions round-trip", markup=False
    )
    out.rule(f"4. predictions of the shipped model ({amp.model})")
    if amp.predictions:
        pred = Table("process", "sqrt(s) GeV", "cos(theta)", "predicted |M|^2", "exact |M|^2", "rel. error")
        for r in amp.predictions:
            pred.add_row(
                r.process,
                f"{r.sqrt_s:g}",
                f"{r.cos_theta:g}",
                f"{r.prediction:.5g}",
                f"{r.exact:.5g}",
                f"{100 * (r.rel_error or 0):.2f}%",
            )
        out.print(pred)
    else:
        out.print("no shipped model found: train one with `symtok amplitudes train --preset default`", markup=False)
    ok = result.ok and amp.roundtrip.ok
    out.print("all round trips hold" if ok else "ROUND TRIP FAILURES (see above)")
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
