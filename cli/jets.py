"""The ``symtok jets`` group: generation (Pythia8 + FastJet), JEPA pretraining, fine-tuning, evaluation,
the linear probe and the tagging report."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer

from cli.options import CompileOption, DeviceOption, PrecisionOption, on_device
from cli.render import say

app = typer.Typer(
    help="Jet datasets (Pythia8 + FastJet), jet JEPA and taggers on the shared Encoder.", no_args_is_help=True
)

Data = Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate`")]
Pid = Annotated[bool, typer.Option("--pid", help="add particle-type one-hots and charge")]
MaxConstituents = Annotated[int, typer.Option("--max-constituents", min=1, help="hardest constituents kept per jet")]
PoolingOption = Annotated[
    Literal["mean", "class"],
    typer.Option("--pooling", help="the tagger's pooling: mean over constituents, or class attention (CaiT / ParT)"),
]


def _summary(m) -> str:  # m: jets.metrics.TaggingMetrics
    return (
        f"accuracy {m.accuracy:.3f}, AUC {m.auc:.3f}, 1/eps_B at 0.5 {m.rejection_at_50:.1f}, "
        f"at 0.3 {m.rejection_at_30:.1f}"
    )


@app.command("generate")
def jets_generate(
    kind: Annotated[Literal["qg", "top"], typer.Option(help="qg (quark/gluon, R = 0.4) | top (top tagging, R = 0.8)")],
    n: Annotated[int, typer.Option("--n", min=2, help="jets, half of each label")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file")],
    workers: Annotated[int, typer.Option("--workers", "-j", min=1)] = 1,
    seed: Annotated[int, typer.Option()] = 0,
    append: Annotated[bool, typer.Option("--append", help="add new seeded chunks to an existing file")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    shard: Annotated[
        str | None,
        typer.Option(help="K/N: only every N-th seeded chunk from the K-th (0 <= K < N); then `jets merge`"),
    ] = None,
) -> None:
    """Generate labelled jets with the published recipes; constituents as Parquet list columns."""
    from jets.generate import generate_jets
    from symtok.shards import parse_shard

    part = parse_shard(shard) if shard is not None else None
    report = generate_jets(kind, n, output, workers=workers, seed=seed, append=append, progress=progress, shard=part)
    resumed = f", {report.resumed_chunks} chunks from an interrupted run" if report.resumed_chunks else ""
    where = (
        f"chunks in {report.output} (merge with `symtok jets merge`)"
        if part
        else f"{report.written} in {report.output}"
    )
    say(f"{report.jets} jets in {report.seconds:.1f} s ({report.jets_per_second:.1f} jets/s){resumed}; {where}")


@app.command("merge")
def jets_merge(
    kind: Annotated[Literal["qg", "top"], typer.Option(help="as given to the sharded `jets generate`")],
    n: Annotated[int, typer.Option("--n", min=2, help="as given to the sharded `jets generate`")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file (its .parts/ holds the shards)")],
    seed: Annotated[int, typer.Option()] = 0,
    append: Annotated[bool, typer.Option("--append", help="as given to the sharded `jets generate`")] = False,
) -> None:
    """Assemble the output of `jets generate --shard K/N` run for every K: the one-shot run's events."""
    from jets.generate import merge_jets

    report = merge_jets(kind, n, output, seed=seed, append=append)
    say(f"{report.written} jets in {report.output}")


