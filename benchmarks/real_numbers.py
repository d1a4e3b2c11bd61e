"""How well the shipped networks read whole numbers (``digitnet read``,
:func:`digitnet.numbers.read_number`).

    python benchmarks/real_numbers.py               # 200 numbers per set (a few minutes)
    python benchmarks/real_numbers.py --n 50

Numbers of 3 to 6 digits are composed by :mod:`digitnet.synthetic_numbers`: digits side by
side with heights varying by up to a quarter, wandering baselines and gaps from a slight
overlap (4% of the height) to wide (60%), drawn (dark ink on white) or photographed (uneven
light, blur, noise, JPEG). The sets, each with its fixed seed (the reader's constants were
chosen on other seeds, with ``benchmarks/number_errors.py``):

* ``pen drawings``: digits as people draw them (:func:`digitnet.synthetic.pen_digit`: many
  writers' hands and styles, thin to fat pens), each digit of a number by another writer;
* ``pen strokes``: the easy pen strokes of :func:`digitnet.synthetic.stroke_digit`;
  ``... touching``: the same, a third of the digits overlapping their neighbour (3-8% of
  the height), so that their ink touches;
* ``USPS scans``: real handwritten digits from ``../shared/usps`` (measured only, never
  trained on).

For each network and set the Markdown table shows the share of numbers read whole and right,
of numbers with the right count of digits, of digits right in the numbers counted right, and
the time per number.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from digitnet import load_pretrained
from digitnet import synthetic_numbers as sn
from digitnet.modelfile import PRETRAINED
from digitnet.numbers import read_number


def sets(n: int) -> dict[str, tuple[list[Any], list[str]]]:
    """The pictures and their numbers, per set."""
    lengths = (3, 6)
    out = {
        "pen drawings, drawn": sn.make_numbers(n, seed=106, lengths=lengths, hand="pen"),
        "pen drawings, photographed": sn.make_numbers(
            n, seed=107, lengths=lengths, photo=True, hand="pen"
        ),
        "pen strokes, drawn": sn.make_numbers(n, seed=101, lengths=lengths),
        "pen strokes, photographed": sn.make_numbers(n, seed=102, lengths=lengths, photo=True),
        "pen strokes touching, drawn": sn.make_numbers(
            n, seed=103, lengths=lengths, touching=1 / 3
        ),
    }
    try:
        usps = sn.usps_digits()
    except FileNotFoundError:
        print(f"(no USPS scans at {sn.USPS_FILE}: those sets are left out)")
        return out
    out["USPS scans, drawn"] = sn.make_numbers(n, seed=104, lengths=lengths, inks=usps)
    out["USPS scans, photographed"] = sn.make_numbers(
        n, seed=105, lengths=lengths, inks=usps, photo=True
    )
    return out


def evaluate(n: int) -> list[dict[str, Any]]:
    """One row per (network, set)."""
    nets = {name: load_pretrained(name) for name in PRETRAINED}
    rows: list[dict[str, Any]] = []
    for kind, (pictures, texts) in sets(n).items():
        for name, net in nets.items():
            start = time.perf_counter()
            read = [read_number(p, net).number for p in pictures]
            ms = 1000.0 * (time.perf_counter() - start) / len(pictures)
            counted = [(r, t) for r, t in zip(read, texts, strict=True) if len(r) == len(t)]
            digits = [a == b for r, t in counted for a, b in zip(r, t, strict=True)]
            rows.append(
                {
                    "network": name,
                    "set": kind,
                    "n": len(texts),
                    "whole": float(np.mean([r == t for r, t in zip(read, texts, strict=True)])),
                    "count": len(counted) / len(texts),
                    "digits": float(np.mean(digits)) if digits else 0.0,
                    "ms": ms,
                }
            )
            print(markdown(rows[-1:], header=not rows[:-1]), flush=True)
    return rows


def markdown(rows: list[dict[str, Any]], header: bool = True) -> str:
    """The rows as a Markdown table."""
    lines = (
        [
            "| network | numbers | n | whole number right | count of digits right "
            "| digits right (count right) | ms per number |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        if header
        else []
    )
    for r in rows:
        lines.append(
            f"| {r['network']} | {r['set']} | {r['n']} | {r['whole']:.1%} | {r['count']:.1%} "
            f"| {r['digits']:.1%} | {r['ms']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="numbers per set")
    args = parser.parse_args()
    evaluate(args.n)


if __name__ == "__main__":
    main()
