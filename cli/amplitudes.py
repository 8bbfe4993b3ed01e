"""The ``symtok amplitudes`` group: the generator (list, show, me2, generate, check-symba, verify) and the
regression surrogate (train, pretrain, finetune, study, evaluate)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from cli import squared
from cli.options import CompileOption, DeviceOption, PrecisionOption, on_device
from cli.render import EXPR_COMMAND, json_line, out, say, warn

Theory = Literal["qed", "qcd", "mixed"]
TheoryOrAuto = Literal["qed", "qcd", "mixed", "auto"]
PresetName = Literal["default", "study", "smoke"]
Progress = Annotated[bool, typer.Option("--progress/--no-progress")]

app = typer.Typer(
    help="Tree-level 2->2 QED/QCD processes, diagrams, |M|^2, and the |M|^2 surrogate.", no_args_is_help=True
)


app.add_typer(squared.app, name="squared")


@app.command("list")
def amplitudes_list(
    theory: Annotated[Theory, typer.Option(help="qed | qcd | mixed")] = "qed",
    legs: Annotated[Literal["2to2", "2to3"], typer.Option(help="2to2 | 2to3")] = "2to2",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every tree-level 2->2 (or 2->3) process of a theory, with its diagrams."""
    from amplitudes.physics.catalog import list_processes

    rows = list_processes(theory, 3 if legs == "2to3" else 2)
    if as_json:
        out.print_json(json.dumps([asdict(r) for r in rows]))
        return
    table = Table("process", "diagrams")
    for r in rows:
        table.add_row(r.process, ", ".join(r.diagrams))
    out.print(table)
    say(f"{len(rows)} {theory.upper()} processes")


@app.command("show")
def amplitudes_show(
    process: Annotated[str, typer.Argument(help='e.g. "e+ e- > mu+ mu-"')],
    theory: Annotated[TheoryOrAuto, typer.Option(help="qed | qcd | auto")] = "auto",
) -> None:
    """The diagrams of one process, their amplitudes and |M|^2."""
    from amplitudes.physics.catalog import show_process

    summary = show_process(process, theory)
    say(f"{summary.process}  ({summary.theory})")
    for n, d in enumerate(summary.diagrams):
        out.rule(f"diagram {n + 1}: {d}")
        say(f"amplitude          {(summary.amplitudes or [])[n]}")
        say(f"|M|^2 (this diagram, as in SYMBA rows) {(summary.squared_per_diagram or [])[n]}")
    out.rule("process |M|^2 (all diagrams, with interference; averaged over initial spins and colours)")
    say(summary.squared_total or summary.squared_total_note or "")


