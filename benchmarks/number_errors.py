"""Why whole numbers are misread: the count errors of :func:`digitnet.numbers.read_number`,
sorted by cause, on numbers composed by :mod:`digitnet.synthetic_numbers` (whose true digit
boxes are known).

    python benchmarks/number_errors.py                 # 100 numbers per set, both networks
    python benchmarks/number_errors.py --n 50 --seed 7 --net wide --show 5

Each digit read is matched to the true digit its box overlaps most (in columns). Then

* ``split: fragments``: a true digit read as several, already several pieces of ink before
  any cut (a 5's lifted bar, a dotted stroke not joined);
* ``split: over-cut``: a true digit read as several, one piece of ink cut by the reader;
* ``joined: touching, not cut``: several true digits read as one whose ink touches;
* ``joined: merged apart``: several true digits read as one although their ink is apart (the
  pieces were joined wrongly);
* ``missed``: a true digit nothing was read for (dropped as a speck); ``extra``: a digit read
  where there is none;
* ``wrong digit``: the count is right, a digit is misread.

The seeds differ from ``benchmarks/real_numbers.py``'s (its sets are held out for checking).
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

import numpy as np

from digitnet import load_pretrained
from digitnet import synthetic_numbers as sn
from digitnet.modelfile import PRETRAINED
from digitnet.numbers import read_number
from digitnet.preprocess import find_pieces

Box = tuple[int, int, int, int]


def dev_sets(n: int, seed: int) -> dict[str, tuple[list[Any], list[str], list[list[Box]]]]:
    """The numbers (pictures, texts, true boxes) per set, 3 to 6 digits."""
    out = {
        "pen drawings": sn.make_boxed_numbers(n, seed, (3, 6), hand="pen"),
        "pen drawings, photographed": sn.make_boxed_numbers(
            n, seed + 1, (3, 6), photo=True, hand="pen"
        ),
        "pen strokes": sn.make_boxed_numbers(n, seed + 2, (3, 6)),
        "pen strokes touching": sn.make_boxed_numbers(n, seed + 3, (3, 6), touching=1 / 3),
    }
    try:
        usps = sn.usps_digits()
    except FileNotFoundError:
        return out
    out["USPS scans"] = sn.make_boxed_numbers(n, seed + 4, (3, 6), inks=usps)
    out["USPS scans, photographed"] = sn.make_boxed_numbers(
        n, seed + 5, (3, 6), photo=True, inks=usps
    )
    return out


def column_overlap(a: Box, b: Box) -> int:
    """Columns shared by two (x0, y0, x1, y1) boxes."""
    return max(0, min(a[2], b[2]) - max(a[0], b[0]))


def owner(box: Box, truth: list[Box]) -> int | None:
    """The true digit whose columns ``box`` shares most (None: none)."""
    shares = [column_overlap(box, t) for t in truth]
    best = int(np.argmax(shares))
    return best if shares[best] > 0 else None


def causes(picture: Any, truth: list[Box], read: list[Box], number: str, text: str) -> list[str]:
    """What went wrong with one number (empty when it was read right)."""
    if number == text:
        return []
    if len(number) == len(text):
        return ["wrong digit"]
    found = find_pieces(picture)
    scale = picture.size[0] / found.steps[0].image.shape[1]
    pieces = [
        (
            int(p.box[1] * scale),
            int(p.box[0] * scale),
            int(p.box[3] * scale),
            int(p.box[2] * scale),
        )
        for p in found.pieces
    ]
    out: list[str] = []
    owners = [owner(b, truth) for b in read]
    counts = Counter(o for o in owners if o is not None)
    out += ["extra"] * sum(o is None for o in owners)
    for digit, k in counts.items():
        if k > 1:
            ink = sum(owner(p, truth) == digit for p in pieces)
            out.append("split: fragments" if ink > 1 else "split: over-cut")
    for box in read:
        centres = [i for i, t in enumerate(truth) if box[0] <= (t[0] + t[2]) / 2 < box[2]]
        if len(centres) > 1:
            apart = any(
                sum(p[0] <= (truth[i][0] + truth[i][2]) / 2 < p[2] for i in centres) < len(centres)
                for p in pieces
                if column_overlap(p, box) > 0
            )
            out.append("joined: merged apart" if apart else "joined: touching, not cut")
    seen = {o for o in owners if o is not None}
    covered = {i for b in read for i, t in enumerate(truth) if column_overlap(b, t) > 0}
    out += ["missed"] * len(set(range(len(truth))) - seen - covered)
    return out or ["other"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="numbers per set")
    parser.add_argument("--seed", type=int, default=500, help="the first seed")
    parser.add_argument("--net", choices=PRETRAINED, nargs="*", default=list(PRETRAINED))
    parser.add_argument("--show", type=int, default=0, help="list this many misreadings a set")
    args = parser.parse_args()
    nets = {name: load_pretrained(name) for name in args.net}
    for kind, (pictures, texts, boxes) in dev_sets(args.n, args.seed).items():
        for name, net in nets.items():
            tally: Counter[str] = Counter()
            shown, right, counted = 0, 0, 0
            for picture, text, truth in zip(pictures, texts, boxes, strict=True):
                reading = read_number(picture, net)
                number = reading.number
                right += number == text
                counted += len(number) == len(text)
                found = causes(picture, truth, [d.box for d in reading.digits], number, text)
                tally.update(found)
                if found and found != ["wrong digit"] and shown < args.show:
                    print(f"    {text} read {number!r}: {', '.join(found)}")
                    shown += 1
            n = len(texts)
            summary = ", ".join(f"{c} {k}" for c, k in sorted(tally.items()))
            print(
                f"{name:5} {kind:28} whole {right / n:6.1%}  count {counted / n:6.1%}  | {summary}",
                flush=True,
            )


if __name__ == "__main__":
    main()
