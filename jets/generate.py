"""Jet datasets generated with Pythia8 and FastJet, following the published recipes.

- ``qg``: Komiske-Metodiev-Thaler quark/gluon jets: pp at 14 TeV, q qbar -> Z(->nu nu) + g and
  q g -> Z(->nu nu) + q (u, d, s only: events with a c or b from the hard process are vetoed),
  default tune with hadronisation and MPI, anti-kT R = 0.4, leading jet with pT in [500, 550] GeV
  and |y| < 1.7; label 1 = quark, 0 = gluon (as EnergyFlow).
- ``top``: top tagging at generator level: hadronic t tbar (label 1) vs QCD dijets (label 0) at
  14 TeV, anti-kT R = 0.8, pT in [550, 650] GeV, |eta| < 2; a top jet must contain a hadronic top
  and its three decay quarks within Delta R < 0.8 of the jet axis.

Each chunk of events has its own seed (seed, chunk), so runs are reproducible, workers never
repeat events and ``append`` continues with new chunks. Finished chunks are written as part files
beside the output until it is complete, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from symtok.errors import SymtokError
from symtok.files import atomic_path
from symtok.shards import shard_items

KINDS = ("qg", "top")
CHUNK = 200  # jets per seeded chunk (Pythia init is ~0.35 s, so chunks must be large)

_COMMON = [
    "Beams:eCM = 14000.",
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Next:numberShowEvent = 0",
    "Random:setSeed = on",
]
RECIPES: dict[tuple[str, int], list[str]] = {
    ("qg", 1): [
        "WeakBosonAndParton:qg2gmZq = on",
        "WeakZ0:gmZmode = 2",
        "23:onMode = off",
        "23:onIfAny = 12 14 16",
        "PhaseSpace:pTHatMin = 480.",
        "PhaseSpace:pTHatMax = 620.",
    ],
    ("qg", 0): [
        "WeakBosonAndParton:qqbar2gmZg = on",
        "WeakZ0:gmZmode = 2",
        "23:onMode = off",
        "23:onIfAny = 12 14 16",
        "PhaseSpace:pTHatMin = 480.",
        "PhaseSpace:pTHatMax = 620.",
    ],
    ("top", 1): [
        "Top:gg2ttbar = on",
        "Top:qqbar2ttbar = on",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4 5",
        "PhaseSpace:pTHatMin = 500.",
        "PhaseSpace:pTHatMax = 750.",
    ],
    ("top", 0): ["HardQCD:all = on", "PhaseSpace:pTHatMin = 520.", "PhaseSpace:pTHatMax = 700."],
}
CUTS = {"qg": (0.4, 500.0, 550.0, 1.7, "y"), "top": (0.8, 550.0, 650.0, 2.0, "eta")}
COLUMNS = (
    "label",
    "jet_pt",
    "jet_eta",
    "jet_phi",
    "jet_m",
    "pt",
    "eta",
    "phi",
    "e",
    "pid",
    "charge",
    "seed",
    "chunk",
    "event",
)


def _delta_r(eta1: float, phi1: float, eta2: float, phi2: float) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


def _hadronic_tops(event) -> list[tuple[float, float, list[tuple[float, float]]]]:
    """(eta, phi, decay-quark directions) of each top that decayed to b q q'."""
    tops = []
    for i in range(event.size()):
        p = event[i]
        if p.idAbs() != 6 or event[p.daughter1()].idAbs() == 6:
            continue  # not the last copy
        quarks = []
        for d in (p.daughter1(), p.daughter2()):
            if d <= 0:
                continue
            dp = event[d]
            if dp.idAbs() == 5:
                quarks.append((dp.eta(), dp.phi()))
            elif dp.idAbs() == 24:
                w = event[dp.iBotCopyId()]
                for q in (w.daughter1(), w.daughter2()):
                    if q > 0 and event[q].idAbs() <= 5:
                        quarks.append((event[q].eta(), event[q].phi()))
        if len(quarks) == 3:
            tops.append((p.eta(), p.phi(), quarks))
    return tops


