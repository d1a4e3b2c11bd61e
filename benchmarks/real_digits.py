"""How well the shipped networks read digits that are not MNIST's, with and without the
MNIST-style preprocessing of :mod:`digitnet.preprocess`.

    python benchmarks/real_digits.py                  # 300 pictures per kind (about a minute)
    python benchmarks/real_digits.py --n 100 --mnist 2000

For each shipped network and each kind of picture (mouse-drawn strokes, typeset fonts, photos
of ink on paper, all from :mod:`digitnet.synthetic` with fixed seeds, and MNIST's own test
digits) the Markdown table shows the accuracy

* with preprocessing: :func:`digitnet.prediction.predict_prepared` after ``prepare`` (a refused
  picture counts as wrong),
* without: the whole picture in grey, resized to 28x28, inverted if its border is light
  (``preprocess.naive_input``); for MNIST this is the test image itself,

how many pictures were refused ("no digit found") and how many answers were unsure (not
``confident``), and the time ``prepare`` took per picture.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from digitnet import load_pretrained
from digitnet import preprocess as pp
from digitnet import synthetic as sy
from digitnet.data import load_mnist
from digitnet.modelfile import PRETRAINED
from digitnet.prediction import predict_prepared

SEEDS = {"strokes": 1001, "fonts": 2002, "photos": 3003}


def pictures(kind: str, n: int, mnist: int) -> tuple[list[Any], np.ndarray]:
    """The pictures of one kind and their labels."""
    if kind == "MNIST test":
        test = load_mnist().test
        return list(test.images[:mnist]), test.labels[:mnist]
    images, labels = sy.make_set(kind, n, seed=SEEDS[kind])
    return list(images), labels


def evaluate(n: int, mnist: int) -> list[dict[str, Any]]:
    """One row per (network, kind)."""
    nets = {name: load_pretrained(name) for name in PRETRAINED}
    rows: list[dict[str, Any]] = []
    for kind in (*sy.KINDS, "MNIST test"):
        images, labels = pictures(kind, n, mnist)
        start = time.perf_counter()
        prepared = [pp.prepare(image) for image in images]
        ms = 1000.0 * (time.perf_counter() - start) / len(images)
        naive = np.stack([pp.naive_input(image) for image in images])
        for name, net in nets.items():
            predictions = predict_prepared(net, prepared)
            answers = np.array([-1 if p.digit is None else p.digit for p in predictions])
            rows.append(
                {
                    "network": name,
                    "kind": kind,
                    "n": len(images),
                    "with": float(np.mean(answers == labels)),
                    "without": float(np.mean(net.predict(naive) == labels)),
                    "refused": float(np.mean([not p.prepared.found for p in predictions])),
                    "unsure": float(
                        np.mean([p.prepared.found and not p.confident for p in predictions])
                    ),
                    "ms": ms,
                }
            )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| network | pictures | n | accuracy with preprocessing | without | refused | unsure "
        "| ms per prepare |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['network']} | {r['kind']} | {r['n']} | {r['with']:.1%} | {r['without']:.1%} "
            f"| {r['refused']:.2%} | {r['unsure']:.2%} | {r['ms']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="synthetic pictures per kind")
    parser.add_argument("--mnist", type=int, default=10_000, help="MNIST test digits to use")
    args = parser.parse_args()
    print(markdown(evaluate(args.n, args.mnist)))


if __name__ == "__main__":
    main()
