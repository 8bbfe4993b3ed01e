"""Conversion between every expression form: each expression of a file (any form, detected per
expression) written in one target form, the file's layout kept, every row either written or
reported with its reason (rows_in == rows_out + errors)."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TextIO

from sympy import Expr

from symtok.errors import SymtokError
from symtok.files import atomic_path, progress_bar
from symtok.io import SYMBA_SEPARATOR, BadRow, EncodeReport, Row, count_rows, detect_format, read_rows

#: The forms :func:`convert_expression` writes.
TARGETS = ("marty", "sympy", "symba-prefix", "functional", "prefix-tokens")


#: Counts of one conversion (the batch report every file command returns): rows_in == rows_out + errors.
ConvertReport = EncodeReport


def write_form(expr: Expr, to: str) -> str:
    """``expr`` as text in form ``to`` (one of TARGETS); SymtokError if that form cannot hold it."""
    if to == "marty":
        from symtok.printer import to_string

        return to_string(expr)
    if to == "sympy":
        from symtok.sympy_form import to_sympy

        return to_sympy(expr)
    if to == "symba-prefix":
        from symtok.symba_prefix import to_symba_prefix

        return to_symba_prefix(expr)
    if to == "functional":
        from symtok.functional import to_functional

        return to_functional(expr)
    if to == "prefix-tokens":
        from symtok.prefix import encode

        return " ".join(encode(expr))
    raise SymtokError(f"unknown target form {to!r}; expected one of {', '.join(TARGETS)}")


def convert_expression(text: str, to: str, *, form: str = "auto", normalize: bool = False, strict: bool = False) -> str:
    """One expression in any form (``form``, default detected) written in form ``to``. Prefix tokens
    are always of the normalized expression (the tokens symtok trains on); ``normalize`` renames the
    indices canonically for the other forms too."""
    from symtok.normalize import normalize as normalize_expr
    from symtok.parse import parse

    if to not in TARGETS:
        raise SymtokError(f"unknown target form {to!r}; expected one of {', '.join(TARGETS)}")
    expr = parse(text, form=form)
    if strict:
        from symtok.index_check import check_indices

        check_indices(expr)
    if normalize or to == "prefix-tokens":
        expr = normalize_expr(expr)
    return write_form(expr, to)


#: Which expressions of a row to convert (the others are copied as they are).
FIELDS = {"both": ("amplitude", "squared_amplitude"), "amplitude": ("amplitude",), "squared": ("squared_amplitude",)}


def _convert_row(row: Row, to: str, form: str, normalize: bool, field: str, strict: bool) -> Row | BadRow:
    fields = {"amplitude": row.amplitude, "squared_amplitude": row.squared_amplitude}
    for name in FIELDS[field]:
        text = getattr(row, name)
        if text is None:
            continue
        try:
            fields[name] = convert_expression(text, to, form=form, normalize=normalize, strict=strict)
        except SymtokError as err:
            return BadRow(row.line, f"{name}: {err}", text[:500])
        except RecursionError:
            return BadRow(row.line, f"{name}: expression too deeply nested", text[:500])
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:  # a batch never loses a row: anything else is that row's error, typed
            return BadRow(row.line, f"{name}: {type(err).__name__}: {err}", text[:500])
    return Row(row.line, fields["amplitude"] or "", fields["squared_amplitude"], row.process, row.diagram)


class _Writer:
    """Writes converted rows in the layout of the input: SYMBA rows, amp/sqamp CSV, or lines."""

    def __init__(self, fh: TextIO, fmt: str) -> None:
        self.fh, self.fmt = fh, fmt
        self.csv = csv.writer(fh, lineterminator="\n") if fmt == "csv" else None
        self.header_written = False

    def write(self, row: Row) -> None:
        if self.csv is not None:
            if not self.header_written:
                self.csv.writerow(["amp", "sqamp"] if row.squared_amplitude is not None else ["amp"])
                self.header_written = True
            self.csv.writerow([row.amplitude] + ([row.squared_amplitude] if row.squared_amplitude is not None else []))
        elif self.fmt == "symba":
            fields = [f"Interaction: {row.process}", row.diagram or "", row.amplitude, row.squared_amplitude or ""]
            self.fh.write(SYMBA_SEPARATOR.join(fields) + "\n")
        else:
            self.fh.write(row.amplitude + "\n")


@contextmanager
def _output(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        yield fh


def convert_file(
    path: str,
    output: str | os.PathLike[str],
    *,
    to: str,
    fmt: str = "auto",
    form: str = "auto",
    normalize: bool = False,
    progress: bool = False,
    field: str = "both",
    strict: bool = False,
) -> ConvertReport:
    """Convert every expression of ``path`` ('-' = stdin) to form ``to``, written to ``output`` ('-' =
    stdout) in the input's layout. ``field`` (both | amplitude | squared) picks the expressions of each
    row to convert; the others are copied unchanged (amplitudes have no SymPy form, so ``--to sympy``
    on SYMBA rows wants ``squared``). Rows that fail go to ``<output>.errors.jsonl`` (stderr for '-')
    with their reason; both files are written atomically."""
    if to not in TARGETS:
        raise SymtokError(f"unknown target form {to!r}; expected one of {', '.join(TARGETS)}")
    if field not in FIELDS:
        raise SymtokError(f"unknown field {field!r}; expected one of {', '.join(FIELDS)}")
    output = str(output)
    layout = detect_format(path) if fmt == "auto" else fmt
    errors_path = "-" if output == "-" else f"{output}.errors.jsonl"
    started = time.perf_counter()
    rows_in = rows_out = n_errors = 0
    total = count_rows(path) if progress else None
    with _output(output) as out_fh, _errors(errors_path) as err_fh:
        writer = _Writer(out_fh, layout)
        for row in progress_bar(read_rows(path, layout), total=total, enabled=progress, desc="convert"):
            rows_in += 1
            result = row if isinstance(row, BadRow) else _convert_row(row, to, form, normalize, field, strict)
            if isinstance(result, BadRow):
                n_errors += 1
                err_fh.write(json.dumps(asdict(result)) + "\n")
                continue
            writer.write(result)
            rows_out += 1
    assert rows_in == rows_out + n_errors
    return ConvertReport(rows_in, rows_out, n_errors, time.perf_counter() - started, output, errors_path)


@contextmanager
def _errors(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stderr
        return
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        yield fh
