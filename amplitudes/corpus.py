"""A SYMBA-style corpus in independent, deterministic shards: every diagram row of the chosen
theories, in every leg ordering and (optionally) every pattern of OffShell legs, as Parquet with
text and token ids, an errors file per shard and a manifest.

The work list (one item per process variant) depends only on the configuration, so shard K of N
is the same on any machine: one batch-array task per shard builds the corpus across machines,
a finished shard is skipped on re-run, and :func:`merge_corpus` writes the manifest once every
shard is there. In every shard rows in = rows out + errors.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import platform
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from amplitudes.generate import process_rows_with_expressions
from amplitudes.physics.process import Process, offshell_variants, orderings
from amplitudes.physics.theory import enumerate_processes
from symtok.config import Config
from symtok.errors import SymtokError
from symtok.files import progress_bar, write_json
from symtok.io import Row, check_pair, encode_row, record_schema, write_pair
from symtok.shards import shard_items
from symtok.vocab import Vocab

Orderings = Literal["one", "all"]
MANIFEST = "manifest.json"
#: Process multiplicities a corpus can hold, and the number of final-state particles of each.
LEGS = {"2to2": 2, "2to3": 3}


@dataclass(frozen=True)
class CorpusConfig(Config):
    """What goes into a corpus. ``legs``: 2to2 and/or 2to3 processes. ``orderings="all"`` writes each
    process in every order of its incoming and of its outgoing particles (as SYMBA does; a reordering
    that gives the same process is written once); ``offshell`` adds every pattern of OffShell legs
    (16 per 2→2 process, 32 per 2→3), with at least ``offshell_min`` and at most ``offshell_max``
    off-shell legs (a corpus can grow in stages: a second directory with the patterns the first left out)."""

    theories: tuple[str, ...] = ("qed", "qcd")
    legs: tuple[str, ...] = ("2to2",)
    offshell: bool = False
    offshell_max: int | None = None
    offshell_min: int = 0
    orderings: Orderings = "one"
    seed: int = 0
    test_fraction: float = 0.05
    valid_fraction: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "theories", tuple(self.theories))
        object.__setattr__(self, "legs", tuple(self.legs))
        if self.offshell_max is not None and not (0 <= self.offshell_max <= 5 and self.offshell):
            raise SymtokError("offshell_max (0..5) needs offshell")
        if self.offshell_min and not (0 < self.offshell_min <= min(5, self.offshell_max or 5) and self.offshell):
            raise SymtokError("offshell_min (at most offshell_max, at most 5) needs offshell")
        if not self.legs or set(self.legs) - set(LEGS):
            raise SymtokError(f"legs must be among {', '.join(LEGS)}; got {', '.join(self.legs) or 'none'}")
        unknown = set(self.theories) - {"qed", "qcd", "mixed"}
        if not self.theories or unknown:
            raise SymtokError(f"theories must be among qed, qcd, mixed; got {', '.join(self.theories) or 'none'}")
        if not (0 <= self.test_fraction and 0 <= self.valid_fraction and self.test_fraction + self.valid_fraction < 1):
            raise SymtokError("test_fraction and valid_fraction must be >= 0 and sum to less than 1")


def parse_legs(text: str) -> tuple[str, ...]:
    """``"2to2,2to3"`` -> ("2to2", "2to3"); SymtokError naming the choices otherwise."""
    legs = tuple(x.strip() for x in text.split(",") if x.strip())
    if not legs or set(legs) - set(LEGS):
        raise SymtokError(f"legs must be a comma-separated list of {', '.join(LEGS)}; got {text!r}")
    return legs


def plan(config: CorpusConfig) -> list[tuple[str, str]]:
    """The work list: (theory, process) for every process variant, in a fixed order."""
    items: list[tuple[str, str]] = []
    for theory, legs in itertools.product(config.theories, config.legs):
        for base in enumerate_processes(theory, LEGS[legs]):
            ordered = orderings(base) if config.orderings == "all" else [base]
            for process in ordered:
                for variant in offshell_variants(process) if config.offshell else [process]:
                    count = len(variant.offshell)
                    if config.offshell_min <= count <= (5 if config.offshell_max is None else config.offshell_max):
                        items.append((theory, str(variant)))
    return items


def family(process: str) -> str:
    """The process with every leg on shell and each side's particles sorted: the unit of the
    held-out-process split (no ordering or OffShell variant of a test process is in training)."""
    p = Process.parse(process)
    return " ".join(sorted(x.name for x in p.incoming)) + " > " + " ".join(sorted(x.name for x in p.outgoing))


def _split(key: str, config: CorpusConfig) -> str:
    """train / valid / test from a seeded hash of ``key`` (stable across shards and machines)."""
    digest = hashlib.sha256(f"{config.seed}:{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < config.test_fraction:
        return "test"
    return "valid" if u < config.test_fraction + config.valid_fraction else "train"


def shard_name(k: int, n: int) -> str:
    return f"rows-{k:05d}-of-{n:05d}.parquet"


_VOCAB: Vocab | None = None


def _groups(items: list[tuple[str, str]]) -> list[list[tuple[int, tuple[str, str]]]]:
    """Numbered work items in groups of one process ordering with all its OffShell patterns: a group
    is one task and stays in one shard, so its squared amplitudes come from one all-off-shell
    computation (amplitudes.physics.me2.symbolic_per_diagram)."""
    groups: list[list[tuple[int, tuple[str, str]]]] = []
    last = None
    for number, (theory, process) in enumerate(items):
        key = (theory, str(Process.parse(process).on_shell))
        if key != last:
            groups.append([])
            last = key
        groups[-1].append((number, (theory, process)))
    return groups


def _task(args: tuple[list[tuple[int, str, str]], CorpusConfig]) -> tuple[list[dict], list[dict]]:
    """Rows (records) and errors of a group of process variants."""
    group, config = args
    records: list[dict] = []
    errors: list[dict] = []
    for number, theory, process in group:
        ok, bad = _variant(number, theory, process, config)
        records += ok
        errors += bad
    return records, errors


def _variant(number: int, theory: str, process: str, config: CorpusConfig) -> tuple[list[dict], list[dict]]:
    """Rows (records) and errors of one process variant."""
    vocab = _VOCAB or Vocab.default()
    try:
        rows = process_rows_with_expressions(
            Process.parse(process), theory, "diagram", config.seed * 1_000_003 + number, 1
        )
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as err:  # one process's failure is its error, never the shard's
        return [], [{"item": number, "theory": theory, "process": process, "reason": f"{type(err).__name__}: {err}"}]
    records, errors = [], []
    for d, (row, amplitude, squared) in enumerate(rows):
        text_row = Row(number, row.amplitude, row.squared_amplitude, process, row.diagram)
        result = encode_row(text_row, vocab, parsed=(amplitude, squared))
        if not isinstance(result, dict):
            errors.append({"item": number, "theory": theory, "process": process, "reason": result.reason})
            continue
        result |= {
            "theory": theory,
            "interaction": row.interaction,
            "vertices": row.vertices,
            "split_row": _split(f"{process}|{d}", config),
            "split_process": _split(family(process), config),
        }
        records.append(result)
    return records, errors


@dataclass(frozen=True)
class CorpusReport:
    """What one build or merge did: items (process variants) and rows of this run, shards written
    and skipped, and whether the manifest was written."""

    items: int
    rows: int
    errors: int
    shards_written: int
    shards_skipped: int
    seconds: float
    output: str
    manifest: str | None


def build_corpus(
    config: CorpusConfig,
    output: str | Path,
    *,
    shard: tuple[int, int] | None = None,
    workers: int = 1,
    progress: bool = False,
) -> CorpusReport:
    """Build shard ``K/N`` of the corpus in ``output`` (or, without ``shard``, the whole corpus as
    one shard, and its manifest). A shard already written is skipped."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    _check_config(out, config)
    k, n = shard or (0, 1)
    path = out / shard_name(k, n)
    started = time.perf_counter()
    items = plan(config)
    if path.exists():
        manifest = _maybe_manifest(out, config, n) if shard is None else None
        return CorpusReport(0, 0, 0, 0, 1, time.perf_counter() - started, str(out), manifest)
    groups = shard_items(_groups(items), (k, n))
    tasks = [([(i, t, p) for i, (t, p) in group], config) for group in groups]
    rows, errors = _write_shard(path, tasks, workers, progress)
    manifest = _maybe_manifest(out, config, n) if shard is None else None
    count = sum(len(group) for group in groups)
    return CorpusReport(count, rows, errors, 1, 0, time.perf_counter() - started, str(out), manifest)