def _light_quark_only(event) -> bool:
    """The hard-process outgoing parton of qg -> Z q is u, d or s (the KMT recipe)."""
    for i in range(event.size()):
        p = event[i]
        if p.status() == -23 and p.idAbs() in (4, 5):
            return False
    return True


def generate_chunk(kind: str, label: int, seed: int, chunk: int, jets: int = CHUNK) -> list[dict]:
    """``jets`` jets of one class from one seeded chunk of events."""
    import fastjet
    import pythia8mc

    radius, pt_min, pt_max, rap_max, rap_kind = CUTS[kind]
    pythia = pythia8mc.Pythia("", False)
    for line in (
        _COMMON + RECIPES[(kind, label)] + [f"Random:seed = {(seed * 1_000_003 + chunk * 2 + label) % 900_000_000 + 1}"]
    ):
        if not pythia.readString(line):
            raise SymtokError(f"Pythia rejected setting {line!r}")
    if not pythia.init():
        raise SymtokError("Pythia failed to initialise")
    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    rows: list[dict] = []
    event_number = 0
    attempts = 0
    while len(rows) < jets:
        attempts += 1
        if attempts > 200 * jets:
            raise SymtokError(f"{kind} label {label}: too few events pass the cuts ({len(rows)} of {attempts})")
        if not pythia.next():
            continue
        event_number += 1
        event = pythia.event
        if kind == "qg" and label == 1 and not _light_quark_only(pythia.process):
            continue
        particles = []
        for i in range(event.size()):
            p = event[i]
            if p.isFinal() and p.isVisible():
                pj = fastjet.PseudoJet(p.px(), p.py(), p.pz(), p.e())
                pj.set_user_index(i)
                particles.append(pj)
        sequence = fastjet.ClusterSequence(particles, definition)
        found = fastjet.sorted_by_pt(sequence.inclusive_jets(pt_min * 0.5))
        if not found:
            continue
        jet = found[0]
        rapidity = jet.rap() if rap_kind == "y" else jet.eta()
        if not (pt_min <= jet.pt() <= pt_max and abs(rapidity) < rap_max):
            continue
        if kind == "top" and label == 1:
            tops = _hadronic_tops(event)
            if not any(
                _delta_r(jet.eta(), jet.phi_std(), te, tp) < radius
                and all(_delta_r(jet.eta(), jet.phi_std(), qe, qp) < radius for qe, qp in qs)
                for te, tp, qs in tops
            ):
                continue
        constituents = fastjet.sorted_by_pt(jet.constituents())
        rows.append(
            {
                "label": label,
                "jet_pt": jet.pt(),
                "jet_eta": jet.eta(),
                "jet_phi": jet.phi_std(),
                "jet_m": jet.m(),
                "pt": [c.pt() for c in constituents],
                "eta": [c.eta() for c in constituents],
                "phi": [c.phi_std() for c in constituents],
                "e": [c.e() for c in constituents],
                "pid": [event[c.user_index()].id() for c in constituents],
                "charge": [event[c.user_index()].charge() for c in constituents],
                "seed": seed,
                "chunk": chunk,
                "event": event_number,
            }
        )
    return rows


def _part_path(parts: Path, task: tuple[str, int, int, int, int]) -> Path:
    kind, label, seed, chunk, jets = task
    return parts / f"{kind}-label{label}-seed{seed}-chunk{chunk}-n{jets}.parquet"


def _task(args: tuple[Path, tuple[str, int, int, int, int]]) -> Path:
    """Generate one chunk and write it, atomically, as its own part file (so a killed run resumes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts, task = args
    path = _part_path(parts, task)
    table = pa.Table.from_pylist(generate_chunk(*task))
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path


@dataclass(frozen=True)
class JetReport:
    jets: int
    written: int
    seconds: float
    output: str
    resumed_chunks: int = 0

    @property
    def jets_per_second(self) -> float:
        return self.jets / self.seconds if self.seconds else float("inf")


def _plan(
    kind: str, n: int, out: Path, seed: int, append: bool
) -> tuple[list[tuple[str, int, int, int, int]], Path, object]:
    """The run's seeded chunks in output order, its part-file folder, and the table it appends to."""
    import pyarrow.parquet as pq

    if kind not in KINDS:
        raise SymtokError(f"kind must be one of {KINDS}")
    if n < 2:
        raise SymtokError("ask for at least 2 jets")
    existing = pq.read_table(out) if append and out.exists() else None
    first_chunk = (max(existing.column("chunk").to_pylist()) + 1) if existing is not None and existing.num_rows else 0
    per_label = n // 2
    tasks = []
    for label in (1, 0):
        chunks = math.ceil(per_label / CHUNK)
        for k in range(chunks):
            size = min(CHUNK, per_label - k * CHUNK)
            tasks.append((kind, label, seed, first_chunk + k, size))
    return tasks, out.with_name(out.name + ".parts"), existing


