"""``symtok amplitudes squared``: train and evaluate the squared-amplitude (SYMBA task) model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from cli.options import CompileOption, DeviceOption, PrecisionOption, on_device
from cli.render import out, say

app = typer.Typer(
    help="The SYMBA task: predict the squared-amplitude expression of an amplitude.", no_args_is_help=True
)


def _summary(metrics: dict) -> str:
    text = (
        f"{metrics['rows']} rows, beam {metrics['beam']}: exact match {100 * metrics['exact_match']:.2f}%, "
        f"numerically equivalent {100 * metrics['equivalent']:.2f}%, valid {100 * metrics['valid']:.2f}%, "
        f"token accuracy {100 * metrics['token_accuracy']:.2f}%"
    )
    if "unseen_rows" in metrics:
        text += (
            f"; {metrics['unseen_rows']} rows with an amplitude not in training: exact "
            f"{100 * metrics['unseen_exact_match']:.2f}%, equivalent {100 * metrics['unseen_equivalent']:.2f}%"
        )
    if "phase_space_equal" in metrics:
        text += (
            f"; equal at random phase-space points {100 * metrics['phase_space_equal']:.2f}% "
            f"(of {metrics['phase_space_rows']} checkable rows)"
        )
    if metrics.get("verify"):
        text += (
            f"; verified decoding: {100 * metrics['verified']:.2f}% of outputs pass the numeric check, "
            f"{metrics['reranked']} are not the model's best hypothesis, {metrics['uncheckable']} rows uncheckable"
        )
    return text


@app.command("train")
def squared_train(
    data: Annotated[
        str, typer.Argument(help="rows with amplitude and squared amplitude (SYMBA rows or amp,sqamp CSV)")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory: run/, model/, errors.jsonl")],
    valid: Annotated[
        str | None, typer.Option(help="held-out rows to evaluate the final model on (never trained on)")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="SquaredConfig as JSON (strict; missing keys keep defaults)")
    ] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="override the config's training steps")] = None,
    attention: Annotated[Literal["fast", "softmax"] | None, typer.Option(help="fast | softmax")] = None,
    label_fraction: Annotated[float | None, typer.Option("--label-fraction", min=0.001, max=1.0)] = None,
    pretrained: Annotated[
        Path | None, typer.Option(help="JEPA checkpoint (`amplitudes pretrain`) for the encoder")
    ] = None,
    init: Annotated[Path | None, typer.Option(help="a trained squared-amplitude model to start from")] = None,
    source_order: Annotated[
        bool | None, typer.Option("--source-order/--no-source-order", help="append the input's index order")
    ] = None,
    source_legs: Annotated[
        bool | None,
        typer.Option("--source-legs/--no-source-legs", help="append each row's OffShell legs (SYMBA rows' header)"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seeds the model and the data order")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue output/run from its last checkpoint")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Train the encoder-decoder (shared Encoder, causal decoder) on amplitude -> squared amplitude."""
    from amplitudes.learn.squared_train import configure, train_squared_file

    cfg = configure(
        config,
        steps=steps,
        attention=attention,
        label_fraction=label_fraction,
        seed=seed,
        progress=progress,
        source_order=source_order,
        source_legs=source_legs,
    )
    with on_device(device, precision, compile_):
        report = train_squared_file(
            data, output, cfg, valid_path=valid, pretrained=pretrained, init_from=init, resume=resume
        )
    say(
        f"{report.pairs} training rows ({report.errors} unreadable, see {output / 'errors.jsonl'}) in {report.seconds:.0f} s"
    )
    if "valid" in report.metrics:
        say(_summary(report.metrics["valid"]))
    say(f"model written to {report.model_dir}")


