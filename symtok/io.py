"""Dataset files: readers for SYMBA raw rows, amp/sqamp CSV and one-expression-per-line text, and
batch encoding to Parquet in which every input row is either written or reported with its reason.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from symtok.errors import SymtokError
from symtok.files import atomic_path
from symtok.vocab import Vocab

if TYPE_CHECKING:
    from sympy import Expr

log = logging.getLogger(__name__)

FORMATS = ("symba", "csv", "lines", "parquet")
SYMBA_SEPARATOR = " : "
BATCH_ROWS = 4096


@dataclass(frozen=True)
class Row:
    """One input row: its 1-based line number, the process and diagram (SYMBA) and the expressions."""

    line: int
    amplitude: str
    squared_amplitude: str | None = None
    process: str | None = None
    diagram: str | None = None


@dataclass(frozen=True)
class BadRow:
    """An input row that could not be read or encoded, with the reason."""

    line: int
    reason: str
    text: str


@dataclass(frozen=True)
class EncodeReport:
    """Counts of a batch run: rows_in == rows_out + errors, always."""

    rows_in: int
    rows_out: int
    errors: int
    seconds: float
    output: str
    errors_path: str

    @property
    def rows_per_second(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else float("inf")


def detect_format(path: str) -> str:
    """Guess the format from the extension (.csv, .parquet) or the first line (SYMBA rows contain ' : ')."""
    if str(path).endswith(".csv"):
        return "csv"
    if str(path).endswith(".parquet"):
        return "parquet"
    if path == "-":
        return "lines"
    with open(path, encoding=text_encoding(path), errors="replace") as fh:
        for line in fh:
            if line.strip():
                return "symba" if line.startswith("Interaction:") and SYMBA_SEPARATOR in line else "lines"
    return "lines"


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def text_encoding(path: str) -> str:
    """utf-8, or what a byte-order mark says (UTF-8 with BOM, UTF-16 LE/BE as Windows tools write)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return "utf-8"  # open() below reports the error
    return next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")


def _open_text(path: str) -> io.TextIOBase:
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    return open(path, encoding=text_encoding(path), errors="replace", newline="")


def parse_symba_line(line: str, number: int) -> Row | BadRow:
    """Split one raw SYMBA row ``Interaction: ... : diagram : amplitude : squared amplitude``."""
    text = line.rstrip("\r\n")
    parts = text.split(SYMBA_SEPARATOR)
    if len(parts) != 4:
        return BadRow(number, f"expected 4 fields separated by ' : ', found {len(parts)}", text[:500])
    head, diagram, amplitude, squared = parts
    if not head.startswith("Interaction:"):
        return BadRow(number, "the first field must start with 'Interaction:'", text[:500])
    process = head[len("Interaction:") :].strip()
    return Row(number, amplitude.strip(), squared.strip(), process, diagram.strip())


def read_rows(path: str, fmt: str = "auto") -> Iterator[Row | BadRow]:
    """Rows of ``path`` ('-' = stdin) in format symba | csv | lines | auto; blank lines are not rows."""
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise SymtokError(f"unknown format {fmt!r}; expected one of {FORMATS} or auto")
    if fmt == "parquet":
        yield from _read_parquet(path)
        return
    try:
        fh = _open_text(path)
    except OSError as err:
        raise SymtokError(f"cannot read {path}: {err.strerror}") from None
    with fh:
        if fmt == "csv":
            yield from _read_csv(fh)
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            if fmt == "symba":
                yield parse_symba_line(line, number)
            else:
                yield Row(number, line.strip())


def _read_parquet(path: str) -> Iterator[Row | BadRow]:
    """Rows of a Parquet file with an ``amplitude`` column (``encode`` output, corpus shards), read in
    batches; ``squared_amplitude``, ``process`` and ``diagram`` columns are used when present."""
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except OSError as err:
        raise SymtokError(f"cannot read {path} as Parquet: {err}") from None
    names = set(file.schema_arrow.names)
    if "amplitude" not in names:
        raise SymtokError(f"{path} has no 'amplitude' column (columns: {', '.join(sorted(names))})")
    wanted = [c for c in ("amplitude", "squared_amplitude", "process", "diagram") if c in names]
    number = 0
    for batch in file.iter_batches(columns=wanted, batch_size=4096):
        columns = {c: batch.column(c).to_pylist() for c in wanted}
        for k in range(batch.num_rows):
            number += 1
            amplitude = columns["amplitude"][k]
            if amplitude is None:
                yield BadRow(number, "amplitude is null", "")
                continue
            yield Row(number, amplitude, **{c: columns[c][k] for c in wanted[1:]})


