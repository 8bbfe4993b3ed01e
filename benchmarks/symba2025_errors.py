"""Where a squared-amplitude model's errors on the 2025 SYMBA held-out split come from, by what the
training split says about each wrong row's input (no decoding: it reads ``evaluate``'s rows.jsonl).

    symtok amplitudes squared evaluate ../shared/data/symba_qed_normalized_dev.csv \\
        --model data/models/squared-symba2025 --beam 4 -o runs/eval
    python benchmarks/symba2025_errors.py runs/eval/rows.jsonl [--order]

Each wrong row falls in one class, by its key (canonical tokens, with ``--order`` also the
amplitude's own index order: the model's input) and its amplitude text verbatim:
- verbatim in training, other target: the same string is a training row whose squared amplitude
  differs, so a model that reproduces its training rows cannot get this one;
- key with several training targets: the input does not decide between them;
- key in training once, with this target: the model failed on an input it was trained on;
- key in training once, other target (text differs): the input says another target;
- key not in training: generalisation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amplitudes.learn.squared_data import read_pairs
from symtok.vocab import Vocab

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CLASSES = (
    "verbatim in training, other target",
    "key with several training targets",
    "key in training once, with this target",
    "key in training once, other target",
    "key not in training",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", help="rows.jsonl written by `symtok amplitudes squared evaluate -o DIR`")
    ap.add_argument("--train", default=str(SHARED / "symba2025_train.csv"))
    ap.add_argument("--valid", default=str(SHARED / "symba_qed_normalized_dev.csv"))
    ap.add_argument("--order", action=argparse.BooleanOptionalAction, default=True, help="key includes the index order")
    args = ap.parse_args()
    vocab = Vocab.default()
    train = read_pairs(args.train, vocab, order=args.order).pairs
    valid = {p.line: p for p in read_pairs(args.valid, vocab, order=args.order).pairs}
    by_key: dict[tuple[int, ...], set[tuple[int, ...]]] = defaultdict(set)
    by_text: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    for p in train:
        by_key[p.source].add(p.target)
        by_text[p.amplitude].add(p.target)
    results = [json.loads(line) for line in Path(args.rows).read_text().splitlines() if line.strip()]
    missing = [r["line"] for r in results if r["line"] not in valid]
    if missing:
        sys.exit(f"{len(missing)} rows of {args.rows} are not rows of {args.valid} (e.g. line {missing[0]})")

    def verbatim_other(p) -> bool:
        return bool(by_text.get(p.amplitude)) and p.target not in by_text[p.amplitude]

    def cls(p) -> str:
        targets = by_key.get(p.source, set())
        if verbatim_other(p):
            return CLASSES[0]
        if len(targets) > 1:
            return CLASSES[1]
        if targets:
            return CLASSES[2] if p.target in targets else CLASSES[3]
        return CLASSES[4]

    wrong = [valid[r["line"]] for r in results if not r["exact"]]
    counts = Counter(cls(p) for p in wrong)
    blocked = sum(verbatim_other(p) for p in valid.values())
    n = len(results)
    print(
        f"{n} held-out rows, {len(wrong)} not exact ({100 * len(wrong) / n:.2f}%); key with index order: {args.order}"
    )
    print(f"{'class':<42} {'wrong rows':>10}")
    for c in CLASSES:
        print(f"{c:<42} {counts[c]:>10}")
    print(
        f"\n{blocked} held-out rows are verbatim training rows with another target: a model that reproduces"
        f" its training rows scores at most {100 * (n - blocked) / n:.2f}% exact"
    )


if __name__ == "__main__":
    main()