def read_corpus(output: str | Path, columns: list[str] | None = None):
    """Every shard of a corpus directory as one pyarrow Table (``columns`` only, when given)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(Path(output).glob("rows-*-of-*.parquet"))
    if not files:
        raise SymtokError(f"{output} holds no corpus shards (rows-K-of-N.parquet)")
    return pa.concat_tables([pq.read_table(f, columns=columns) for f in files])


def merge_corpus(output: str | Path) -> CorpusReport:
    """Check that every shard of a sharded build is there and write the manifest (counts, token
    lengths, splits); refuses, naming the missing shards, until they are."""
    out = Path(output)
    started = time.perf_counter()
    config = _stored_config(out)
    layouts = {int(p.name.split("-of-")[1].split(".")[0]) for p in out.glob("rows-*-of-*.parquet")}
    if len(layouts) != 1:
        raise SymtokError(f"{out} holds no shards, or shards of several layouts ({sorted(layouts)})")
    n = layouts.pop()
    missing = [k for k in range(n) if not (out / shard_name(k, n)).exists()]
    if missing:
        shown = ", ".join(f"{k}/{n}" for k in missing[:5])
        raise SymtokError(f"{len(missing)} of {n} shards are missing in {out} (e.g. {shown}): run them first")
    manifest = _write_manifest(out, config, n)
    return CorpusReport(0, 0, 0, 0, n, time.perf_counter() - started, str(out), str(manifest))


def _write_shard(path: Path, tasks: list, workers: int, progress: bool) -> tuple[int, int]:
    schema = corpus_schema(Vocab.default())
    pool = None
    if workers > 1 and len(tasks) > 1:
        ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        pool = ctx.Pool(min(workers, len(tasks)))
    try:
        results = pool.imap(_task, tasks) if pool else map(_task, tasks)
        bar = progress_bar(results, total=len(tasks), enabled=progress, desc=path.stem, unit="process")
        return write_pair(path, path.with_suffix(".errors.jsonl"), schema, bar)
    finally:
        if pool is not None:
            pool.close()
            pool.join()


def corpus_schema(vocab: Vocab):
    """The Parquet schema of corpus rows: the encoded-row schema plus theory, MARTY's interaction
    and vertex fields and the two splits."""
    import pyarrow as pa

    return record_schema(
        vocab,
        extra=[
            ("theory", pa.string()),
            ("interaction", pa.string()),
            ("vertices", pa.string()),
            ("split_row", pa.string()),
            ("split_process", pa.string()),
        ],
    )


def _config_path(out: Path) -> Path:
    return out / "corpus-config.json"


def _check_config(out: Path, config: CorpusConfig) -> None:
    """Every shard of a directory is built from one configuration (stored by the first build)."""
    path = _config_path(out)
    if path.exists():
        stored = _stored_config(out)
        if stored != config:
            changed = [k for k, v in asdict(config).items() if asdict(stored).get(k) != v]
            raise SymtokError(f"{out} was built with other settings ({', '.join(changed)}); use a new directory")
    else:
        write_json(path, _config_dict(config))


def _config_dict(config: CorpusConfig) -> dict:
    return {**asdict(config), "theories": list(config.theories), "legs": list(config.legs)}


def _stored_config(out: Path) -> CorpusConfig:
    path = _config_path(out)
    if not path.exists():
        raise SymtokError(f"{out} is not a corpus directory (no {path.name})")
    try:
        return CorpusConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as err:
        raise SymtokError(f"{path} is not valid JSON: {err}") from None


def _maybe_manifest(out: Path, config: CorpusConfig, n: int) -> str | None:
    if all((out / shard_name(k, n)).exists() for k in range(n)):
        return str(_write_manifest(out, config, n))
    return None


def distinct_rows(directories: Iterable[str | Path]) -> dict[str, dict[str, int]]:
    """Rows, and rows and amplitudes with distinct canonical tokens, per theory, over every shard of
    one or more corpus directories (a corpus grown in stages, e.g. by ``offshell_min``)."""
    import pyarrow.parquet as pq

    distinct: dict[str, tuple[set[bytes], set[bytes]]] = {}
    rows: dict[str, int] = {}
    for directory in directories:
        files = sorted(Path(directory).glob("rows-*-of-*.parquet"))
        if not files:
            raise SymtokError(f"{directory} holds no corpus shards (rows-K-of-N.parquet)")
        for path in files:
            _count_distinct(path, distinct)
            for theory in pq.read_table(path, columns=["theory"])["theory"].to_pylist():
                rows[theory] = rows.get(theory, 0) + 1
    return {
        t: {"rows": rows[t], "distinct_rows": len(distinct[t][0]), "distinct_amplitudes": len(distinct[t][1])}
        for t in sorted(rows)
    }


def _count_distinct(path: Path, distinct: dict[str, tuple[set[bytes], set[bytes]]]) -> None:
    """Add the digests of one shard's (amplitude, squared amplitude) token ids, per theory."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["theory", "amplitude_ids", "squared_amplitude_ids"])
    for theory, amp, sq in zip(
        table["theory"].to_pylist(),
        table["amplitude_ids"].to_pylist(),
        table["squared_amplitude_ids"].to_pylist(),
        strict=True,
    ):
        pairs, amplitudes = distinct.setdefault(theory, (set(), set()))
        a = hashlib.blake2b(np.asarray(amp, dtype=np.int32).tobytes(), digest_size=16).digest()
        pairs.add(a + hashlib.blake2b(np.asarray(sq, dtype=np.int32).tobytes(), digest_size=16).digest())
        amplitudes.add(a)


