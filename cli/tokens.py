"""Token commands: tokenize, detokenize, normalize, roundtrip, encode, and the vocab group."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from cli.render import EXPR_COMMAND, out, read_expr, say, warn
from symtok.vocab import Vocab

FileFormat = Literal["symba", "csv", "lines", "parquet", "auto"]
VocabOption = Annotated[Path | None, typer.Option("--vocab", help="Vocabulary JSON (default: the shipped one).")]
FormatOption = Annotated[FileFormat, typer.Option("--format", help="File layout: symba | csv | lines | parquet | auto")]
ExprForm = Literal["auto", "marty", "sympy", "symba-prefix", "functional"]
FormOption = Annotated[
    ExprForm,
    typer.Option(
        "--form", help="Expression form: auto (detected per expression) | marty | sympy | symba-prefix | functional"
    ),
]
StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Reject expressions whose indices do not add up: used 3+ times, unsummed, or differing between terms.",
    ),
]
TargetForm = Literal["marty", "sympy", "symba-prefix", "functional", "prefix-tokens"]


def load_vocab(path: Path | None) -> Vocab:
    """The vocabulary at ``path``, or the shipped one."""
    return Vocab.load(path) if path else Vocab.default()


def tokenize(
    expr: Annotated[
        str, typer.Argument(help="Expression in any form (MARTY, SymPy, 2022 prefix, functional); '-' reads stdin.")
    ],
    ids: Annotated[bool, typer.Option("--ids", help="Print token ids instead of tokens.")] = False,
    steps: Annotated[
        bool, typer.Option("--steps", help="Show every stage: parse tree, SymPy, normalized, tokens, ids.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    vocab: VocabOption = None,
    form: FormOption = "auto",
    strict: StrictOption = False,
) -> None:
    """Parse, normalize and encode an expression into prefix tokens."""
    from symtok import parse
    from symtok import tokenize as tokenize_text
    from symtok.explain import tokenization_steps
    from symtok.index_check import check_indices, index_problems

    text, voc = read_expr(expr), load_vocab(vocab)
    parsed = parse(text, form=form)
    if strict:
        check_indices(parsed)
    else:
        for problem in index_problems(parsed, scalar=False):
            warn(f"warning: {problem}")
    if not steps:
        token_list = tokenize_text(text, form=form)
        id_list = voc.encode(token_list)
        if as_json:
            out.print_json(json.dumps({"tokens": token_list, "ids": id_list}))
        else:
            say(" ".join(map(str, id_list if ids else token_list)))
        return
    result = tokenization_steps(text, voc, form=form)
    if as_json:
        out.print_json(json.dumps(asdict(result)))
        return
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
        say(body)


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
            numbers = [int(i) for i in items]
        except ValueError:
            raise typer.BadParameter("--ids expects integers") from None
        items = load_vocab(vocab).decode(numbers)
    say(to_string(decode(items)))


def normalize(
    expr: Annotated[str, typer.Argument(help="Expression; '-' reads stdin.")], form: FormOption = "auto"
) -> None:
    """Print the expression (MARTY form) with canonical index names."""
    from symtok import normalize as normalize_expr
    from symtok import parse, to_string

    say(to_string(normalize_expr(parse(read_expr(expr), form=form))))


def roundtrip(
    expr: Annotated[str | None, typer.Argument(help="Expression; '-' reads stdin.")] = None,
    file: Annotated[
        str | None, typer.Option("--file", "-f", help="Check every expression of a dataset file ('-' = stdin).")
    ] = None,
    fmt: FormatOption = "auto",
    vocab: VocabOption = None,
    form: FormOption = "auto",
) -> None:
    """Prove the round trips (text, normalize, tokens, ids); exit 1 on any mismatch."""
    from symtok.roundtrip import check_roundtrip, roundtrip_file

    if (expr is None) == (file is None):
        raise typer.BadParameter("give an expression or --file, not both")
    if file is None:
        from symtok import parse

        text = read_expr(expr or "-")
        parse(text, form=form)  # text that is not an expression is bad input (exit 2), not a failed round trip
        result = check_roundtrip(text, load_vocab(vocab), form=form)
        say(f"ok ({result.n_tokens} tokens)" if result.ok else f"FAIL: {result.failure}")
        raise typer.Exit(0 if result.ok else 1)
    report = roundtrip_file(file, fmt, load_vocab(vocab), form=form)
    for line, field, reason in report.failures[:20]:
        warn(f"line {line} {field}: {reason}")
    say(
        f"{report.passed}/{report.expressions} expressions round-trip; {len(report.failures)} failures; "
        f"longest {report.max_tokens} tokens"
    )
    raise typer.Exit(0 if report.ok else 1)


def encode(
    input: Annotated[str, typer.Argument(help="SYMBA rows, amp/sqamp CSV, or one expression per line; '-' = stdin.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file to write.")],
    fmt: FormatOption = "auto",
    workers: Annotated[int, typer.Option("--workers", "-j", min=1, help="Processes.")] = 1,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    vocab: VocabOption = None,
    form: FormOption = "auto",
    strict: StrictOption = False,
) -> None:
    """Encode a dataset file to Parquet; bad rows go to OUTPUT.errors.jsonl with their reason."""
    from symtok.io import encode_file

    report = encode_file(
        input, output, fmt=fmt, workers=workers, vocab=load_vocab(vocab), progress=progress, form=form, strict=strict
    )
    say(
        f"rows in {report.rows_in} = written {report.rows_out} + errors {report.errors}  "
        f"({report.rows_per_second:.0f} rows/s) -> {report.output}, {report.errors_path}"
    )


def convert(
    input: Annotated[str, typer.Argument(help="SYMBA rows, amp/sqamp CSV, or one expression per line; '-' = stdin.")],
    to: Annotated[TargetForm, typer.Option("--to", help="marty | sympy | symba-prefix | functional | prefix-tokens")],
    output: Annotated[str, typer.Option("--output", "-o", help="File to write ('-' = stdout).")] = "-",
    fmt: FormatOption = "auto",
    form: FormOption = "auto",
    normalized: Annotated[bool, typer.Option("--normalize", help="Rename indices canonically first.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = False,
    field: Annotated[
        Literal["both", "amplitude", "squared"],
        typer.Option(
            "--field", help="Expressions to convert per row (the others are copied): both | amplitude | squared"
        ),
    ] = "both",
    strict: StrictOption = False,
) -> None:
    """Write every expression of a file in another form, keeping the file's layout; bad rows go to
    OUTPUT.errors.jsonl (stderr for '-') with their reason."""
    from symtok.convert import convert_file

    report = convert_file(
        input, output, to=to, fmt=fmt, form=form, normalize=normalized, progress=progress, field=field, strict=strict
    )
    warn(f"rows in {report.rows_in} = written {report.rows_out} + errors {report.errors} -> {report.output}")
    raise typer.Exit(0 if report.rows_out or not report.rows_in else 1)


vocab_app = typer.Typer(help="Build and inspect token vocabularies.", no_args_is_help=True)


@vocab_app.command("build")
def vocab_build(
    inputs: Annotated[list[str], typer.Argument(help="Dataset files whose tokens must be covered.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Vocabulary JSON to write.")],
    base: VocabOption = None,
    fmt: FormatOption = "auto",
    form: FormOption = "auto",
) -> None:
    """Extend a vocabulary (ids unchanged) with every token the inputs produce; report coverage."""
    from symtok.io import build_vocab_from_files

    result = build_vocab_from_files(inputs, fmt=fmt, base=load_vocab(base) if base else None, form=form)
    result.vocab.save(output)
    say(
        f"{result.expressions} expressions, {result.tokens} tokens, {result.distinct} distinct; "
        f"{result.added} tokens added; {result.escaped} escaped names; {result.errors} unreadable -> {output} "
        f"({len(result.vocab)} tokens)"
    )


@vocab_app.command("show")
def vocab_show(
    path: Annotated[Path | None, typer.Argument(help="Vocabulary JSON (default: the shipped one).")] = None,
    limit: Annotated[int, typer.Option(min=0, help="Tokens to list.")] = 40,
) -> None:
    """Print a vocabulary's version, size, specials and first tokens."""
    voc = load_vocab(path)
    table = Table("id", "token")
    for i, token in enumerate(voc.tokens[:limit]):
        table.add_row(str(i), token)
    say(f"version {voc.version}, {len(voc)} tokens")
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add the token commands and the vocab group to the app."""
    for command in (tokenize, detokenize, normalize, roundtrip):
        app.command(**EXPR_COMMAND)(command)
    app.command()(encode)
    app.command()(convert)
    app.add_typer(vocab_app, name="vocab")
