"""What is left of the 2025 SYMBA benchmark once each prediction is checked against its own amplitude:
the benchmark's CSV dropped the process header, and with it which external legs are OffShell
(p_i^2 = s_ii); the amplitude text shows that only where s_ii enters a propagator. This measures,
on the held-out split, how many of the model's answers are correct squared amplitudes of their
amplitude for some OffShell assignment, where the reference sits in the beam when the answer is
not the reference, and what verified decoding gives with the legs read from s_ii (all the CSV
allows) and with the legs stated as a raw row's header states them (read here from the reference:
an oracle for this analysis, not a benchmark figure).

    python benchmarks/symba2025_offshell.py [--model DIR] [--beam 4] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symtok
from amplitudes.learn.squared import decode_beams, load_squared
from amplitudes.learn.squared_data import read_pairs
from amplitudes.learn.squared_verify import amplitude_check, choose
from amplitudes.physics.verify import offshell_in
from symtok.equivalence import equivalent
from symtok.files import write_json

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "data" / "models" / "squared-symba2025"))
    ap.add_argument("--valid", default=str(SHARED / "symba_qed_normalized_dev.csv"))
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    started = time.perf_counter()
    model, vocab, config = load_squared(args.model)
    data = read_pairs(
        args.valid,
        vocab,
        order=config.source_order,
        legs=config.source_legs,
        max_source_len=config.model.max_source_len,
        max_target_len=config.model.max_target_len,
    )
    pairs = data.pairs[: args.limit] if args.limit else data.pairs
    beams = decode_beams(model, [p.source for p in pairs], beam=args.beam, vocab=vocab)
    n = len(pairs)
    tally: Counter = Counter()
    reference_rank: Counter = Counter()
    for pair, hyps in zip(pairs, beams, strict=True):
        reference = symtok.detokenize(vocab.decode(list(pair.target)))
        amplitude = symtok.parse(pair.amplitude)
        stated = tuple(sorted(offshell_in(reference) | offshell_in(amplitude)))  # the oracle's legs
        inferred, known = amplitude_check(pair.amplitude), amplitude_check(pair.amplitude, stated)
        if inferred is None or known is None:
            tally["uncheckable"] += 1
            continue
        best = hyps[0]
        predicted = symtok.detokenize(vocab.decode(list(best.ids)))
        exact = best.ids == pair.target
        same = exact or equivalent(predicted, reference)
        tally["best exact"] += exact
        tally["best equivalent"] += same
        tally["best passes (its own legs)"] += inferred.accepts(predicted)
        tally["reference passes (its own legs)"] += inferred.accepts(reference)
        if not same:
            rank = next((r for r, h in enumerate(hyps) if h.ids == pair.target), None)
            reference_rank["not in beam" if rank is None else f"rank {rank}"] += 1
        for name, check in (("verified, legs from s_ii", inferred), ("verified, legs stated (oracle)", known)):
            choice = choose(vocab, hyps, check)
            chosen_exact = choice.ids == pair.target
            tally[f"{name}: exact"] += chosen_exact
            tally[f"{name}: equivalent"] += chosen_exact or equivalent(
                symtok.detokenize(vocab.decode(list(choice.ids))), reference
            )
    figures = {k: v / n for k, v in sorted(tally.items())}
    figures |= {"rows": n, "beam": args.beam, "model": args.model, "seconds": time.perf_counter() - started}
    figures["reference rank of wrong rows"] = dict(reference_rank)
    print(f"| {n} held-out rows, beam {args.beam} | % |")
    print("|---|---:|")
    for key, value in sorted(tally.items()):
        print(f"| {key} | {100 * value / n:.2f} |")
    print(f"wrong (not equivalent) rows by the reference's place in the beam: {dict(reference_rank)}")
    print(f"{figures['seconds']:.0f} s")
    if args.json:
        write_json(args.json, figures)


if __name__ == "__main__":
    main()
