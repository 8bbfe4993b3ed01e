"""``symtok demo``: the main job of ``make run``."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.render import out, say, warn


def demo() -> None:
    """The main job: tokenize the shipped examples and prove their round trip; generate a small QED
    set; predict |M|^2 with the shipped model next to the exact value."""
    from amplitudes.demo import amplitude_demo
    from symtok.demo import run_demo

    result = run_demo()
    table = Table("file", "format", "expressions", "round-trip ok", "failures", "longest (tokens)")
    for f in result.files:
        r = f.report
        table.add_row(f.name, f.fmt, str(r.expressions), str(r.passed), str(len(r.failures)), str(r.max_tokens))
    out.rule("1. round trip of the shipped examples")
    out.print(table)
    for f in result.files:
        for line, field, reason in f.report.failures:
            warn(f"{f.name}:{line} {field}: {reason}")
    for title, steps in result.showcase[:1]:
        out.rule(f"2. tokenization, step by step: {title}")
        say(f"input      {steps.text}")
        say("Lark tree  " + " ".join(steps.parse_tree.split())[:300] + " ...")
        say(f"renaming   {', '.join(f'{k} -> {v}' for k, v in list(steps.renaming.items())[:6])} ...")
        say(f"normalized {steps.normalized}")
        say(f"tokens     {' '.join(steps.tokens)}")
        say(f"ids        {' '.join(map(str, steps.ids))}")
    amp = amplitude_demo()
    out.rule("3. generated QED rows (symtok amplitudes generate)")
    say(f"{amp.rows} rows; {amp.roundtrip.passed}/{amp.roundtrip.expressions} expressions round-trip")
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
        say("no shipped model found: train one with `symtok amplitudes train --preset default`")
    ok = result.ok and amp.roundtrip.ok
    say("all round trips hold" if ok else "ROUND TRIP FAILURES (see above)")
    raise typer.Exit(0 if ok else 1)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command()(demo)
