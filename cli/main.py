"""The ``symtok`` typer app: one error handler, and one module per command group registered here.

Every bad input (a SymtokError from the library, a bad option value, a missing file, a missing
optional dependency) ends as one line ``error: ...`` on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from cli import amplitudes, demo, export, jets, predict, tokens
from cli.render import warn
from symtok.errors import SymtokError

#: Optional dependency (top-level module) -> the extra that installs it.
EXTRA_OF = {
    "torch": "ml",
    "safetensors": "ml",
    "onnx": "ml",
    "sklearn": "ml",
    "matplotlib": "ml",
    "particle": "ml",
    "onnxruntime": "onnx",
    "pythia8mc": "jets",
    "fastjet": "jets",
    "pandas": "jets",
}


def error_message(exc: BaseException) -> str | None:
    """The one-line message for an error the CLI reports with exit 2 (None: not one of those)."""
    if isinstance(exc, SymtokError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in EXTRA_OF:
        extra = EXTRA_OF[(exc.name or "").split(".")[0]]
        return f"this command needs the optional dependency {exc.name!r}: pip install 'symtok[{extra}]'"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    if isinstance(exc, TyperException):  # bad options and arguments (typer's vendored Click errors)
        return " ".join(exc.format_message().split())
    return None


class SymtokGroup(TyperGroup):
    """The one place the CLI turns an error into a message on stderr and exit code 2."""

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except (SymtokError, ModuleNotFoundError, OSError) as exc:
            message = error_message(exc)
            if message is None:
                raise
            warn(f"error: {message}")
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=SymtokGroup,
    help="symtok: MARTY/SYMBA amplitudes to canonical, reversible ML tokens; amplitude and jet models.",
    no_args_is_help=True,
    add_completion=False,
)
tokens.register(app)
app.add_typer(amplitudes.app, name="amplitudes")
predict.register(app)
app.add_typer(jets.app, name="jets")
app.add_typer(export.app, name="export")
demo.register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return its exit code; usage errors are one line, exit 2."""
    try:
        code = app(args=argv, prog_name="symtok", standalone_mode=False)
    except Exit as exc:
        return exc.exit_code
    except Abort:
        warn("aborted")
        return 130
    except TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group called bare: its help, as typer shows it
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            return 2
        warn(f"error: {error_message(exc)}")
        return getattr(exc, "exit_code", 2) or 2
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