_HEADER_FIELD = re.compile(r"[A-Za-z_ ]*\Z")


def _is_header(fields: list[str]) -> bool:
    names = [f.strip().lower() for f in fields]
    return all(_HEADER_FIELD.match(n) for n in names) and any(n in ("amp", "sqamp", "amplitude") for n in names)


def _read_csv(fh: Iterable[str]) -> Iterator[Row | BadRow]:
    """amp,sqamp CSV read one physical line at a time (an expression never spans lines), so a stray
    quote spoils its own row only instead of swallowing the rest of the file. A first line that is
    not a header (no amp/sqamp names) is a data row: amplitude, then squared amplitude."""
    amp_col, sq_col, width = 0, 1, None
    for number, line in enumerate(fh, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            record = next(csv.reader([text], strict=True))
        except csv.Error as err:
            yield BadRow(number, f"malformed CSV: {err}", text[:500])
            continue
        if width is None:
            width = len(record)
            if _is_header(record):
                names = [h.strip().lower() for h in record]
                amp_col = names.index("amp") if "amp" in names else 0
                sq_col = names.index("sqamp") if "sqamp" in names else (1 if len(names) > 1 else None)
                continue
            sq_col = 1 if len(record) > 1 else None
        if not any(field.strip() for field in record):
            continue
        if len(record) <= max(amp_col, sq_col or 0):
            yield BadRow(number, f"expected {width} columns, found {len(record)}", text[:500])
            continue
        yield Row(number, record[amp_col].strip(), record[sq_col].strip() if sq_col is not None else None)


def encode_expression(text: str, vocab: Vocab, form: str = "auto", strict: bool = False) -> list[int]:
    """Token ids of one expression (parse, normalize, encode, look up)."""
    from symtok import tokenize

    if strict:
        from symtok import encode, normalize, parse
        from symtok.index_check import check_indices

        return vocab.encode(encode(normalize(check_indices(parse(text, form=form)))))
    return vocab.encode(tokenize(text, form=form))


_WORKER_VOCAB: Vocab | None = None


def _init_worker(tokens: tuple[str, ...]) -> None:
    global _WORKER_VOCAB
    _WORKER_VOCAB = Vocab(tokens)


def encode_row(
    row: Row | BadRow,
    vocab: Vocab | None = None,
    form: str = "auto",
    strict: bool = False,
    parsed: tuple[Expr, Expr] | None = None,
) -> dict[str, object] | BadRow:
    """The Parquet record of ``row``, or a BadRow naming the field and the reason it failed.

    ``parsed``: the amplitude and squared amplitude as the expressions the row's text was printed
    from (generated rows), encoded without parsing the text again: the same tokens, four times
    faster (the printer/parser round trip is exact; tests check it on generated rows)."""
    if isinstance(row, BadRow):
        return row
    vocab = vocab or _WORKER_VOCAB or Vocab.default()
    record: dict[str, object] = asdict(row)
    for k, field in enumerate(("amplitude", "squared_amplitude")):
        text = getattr(row, field)
        if text is None:
            record[f"{field}_ids"] = None
            record[f"{field}_length"] = None
            continue
        try:
            if parsed is not None:
                from symtok import encode, normalize

                ids = vocab.encode(encode(normalize(parsed[k])))
            else:
                ids = encode_expression(text, vocab, form, strict)
        except SymtokError as err:
            return BadRow(row.line, f"{field}: {err}", text[:500])
        except RecursionError:  # guarded against, but never lose a row to it
            return BadRow(row.line, f"{field}: expression too deeply nested", text[:500])
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:  # a batch never loses a row: anything else is that row's error, typed
            return BadRow(row.line, f"{field}: {type(err).__name__}: {err}", text[:500])
        record[f"{field}_ids"] = ids
        record[f"{field}_length"] = len(ids)
    return record


def record_schema(vocab: Vocab, extra: Sequence[tuple[str, object]] = ()):
    """The Parquet schema of encoded rows (texts, token ids and lengths; the vocabulary and symtok's
    version in the metadata), with ``extra`` (name, pyarrow type) columns after them."""
    import pyarrow as pa

    from symtok import __version__

    fields = [
        ("line", pa.int64()),
        ("process", pa.string()),
        ("diagram", pa.string()),
        ("amplitude", pa.string()),
        ("squared_amplitude", pa.string()),
        ("amplitude_ids", pa.list_(pa.int32())),
        ("amplitude_length", pa.int32()),
        ("squared_amplitude_ids", pa.list_(pa.int32())),
        ("squared_amplitude_length", pa.int32()),
        *extra,
    ]
    meta = {b"symtok.version": __version__.encode(), b"symtok.vocab": vocab.to_json().encode()}
    return pa.schema(fields, metadata=meta)


def count_rows(path: str) -> int | None:
    """Number of non-blank lines (an upper bound on rows, for the progress bar); None for stdin."""
    if path == "-":
        return None
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


def encode_file(
    path: str,
    output: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    workers: int = 1,
    vocab: Vocab | None = None,
    progress: bool = False,
    form: str = "auto",
    strict: bool = False,
) -> EncodeReport:
    """Encode every row of ``path`` to Parquet at ``output``; failures go to ``<output>.errors.jsonl``.

    Both files are written atomically; rows_in == rows_out + errors.
    """

    vocab = vocab or Vocab.default()
    output = Path(output)
    errors_path = Path(f"{output}.errors.jsonl")
    schema = record_schema(vocab)
    started = time.perf_counter()
    total = count_rows(path) if progress else None
    if total is not None and (detect_format(path) if fmt == "auto" else fmt) == "csv":
        total = max(total - 1, 0)  # the header
    pool = None
    if workers > 1:
        ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        pool = ctx.Pool(workers, initializer=_init_worker, initargs=(vocab.tokens,))
    try:
        rows = read_rows(path, fmt)
        if pool is not None:
            work = functools.partial(encode_row, vocab=None, form=form, strict=strict)
            results: Iterable[dict[str, object] | BadRow] = pool.imap(work, rows, chunksize=32)
        else:
            results = (encode_row(r, vocab, form, strict) for r in rows)
        chunks = (
            ([], [asdict(r)]) if isinstance(r, BadRow) else ([r], []) for r in _progress(results, total, progress)
        )
        rows_out, n_errors = write_pair(output, errors_path, schema, chunks)  # each row goes to one side
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return EncodeReport(
        rows_out + n_errors, rows_out, n_errors, time.perf_counter() - started, str(output), str(errors_path)
    )


def write_pair(
    output: str | os.PathLike[str],
    errors_path: str | os.PathLike[str],
    schema,
    chunks: Iterable[tuple[list[dict], list[dict]]],
) -> tuple[int, int]:
    """Write ``chunks`` of (records, errors) as a Parquet file (row groups of BATCH_ROWS records) and
    a JSONL errors file, both atomically, the errors file renamed first and the pair sealed
    (:func:`seal_pair`); returns (rows written, errors)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = n_errors = 0
    with atomic_path(output) as tmp_out, atomic_path(errors_path) as tmp_err:
        writer = pq.ParquetWriter(tmp_out, schema)
        with open(tmp_err, "w", encoding="utf-8") as err_fh:
            batch: list[dict] = []
            for records, errors in chunks:
                batch += records
                if len(batch) >= BATCH_ROWS:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    rows += len(batch)
                    batch = []
                n_errors += len(errors)
                err_fh.writelines(json.dumps(e) + "\n" for e in errors)
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                rows += len(batch)
        seal_pair(writer, tmp_err, rows, n_errors)
        writer.close()
    return rows, n_errors


_PAIR_KEY = b"symtok.errors"


def seal_pair(writer, errors_file: str | os.PathLike[str], rows_out: int, errors: int) -> None:
    """Record in a Parquet file's footer which errors file belongs to it (row and error counts and the
    errors file's SHA-256), so :func:`check_pair` can tell a matching pair from one where a kill
    between the two atomic renames left a new file beside an old one. Call before ``writer.close()``;
    the errors file is renamed into place before the data file (atomic_path contexts nest that way)."""
    digest = hashlib.sha256(Path(errors_file).read_bytes()).hexdigest()
    record = {"rows": rows_out, "errors": errors, "errors_sha256": digest}
    writer.add_key_value_metadata({_PAIR_KEY: json.dumps(record).encode()})


@dataclass(frozen=True)
class PairCheck:
    """A Parquet output and its errors file: rows, errors, and whether they belong together."""

    rows: int
    errors: int
    ok: bool
    reason: str | None = None


def check_pair(output: str | os.PathLike[str], errors_path: str | os.PathLike[str] | None = None) -> PairCheck:
    """Check that ``output`` (written by ``encode`` or a corpus shard) and its errors file
    (``<output>.errors.jsonl`` unless given) are one run's pair: the row count and the errors file's
    SHA-256 recorded in the Parquet footer match what is on disk."""
    import pyarrow.parquet as pq

    output = Path(output)
    errors_file = Path(errors_path) if errors_path is not None else Path(f"{output}.errors.jsonl")
    try:
        meta = pq.read_metadata(output)
    except OSError as err:
        raise SymtokError(f"cannot read {output} as Parquet: {err}") from None
    record = json.loads((meta.metadata or {}).get(_PAIR_KEY, b"null"))
    if record is None:
        return PairCheck(meta.num_rows, 0, False, f"{output} records no errors file (written by an older symtok?)")
    if not errors_file.exists():
        return PairCheck(meta.num_rows, record["errors"], False, f"{errors_file} is missing")
    digest = hashlib.sha256(errors_file.read_bytes()).hexdigest()
    if meta.num_rows != record["rows"]:
        return PairCheck(
            meta.num_rows, record["errors"], False, f"{output} holds {meta.num_rows} rows, not {record['rows']}"
        )
    if digest != record["errors_sha256"]:
        return PairCheck(meta.num_rows, record["errors"], False, f"{errors_file} is not the errors file of {output}")
    return PairCheck(meta.num_rows, record["errors"], True)


def _progress(items: Iterable[object], total: int | None, enabled: bool) -> Iterable[object]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit="row", desc="encode", dynamic_ncols=True)


@dataclass(frozen=True)
class VocabBuildResult:
    """A vocabulary covering some files, with what was counted on the way."""

    vocab: Vocab
    expressions: int
    tokens: int
    distinct: int
    added: int
    escaped: int
    errors: int


def build_vocab_from_files(
    paths: Iterable[str], *, fmt: str = "auto", base: Vocab | None = None, form: str = "auto"
) -> VocabBuildResult:
    """Tokenize every expression of ``paths`` and extend ``base`` (default: core) with unseen tokens."""
    from symtok import tokenize
    from symtok.tokens import INDEX_ESCAPE, SYMBOL_ESCAPE
    from symtok.vocab import build_vocab

    escapes = {SYMBOL_ESCAPE, *INDEX_ESCAPE.values()}
    streams: list[list[str]] = []
    errors = 0
    for path in paths:
        for row in read_rows(path, fmt):
            if isinstance(row, BadRow):
                errors += 1
                continue
            for text in (row.amplitude, row.squared_amplitude):
                if text is None:
                    continue
                try:
                    streams.append(tokenize(text, form=form))
                except (KeyboardInterrupt, MemoryError):
                    raise
                except Exception:  # SymtokError, or anything unforeseen: counted, never fatal
                    errors += 1
    base = base or Vocab.core()
    vocab, counts = build_vocab(streams, base)
    return VocabBuildResult(
        vocab=vocab,
        expressions=len(streams),
        tokens=sum(counts.values()),
        distinct=len(counts),
        added=len(vocab) - len(base),
        escaped=sum(counts[t] for t in escapes),
        errors=errors,
    )