@app.command("pretrain")
def jets_pretrain(
    data: Annotated[Path, typer.Argument(help="Parquet from `symtok jets generate` (labels unused)")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run directory (checkpoint/, metrics.jsonl, loss.png)")
    ],
    steps: Annotated[int, typer.Option(min=1)] = 200,
    lr: Annotated[float, typer.Option(min=0.0)] = 1e-3,
    pid: Pid = False,
    max_constituents: MaxConstituents = 128,
    seed: Annotated[int, typer.Option()] = 0,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Jet JEPA on the training split: whole C/A subjets are the targets, their axes the predictor's hints."""
    from jets.io import read_jets
    from jets.train import pretrain_file

    with on_device(device, precision, compile_):
        n, ckpt = pretrain_file(
            read_jets(data), output, steps=steps, lr=lr, pid=pid, max_constituents=max_constituents, seed=seed
        )
    say(f"{n} jets; jet JEPA checkpoint at {ckpt} (use with `symtok jets finetune --pretrained`)")


@app.command("finetune")
def jets_finetune(
    data: Data,
    output: Annotated[Path, typer.Option("--output", "-o", help="Tagger checkpoint directory")],
    label_fraction: Annotated[float, typer.Option("--label-fraction", min=0.01, max=1.0)] = 1.0,
    steps: Annotated[int, typer.Option(min=1)] = 600,
    attention: Annotated[
        Literal["fast", "softmax"] | None, typer.Option(help="fast | softmax (default: fast, or the pretrained one)")
    ] = None,
    pid: Pid = False,
    max_constituents: MaxConstituents = 128,
    pretrained: Annotated[
        Path | None,
        typer.Option(help="jet JEPA checkpoint (`symtok jets pretrain`); the tagger takes its configuration"),
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    pooling: PoolingOption = "mean",
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Train the Encoder tagger on 75% of the jets (a seeded fraction of them); test metrics on the rest."""
    from jets.io import read_jets
    from jets.train import finetune_tagger

    with on_device(device, precision, compile_):
        result = finetune_tagger(
            read_jets(data),
            output,
            label_fraction=label_fraction,
            steps=steps,
            attention=attention,
            pid=pid,
            max_constituents=max_constituents,
            pretrained=pretrained,
            seed=seed,
            pooling=pooling,
        )
    say(f"test: {_summary(result.metrics)} -> {output}")


@app.command("evaluate")
def jets_evaluate(
    data: Data,
    model: Annotated[Path, typer.Option("--model", help="Tagger checkpoint directory")],
    backend: Annotated[
        Literal["torch", "onnx"], typer.Option(help="torch | onnx (model.onnx in the model directory)")
    ] = "torch",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
) -> None:
    """Tagging metrics of a tagger on every jet of a file."""
    from jets.evaluate import evaluate_file
    from jets.io import read_jets

    if backend == "onnx" and (device, precision) != ("cpu", "fp32"):
        raise typer.BadParameter("--backend onnx runs onnxruntime on the CPU: drop --device/--precision")
    jets = read_jets(data)
    with on_device(device, precision):
        metrics = evaluate_file(model, jets, backend)
    say(json.dumps(asdict(metrics)) if as_json else f"{len(jets)} jets: {_summary(metrics)}")


@app.command("probe")
def jets_probe(
    data: Data,
    pretrained: Annotated[Path, typer.Option(help="jet JEPA checkpoint (`symtok jets pretrain`)")],
    jets: Annotated[int, typer.Option("--jets", min=10, help="probe training and test jets (each)")] = 5000,
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "fp32",
) -> None:
    """Linear-probe AUC of frozen pooled embeddings: the JEPA-pretrained encoder vs the same encoder at random init."""
    from jets.io import read_jets
    from jets.train import probe_pretrained

    with on_device(device, precision):
        before, after = probe_pretrained(read_jets(data), pretrained, jets)
    say(f"linear probe on {jets} + {jets} jets at most: AUC {before:.4f} at random init, {after:.4f} JEPA-pretrained")


@app.command("report")
def jets_report(
    data: Data,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for metrics.json, roc.png, report.md")],
    seeds: Annotated[int, typer.Option(min=1)] = 3,
    steps: Annotated[
        int, typer.Option(min=1, help="fine-tuning steps per model (with --label-counts: at most, 10 epochs)")
    ] = 600,
    pretrain_steps: Annotated[int, typer.Option(min=1, help="jet JEPA steps")] = 200,
    pretrain_lr: Annotated[float, typer.Option(min=0.0, help="jet JEPA learning rate")] = 1e-3,
    lr: Annotated[float, typer.Option(min=0.0, help="fine-tuning learning rate")] = 2e-3,
    pid: Pid = False,
    max_constituents: MaxConstituents = 128,
    label_counts: Annotated[
        str | None,
        typer.Option(
            "--label-counts",
            help="e.g. 1000,3000,10000,30000: the label-efficiency curve instead (scratch vs JEPA, "
            "fine-tuned and linear probe, per token kind)",
        ),
    ] = None,
    tokens: Annotated[str, typer.Option(help="with --label-counts: constituents,subjets")] = "constituents,subjets",
    pooling: PoolingOption = "mean",
    device: DeviceOption = "auto",
    precision: PrecisionOption = "fp32",
    compile_: CompileOption = False,
) -> None:
    """Observables, Deep Sets, Encoder from scratch and JEPA-pretrained at 10% and 100% labels, over
    seeds; with --label-counts, the label-efficiency curve."""
    from jets.features import FeatureConfig
    from jets.io import read_jets
    from jets.model import TaggerConfig
    from jets.report import run_report, table

    if label_counts is not None:
        from jets.label_efficiency import CurveConfig, gain_table, run_curve
        from jets.label_efficiency import table as curve_table

        config = CurveConfig(
            label_counts=_ints(label_counts, "--label-counts"),
            seeds=seeds,
            tokens=tuple(t.strip() for t in tokens.split(",")),  # type: ignore[arg-type]
            pretrain_steps=pretrain_steps,
            pretrain_lr=pretrain_lr,
            lr=lr,
            max_steps=max(steps, CurveConfig().min_steps),  # steps grow with the labels up to --steps
            use_pid=pid,
            max_constituents=max_constituents,
            pooling=pooling,
        )
        with on_device(device, precision, compile_):
            curve = run_curve(read_jets(data), output, config, progress=True)
        say(curve_table(curve["summary"]) + "\n\n" + gain_table(curve["gain"]))
        say(f"{curve['train_jets']} training and {curve['test_jets']} test jets, {curve['seconds']:.0f} s -> {output}")
        return
    jets = read_jets(data)
    with on_device(device, precision, compile_):
        report = run_report(
            jets,
            output,
            config=TaggerConfig(
                features=FeatureConfig(max_constituents=max_constituents, use_pid=pid), pooling=pooling
            ),
            seeds=seeds,
            steps=steps,
            pretrain_steps=pretrain_steps,
            pretrain_lr=pretrain_lr,
            lr=lr,
            progress=True,
        )
    say(table(report["summary"]))
    say(f"{report['train_jets']} training and {report['test_jets']} test jets, {report['seconds']:.0f} s -> {output}")


def _ints(text: str, option: str) -> tuple[int, ...]:
    """Comma-separated positive integers, or a one-line error (exit 2)."""
    from symtok.errors import SymtokError

    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise SymtokError(f"{option} takes comma-separated integers; got {text!r}") from None
    if not values or min(values) < 2:
        raise SymtokError(f"{option} takes integers of at least 2; got {text!r}")
    return values