@app.command("evaluate")
def squared_evaluate(
    data: Annotated[str, typer.Argument(help="rows with amplitude and squared amplitude")],
    model: Annotated[Path | None, typer.Option("--model", help="model directory (default: the shipped model)")] = None,
    beam: Annotated[int, typer.Option(min=1, max=64, help="beam width (1 = greedy)")] = 1,
    seen: Annotated[
        str | None, typer.Option(help="the training file: also report rows whose amplitude it lacks")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N rows")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="metrics.json, rows.jsonl, by_length.png")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="return each row's first beam hypothesis that passes the numeric check against its amplitude",
        ),
    ] = False,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
) -> None:
    """Exact match, numerical equivalence, valid syntax, token accuracy, by target length."""
    from amplitudes.learn.squared_data import default_squared_dir
    from amplitudes.learn.squared_eval import evaluate_squared_file

    with on_device(device, precision):
        metrics = evaluate_squared_file(
            model or default_squared_dir(),
            data,
            beam=beam,
            seen_path=seen,
            limit=limit,
            out_dir=output,
            progress=progress,
            verify=verify,
        )
    if as_json:
        out.print_json(json.dumps(metrics))
        return
    say(_summary(metrics))


@app.command("pretrain")
def squared_pretrain(
    data: Annotated[list[str], typer.Argument(help="files with amplitudes (labels are not read)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="run directory (checkpoint/, metrics.jsonl)")],
    config: Annotated[Path | None, typer.Option(help="SquaredConfig JSON: the encoder to pretrain")] = None,
    steps: Annotated[int, typer.Option(min=1)] = 1000,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """LM-JEPA pretraining (subtree targets) of the squared model's encoder on unlabelled amplitudes."""
    from amplitudes.learn.squared_train import configure, pretrain_squared_file

    with on_device(device, precision, compile_):
        n, checkpoint = pretrain_squared_file(data, output, configure(config, progress=progress), steps=steps)
    say(f"{n} distinct amplitudes; encoder checkpoint at {checkpoint} (use: squared train --pretrained {output})")


@app.command("train-generated")
def squared_train_generated(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory: data/, run/, model/")],
    split: Annotated[Literal["rows", "processes"], typer.Option(help="rows (random) | processes (held out)")] = "rows",
    theories: Annotated[str, typer.Option(help="comma-separated: qed,qcd,mixed")] = "qed,qcd",
    config: Annotated[Path | None, typer.Option(help="SquaredConfig JSON (strict)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="override the config's training steps")] = None,
    publish: Annotated[
        Path | None, typer.Option(help="also write the model here (e.g. data/models/squared-default)")
    ] = None,
    seed: Annotated[int, typer.Option(help="seeds generation, split, model and data order")] = 0,
    offshell: Annotated[
        bool, typer.Option("--offshell/--on-shell", help="include every pattern of OffShell legs (MARTY's rows)")
    ] = True,
    workers: Annotated[int, typer.Option("--workers", "-j", min=1, help="processes building the corpus")] = 1,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """The default model from generated rows only: build the corpus (all orderings, OffShell
    variants), split, train, evaluate on the test split."""
    from amplitudes.learn.squared_train import GENERATED_STEPS, configure, train_generated

    names = tuple(t.strip() for t in theories.split(",") if t.strip())
    bad = [t for t in names if t not in ("qed", "qcd", "mixed")]
    if bad or not names:
        from symtok.errors import SymtokError

        raise SymtokError(f"--theories takes qed, qcd and/or mixed, got {theories!r}")
    base = None if config is not None else configure(steps=GENERATED_STEPS)
    cfg = configure(config, base=base, steps=steps, seed=seed, progress=progress)
    with on_device(device, precision, compile_):
        report = train_generated(
            output, cfg, theories=names, split=split, seed=seed, publish_to=publish, workers=workers, offshell=offshell
        )
    say(f"{report.pairs} training rows, split by {split}, in {report.seconds:.0f} s")
    test = "rows of held-out processes" if split == "processes" else "test split"
    for key, what in (("valid", test), ("valid_seen_processes", "held-out rows of training processes")):
        if key in report.metrics:
            say(f"{what}: {_summary(report.metrics[key])}")
    say(f"model written to {publish or report.model_dir}")