def _percentiles(values: np.ndarray) -> dict[str, int]:
    if values.size == 0:
        return {"p50": 0, "p90": 0, "p99": 0, "max": 0}
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return {"p50": int(p50), "p90": int(p90), "p99": int(p99), "max": int(values.max())}


def _write_manifest(out: Path, config: CorpusConfig, n: int) -> Path:
    import pyarrow.parquet as pq
    import sympy

    from symtok import __version__

    columns = ["theory", "amplitude_length", "squared_amplitude_length", "split_row", "split_process", "process"]
    shards, tables = [], []
    errors = 0
    distinct: dict[str, tuple[set[bytes], set[bytes]]] = {}
    for k in range(n):
        path = out / shard_name(k, n)
        errors_path = path.with_suffix(".errors.jsonl")
        pair = check_pair(path, errors_path)
        if not pair.ok:
            raise SymtokError(f"shard {k}/{n} is damaged ({pair.reason}): delete {path.name} and build it again")
        table = pq.read_table(path, columns=columns)
        shard_errors = sum(1 for line in errors_path.read_text(encoding="utf-8").splitlines() if line.strip())
        errors += shard_errors
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        shards.append({"file": path.name, "rows": table.num_rows, "errors": shard_errors, "sha256": digest})
        tables.append(table)
        _count_distinct(path, distinct)
    import pyarrow as pa

    table = pa.concat_tables(tables)
    theory = np.array(table["theory"].to_pylist(), dtype=object)
    manifest = {
        "config": _config_dict(config),
        "rows": table.num_rows,
        "errors": errors,
        "items": len(plan(config)),
        "processes": len(set(zip(theory.tolist(), table["process"].to_pylist(), strict=True))),
        "by_theory": {},
        "splits": {
            by: {s: int((np.array(table[f"split_{by}"].to_pylist()) == s).sum()) for s in ("train", "valid", "test")}
            for by in ("row", "process")
        },
        "shards": shards,
        "versions": {"symtok": __version__, "sympy": sympy.__version__, "python": platform.python_version()},
    }
    for name in config.theories:
        mask = theory == name
        manifest["by_theory"][name] = {
            "rows": int(mask.sum()),
            "amplitude_tokens": _percentiles(np.array(table["amplitude_length"].to_pylist())[mask]),
            "squared_amplitude_tokens": _percentiles(np.array(table["squared_amplitude_length"].to_pylist())[mask]),
            # rows whose (amplitude, squared amplitude) canonical tokens no other row has: OffShell
            # patterns that touch no propagator and no trace repeat their process's row, as in SYMBA's data
            "distinct_rows": len(distinct.get(name, (set(), set()))[0]),
            "distinct_amplitudes": len(distinct.get(name, (set(), set()))[1]),
        }
    path = out / MANIFEST
    write_json(path, manifest)
    return path
