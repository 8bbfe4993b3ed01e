"""What the 2025 SYMBA benchmark allows, measured on canonical tokens (no model involved):

- how many training and held-out amplitudes are distinct once index names and factor order are
  canonical, and how many held-out amplitudes occur in training (verbatim and canonically);
- a lookup table (the most frequent training target of each canonical amplitude) as a baseline;
- ambiguity: canonical amplitudes whose training rows have two or more squared amplitudes that are
  not numerically equivalent (the benchmark dropped the process header, where OffShell legs are
  written), and the ceiling that ambiguity puts on any function of the amplitude alone.

    python benchmarks/symba2025_ceiling.py [--train CSV] [--valid CSV] [--legs]

``--legs`` keys each row by its amplitude and its OffShell legs (read from SYMBA rows' interaction
field, as a model trained with ``source_legs`` sees it): on generated SYMBA rows
(``split_generated``) that removes the ambiguity; the benchmark's CSV has no header to read them from.
``--order`` keys each row by its amplitude and the amplitude's own index order (``source_order``:
ranks of the input's index names, no names).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symtok
from amplitudes.learn.squared_data import read_pairs
from symtok.equivalence import equivalent
from symtok.vocab import Vocab

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(SHARED / "symba2025_train.csv"))
    ap.add_argument("--valid", default=str(SHARED / "symba_qed_normalized_dev.csv"))
    ap.add_argument("--legs", action="store_true", help="the model input includes each row's OffShell legs")
    ap.add_argument("--order", action="store_true", help="the model input includes the amplitude's own index order")
    args = ap.parse_args()
    vocab = Vocab.default()
    train = read_pairs(args.train, vocab, order=args.order, legs=args.legs).pairs
    valid = read_pairs(args.valid, vocab, order=args.order, legs=args.legs).pairs
    targets: dict[tuple[int, ...], Counter] = defaultdict(Counter)
    for p in train:
        targets[p.source][p.target] += 1
    texts = {p.amplitude for p in train}

    def expr(ids: tuple[int, ...]):
        return symtok.detokenize(vocab.decode(list(ids)))

    ambiguous = set()
    for source, counts in targets.items():
        distinct = list(counts)
        first = expr(distinct[0])
        if any(not equivalent(first, expr(t)) for t in distinct[1:]):
            ambiguous.add(source)
    lookup = sum(1 for p in valid if p.source in targets and targets[p.source].most_common(1)[0][0] == p.target)
    seen_canonical = sum(p.source in targets for p in valid)
    seen_text = sum(p.amplitude in texts for p in valid)
    in_ambiguous = [p for p in valid if p.source in ambiguous]
    by_source: dict[tuple[int, ...], Counter] = defaultdict(Counter)
    for p in valid:
        by_source[p.source][p.target] += 1
    ceiling = sum(c.most_common(1)[0][1] for c in by_source.values())
    everything: dict[tuple[int, ...], Counter] = defaultdict(Counter)
    for p in [*train, *valid]:
        everything[p.source][p.target] += 1
    whole = sum(c.most_common(1)[0][1] for c in everything.values())
    n = len(valid)
    print(
        f"training rows {len(train)}: {len(texts)} distinct amplitude texts, {len(targets)} distinct canonical amplitudes"
    )
    print(f"  canonical amplitudes with non-equivalent squared amplitudes: {len(ambiguous)}")
    print(f"held-out rows {n}")
    print(f"  amplitude text also in training:      {seen_text:5d} ({100 * seen_text / n:.1f}%)")
    print(f"  canonical amplitude also in training: {seen_canonical:5d} ({100 * seen_canonical / n:.1f}%)")
    print(f"  canonical amplitude ambiguous in training: {len(in_ambiguous):5d} ({100 * len(in_ambiguous) / n:.1f}%)")
    print(f"lookup table (most frequent training target), exact match: {lookup}/{n} = {100 * lookup / n:.2f}%")
    print(
        f"ceiling of any function of the canonical amplitude on this split (its own majority labels): "
        f"{ceiling}/{n} = {100 * ceiling / n:.2f}%"
    )
    print(
        f"the same over training and held-out rows together: {whole}/{len(train) + n} = "
        f"{100 * whole / (len(train) + n):.2f}%"
    )


if __name__ == "__main__":
    main()