def generate_jets(
    kind: str,
    n: int,
    output: str | Path,
    *,
    workers: int = 1,
    seed: int = 0,
    append: bool = False,
    progress: bool = False,
    shard: tuple[int, int] | None = None,
) -> JetReport:
    """Write ``n`` jets (half of each label) of ``kind`` to Parquet, atomically; ``append`` adds new
    chunks after those already in the file (never repeating a (seed, chunk)).

    Each finished chunk is kept in ``OUTPUT.parts/`` until the output is written, so running the same
    command again after an interruption generates only the missing chunks (``resumed_chunks``).
    ``shard=(K, N)`` generates only every N-th chunk from the K-th (independent batch jobs sharing a
    filesystem) and writes no output: :func:`merge_jets` with the same arguments assembles it, exactly
    the events of a one-shot run with the same seed."""
    out = Path(output)
    tasks, parts, existing = _plan(kind, n, out, seed, append)
    mine = tasks if shard is None else shard_items(tasks, shard)
    parts.mkdir(parents=True, exist_ok=True)
    todo = [t for t in mine if not _part_path(parts, t).exists()]
    started = time.perf_counter()
    jobs = [(parts, t) for t in todo]
    done = len(mine) - len(todo)
    if workers > 1 and len(jobs) > 1:
        ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        with ctx.Pool(min(workers, len(jobs))) as pool:
            for _ in _bar(pool.imap_unordered(_task, jobs), len(mine), done, progress):
                pass
    else:
        for _ in _bar(map(_task, jobs), len(mine), done, progress):
            pass
    seconds = time.perf_counter() - started
    generated = sum(t[4] for t in todo)
    if shard is not None:
        return JetReport(generated, 0, seconds, str(parts), resumed_chunks=done)
    written = _assemble(tasks, parts, existing, out)
    return JetReport(generated, written, seconds, str(out), resumed_chunks=done)


def merge_jets(kind: str, n: int, output: str | Path, *, seed: int = 0, append: bool = False) -> JetReport:
    """Assemble the output of a sharded run (``generate_jets(..., shard=...)`` over every K of N) from
    its part files; refuses, naming how many, while any chunk is missing."""
    out = Path(output)
    started = time.perf_counter()
    tasks, parts, existing = _plan(kind, n, out, seed, append)
    missing = [t for t in tasks if not _part_path(parts, t).exists()]
    if missing:
        raise SymtokError(
            f"{len(missing)} of {len(tasks)} chunks are not in {parts} yet (e.g. {_part_path(parts, missing[0]).name}): "
            "run the missing shards first"
        )
    written = _assemble(tasks, parts, existing, out)
    return JetReport(0, written, time.perf_counter() - started, str(out))


def _assemble(tasks: list[tuple[str, int, int, int, int]], parts: Path, existing: object, out: Path) -> int:
    """Concatenate the part files in run order (appending to ``existing``), write atomically, clean up."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.concat_tables([pq.read_table(_part_path(parts, t)) for t in tasks])
    if existing is not None:
        table = pa.concat_tables([existing, table.cast(existing.schema)])
    with atomic_path(out) as tmp:
        pq.write_table(table, tmp)
    for t in tasks:
        _part_path(parts, t).unlink()
    if not any(parts.iterdir()):
        parts.rmdir()
    return table.num_rows


def _bar(items, total: int, done: int, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, initial=done, unit="chunk", desc="jets", dynamic_ncols=True)