@app.command("me2", **EXPR_COMMAND)
def amplitudes_me2(
    process: Annotated[str, typer.Argument(help='e.g. "e+ e- > mu+ mu-"')],
    sqrt_s: Annotated[float, typer.Option("--sqrt-s", help="centre-of-mass energy, GeV")],
    cos_theta: Annotated[
        float | None, typer.Option("--cos-theta", help="2->2: cosine of the angle between p_1 and p_3")
    ] = None,
    seed: Annotated[int, typer.Option(help="2->3: the RAMBO phase-space point")] = 0,
    massless: Annotated[bool, typer.Option("--massless", help="set every mass to 0")] = False,
    theory: Annotated[TheoryOrAuto, typer.Option(help="qed | qcd | auto")] = "auto",
    e: Annotated[float, typer.Option(help="QED coupling")] = 1.0,
    g: Annotated[float, typer.Option(help="QCD coupling")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Spin/colour-summed, initial-averaged |M|^2 at one centre-of-mass point (2->2: --cos-theta;
    2->3: a RAMBO point from --seed, printed with --json)."""
    from amplitudes.physics.me2 import evaluate_me2

    result = evaluate_me2(process, sqrt_s, cos_theta, theory=theory, e=e, g=g, massless=massless, seed=seed)
    if as_json:
        out.print_json(json.dumps(asdict(result)))
        return
    where = f"cos(theta) = {cos_theta}" if cos_theta is not None else f"RAMBO point (seed {seed})"
    check = (
        f"independent numeric evaluator: {result.me2_numeric:.12g}, relative difference {result.rel_difference:.1e}"
        if result.rel_difference is not None
        else "numeric evaluator only: the symbolic total is not computed for this process"
    )
    say(f"{result.process} ({result.theory}) at sqrt(s) = {sqrt_s} GeV, {where}: |M|^2 = {result.me2:.12g} ({check})")


@app.command("generate")
def amplitudes_generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    theory: Annotated[Theory, typer.Option(help="qed | qcd | mixed")] = "qed",
    processes: Annotated[
        list[str] | None, typer.Option("--processes", "-p", help='e.g. -p "e+ e- > mu+ mu-" (repeatable); default: all')
    ] = None,
    fmt: Annotated[
        Literal["symba", "parquet", "jsonl"], typer.Option("--format", help="symba | parquet | jsonl")
    ] = "symba",
    mode: Annotated[
        Literal["diagram", "process"],
        typer.Option(help="diagram (one row per diagram) | process (one row per process)"),
    ] = "diagram",
    workers: Annotated[int, typer.Option("--workers", "-j", min=1)] = 1,
    seed: Annotated[int, typer.Option(help="seeds the MARTY-like index numbering")] = 0,
    offshell: Annotated[
        bool, typer.Option("--offshell", help="every pattern of OffShell legs per process (16 for 2->2, 32 for 2->3)")
    ] = False,
    legs: Annotated[str, typer.Option(help="comma-separated: 2to2,2to3 (when no -p is given)")] = "2to2",
    orderings: Annotated[
        Literal["one", "all"], typer.Option(help="one | all (each order of the incoming and of the outgoing legs)")
    ] = "one",
    progress: Progress = True,
) -> None:
    """Generate tree-level 2->2 and 2->3 amplitudes and squared amplitudes in the SYMBA row format
    (diagram rows sum external gluons with -g as MARTY does; process rows use physical polarisations)."""
    from amplitudes.corpus import LEGS, parse_legs
    from amplitudes.generate import generate

    report = generate(
        theory,
        output,
        processes=processes,
        fmt=fmt,
        mode=mode,
        workers=workers,
        seed=seed,
        progress=progress,
        offshell=offshell,
        n_out=tuple(LEGS[x] for x in parse_legs(legs)),
        all_orderings=orderings == "all",
    )
    say(f"{report.processes} processes, {report.rows} rows in {report.seconds:.1f} s -> {report.output}")
    if report.skipped:
        warn(f"left out (process total too costly to compute): {', '.join(report.skipped)}")


@app.command("corpus")
def amplitudes_corpus(
    output: Annotated[Path, typer.Option("--output", "-o", help="Corpus directory (shards, errors, manifest).")],
    theory: Annotated[str, typer.Option(help="comma-separated: qed,qcd,mixed")] = "qed,qcd",
    offshell: Annotated[
        bool, typer.Option("--offshell", help="every pattern of OffShell legs (16 per 2->2 process, 32 per 2->3)")
    ] = False,
    offshell_max: Annotated[
        int | None, typer.Option(help="with --offshell: at most this many off-shell legs per row", min=0, max=5)
    ] = None,
    offshell_min: Annotated[
        int, typer.Option(help="with --offshell: at least this many off-shell legs per row", min=0, max=5)
    ] = 0,
    legs: Annotated[str, typer.Option(help="comma-separated: 2to2,2to3")] = "2to2",
    orderings: Annotated[
        Literal["one", "all"], typer.Option(help="one | all (each order of the incoming and of the outgoing legs)")
    ] = "one",
    shard: Annotated[
        str | None, typer.Option(help="K/N: build only shard K of N (0 <= K < N); then `amplitudes corpus-merge`")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", "-j", min=1)] = 1,
    seed: Annotated[int, typer.Option(help="index numbering and the train/valid/test splits")] = 0,
    progress: Progress = True,
) -> None:
    """Build a SYMBA-style corpus (Parquet shards with text and token ids, errors files, manifest)."""
    from amplitudes.corpus import CorpusConfig, build_corpus, parse_legs
    from symtok.shards import parse_shard

    config = CorpusConfig(
        theories=tuple(t.strip() for t in theory.split(",") if t.strip()),
        legs=parse_legs(legs),
        offshell=offshell,
        offshell_max=offshell_max,
        offshell_min=offshell_min,
        orderings=orderings,
        seed=seed,
    )
    part = parse_shard(shard) if shard is not None else None
    report = build_corpus(config, output, shard=part, workers=workers, progress=progress)
    if report.shards_skipped:
        say(f"shard already built in {report.output}; nothing to do")
    else:
        rate = report.rows / report.seconds if report.seconds else 0.0
        say(
            f"{report.items} process variants, {report.rows} rows, {report.errors} errors "
            f"in {report.seconds:.1f} s ({rate:.0f} rows/s) -> {report.output}"
        )
    if report.manifest:
        say(f"manifest: {report.manifest}")


@app.command("corpus-merge")
def amplitudes_corpus_merge(
    output: Annotated[Path, typer.Argument(help="Corpus directory whose shards were built with --shard K/N.")],
) -> None:
    """Check that every shard of a sharded corpus is there and write its manifest."""
    from amplitudes.corpus import merge_corpus

    report = merge_corpus(output)
    say(f"{report.shards_skipped} shards complete; manifest: {report.manifest}")


@app.command("check-symba")
def amplitudes_check_symba(
    path: Annotated[str, typer.Argument(help="SYMBA raw rows (Interaction: ... : ... : amp : sqamp)")],
    theory: Annotated[Theory, typer.Option(help="qed | qcd | mixed")] = "qed",
    points: Annotated[int, typer.Option(min=1, help="random phase-space points per row")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per row")] = False,
    progress: Progress = True,
) -> None:
    """Compare each row's squared amplitude with the generator's (OffShell legs included; external
    gluons summed with -g, MARTY's per-diagram convention), and check that the row's own amplitude
    text, squared numerically (OffShell legs with their spin sums), gives its squared amplitude; every row gets a verdict (an
    unreadable row is an error and the run goes on); exit 1 if any row fails either check."""
    from amplitudes.symba import check_symba_rows
    from symtok.files import progress_bar

    counts = {"match": 0, "mismatch": 0, "error": 0}
    amplitudes = {"exact": 0, "sign": 0, "differs": 0}
    squares = {True: 0, False: 0}
    shown = 0
    for result in progress_bar(check_symba_rows(path, theory, points), enabled=progress, unit="row", desc="check"):
        counts[result.status] += 1
        if result.amplitude is not None:
            amplitudes[result.amplitude] += 1
        if result.squares is not None:
            squares[result.squares] += 1
        if as_json:
            json_line(asdict(result))
        elif result.status != "match" and shown < 20:
            shown += 1
            warn(f"line {result.line}: {result.process or '?'}: {result.status}: {result.reason}")
        elif result.squares is False and shown < 20:
            shown += 1
            warn(f"line {result.line}: {result.process}: the amplitude text does not square to the row's |M|^2")
    rows = sum(counts.values())
    summary = f"{counts['match']}/{rows} rows match the generated squared amplitudes"
    summary += f" ({counts['mismatch']} differ, {counts['error']} errors); their amplitudes: {amplitudes['exact']} as"
    summary += f" generated, {amplitudes['sign']} up to the overall sign, {amplitudes['differs']} written otherwise"
    if squares[True] or squares[False]:
        summary += f"; amplitude text squares to the row's |M|^2: {squares[True]}/{squares[True] + squares[False]} rows"
    (warn if as_json else say)(summary)
    raise typer.Exit(0 if rows and counts["match"] == rows and not squares[False] else 1)


@app.command("verify")
def amplitudes_verify(
    path: Annotated[
        str, typer.Argument(help="rows with an amplitude and a squared amplitude (SYMBA rows, amp,sqamp CSV)")
    ],
    points: Annotated[int, typer.Option(min=1, help="random phase-space points per row")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per row")] = False,
    progress: Progress = True,
) -> None:
    """Check each row's squared amplitude against its own amplitude text (|A|^2 summed numerically over
    helicities and colours at random points; no generator, no model): pass, fail, uncheckable or
    error per row, and the run goes on; exit 1 if any row fails or is an error."""
    from amplitudes.symba import verify_pair_rows
    from symtok.files import progress_bar

    counts = {"pass": 0, "fail": 0, "uncheckable": 0, "error": 0}
    shown = 0
    for result in progress_bar(verify_pair_rows(path, points), enabled=progress, unit="row", desc="verify"):
        counts[result.status] += 1
        if as_json:
            json_line(asdict(result))
        elif result.status != "pass" and shown < 20:
            shown += 1
            warn(f"line {result.line}: {result.status}" + (f": {result.reason}" if result.reason else ""))
    rows = sum(counts.values())
    summary = f"{counts['pass']}/{rows} rows: the amplitude squares to the squared amplitude"
    summary += f" ({counts['fail']} do not, {counts['uncheckable']} uncheckable, {counts['error']} errors)"
    (warn if as_json else say)(summary)
    raise typer.Exit(0 if rows and not counts["fail"] and not counts["error"] else 1)


@app.command("train")
def amplitudes_train(
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write.")] = Path(
        "data/models/amplitude-default"
    ),
    preset: Annotated[PresetName, typer.Option(help="default | study | smoke")] = "default",
    rows: Annotated[
        list[str] | None,
        typer.Option("--rows", help="real SYMBA rows to train on beside the generated ones (repeat)"),
    ] = None,
    progress: Progress = True,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Generate data, pretrain (JEPA), fine-tune and evaluate the squared-amplitude regressor."""
    from amplitudes.learn.evaluate import table
    from amplitudes.learn.train import train_preset

    with on_device(device, precision, compile_):
        report = train_preset(preset, output, progress=progress, extra_rows=tuple(rows or ()))
    say(table(report.evaluations))
    say(f"model written to {report.model_dir} in {report.seconds:.0f} s")


@app.command("pretrain")
def amplitudes_pretrain(
    data: Annotated[str, typer.Argument(help="SYMBA-format rows; amplitudes and squared amplitudes are the corpus")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run directory (checkpoint/, metrics.jsonl, loss.png)")
    ],
    preset: Annotated[PresetName, typer.Option(help="model shape and steps from this preset")] = "default",
    steps: Annotated[int | None, typer.Option(min=1, help="override the preset's pretraining steps")] = None,
    jepa_lambda: Annotated[
        float, typer.Option("--jepa-lambda", min=0.0, help="auxiliary span loss weight (0 = off)")
    ] = 0.0,
    jepa_start_frac: Annotated[
        float, typer.Option("--jepa-start-frac", min=0.0, max=1.0, help="span loss from this fraction of training")
    ] = 0.0,
    progress: Progress = True,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """JEPA pretraining (subtree masking) of the Encoder on token sequences, without labels."""
    from amplitudes.learn.train import pretrain_file

    with on_device(device, precision, compile_):
        n, ckpt = pretrain_file(
            data,
            output,
            preset_name=preset,
            steps=steps,
            jepa_lambda=jepa_lambda,
            jepa_start_frac=jepa_start_frac,
            progress=progress,
        )
    say(f"{n} sequences; encoder checkpoint at {ckpt}")


@app.command("finetune")
def amplitudes_finetune(
    data: Annotated[str, typer.Argument(help="SYMBA-format rows (e.g. `amplitudes generate --mode process`)")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run directory (checkpoint/, metrics.jsonl, loss.png)")
    ],
    pretrained: Annotated[
        Path | None, typer.Option(help="JEPA checkpoint from `amplitudes pretrain` (default: from scratch)")
    ] = None,
    label_fraction: Annotated[float, typer.Option("--label-fraction", min=0.01, max=1.0)] = 1.0,
    attention: Annotated[Literal["fast", "softmax"], typer.Option(help="fast | softmax")] = "fast",
    preset: Annotated[PresetName, typer.Option(help="model shape, points and steps from this preset")] = "default",
    steps: Annotated[int | None, typer.Option(min=1, help="override the preset's fine-tuning steps")] = None,
    progress: Progress = True,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Fine-tune the regressor (Encoder + kinematics + head) on log10 |M|^2; report the evaluation."""
    from amplitudes.learn.evaluate import table
    from amplitudes.learn.train import finetune_file

    with on_device(device, precision, compile_):
        evaluation = finetune_file(
            data,
            output,
            pretrained=pretrained,
            label_fraction=label_fraction,
            attention=attention,
            preset_name=preset,
            steps=steps,
            progress=progress,
        )
    say(table([evaluation]))


@app.command("study")
def amplitudes_study(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for runs, study.json and study.md.")],
    preset: Annotated[PresetName, typer.Option(help="default | study | smoke")] = "default",
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Label efficiency and baselines in one run: pretrained vs scratch (10%, 100%), softmax, gradient boosting."""
    from amplitudes.learn.evaluate import table
    from amplitudes.learn.study import study

    with on_device(device, precision, compile_):
        say(table(study(preset, output)))


@app.command("evaluate")
def amplitudes_evaluate(
    data: Annotated[str, typer.Argument(help="SYMBA-format rows (e.g. from `amplitudes generate --mode process`)")],
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: the shipped model)")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write metrics.json, parity.png, residuals.png here")
    ] = None,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="also fit the gradient-boosting baseline")
    ] = True,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
) -> None:
    """Evaluate a trained regressor on a file: median / p90 relative error of |M|^2 per split."""
    from amplitudes.learn.evaluate import evaluate_file, table

    with on_device(device, precision):
        say(table(evaluate_file(data, model, output, baselines=baselines)))
