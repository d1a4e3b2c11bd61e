"""What the knobs cost a run that is never paused: the same recipe trained with and without a
:class:`digitnet.knobs.Knobs` (asked before every mini-batch), alternately, on one BLAS thread.

    python benchmarks/knobs.py                 # 784-16-10, mini-batches of 10, 10,000 images
    python benchmarks/knobs.py --batch-size 32 --repeats 5

Prints the median seconds of each and their ratio (knobs / none), and checks that both ended
with the same weights.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from digitnet.data import load_mnist
from digitnet.knobs import Knobs
from digitnet.recipe import Recipe
from digitnet.runner import run_recipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="784,16,10")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    mnist = load_mnist()
    recipe = Recipe.preset(
        "page",
        layers=[int(n) for n in args.layers.split(",")],
        batch_size=args.batch_size,
        limit=args.limit,
        epochs=args.epochs,
        validation_size=1000,
    )
    times: dict[str, list[float]] = {"none": [], "knobs": []}
    weights: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name in ("none", "knobs"):
            started = time.perf_counter()
            net = run_recipe(recipe, mnist=mnist, knobs=Knobs() if name == "knobs" else None).net
            times[name].append(time.perf_counter() - started)
            weights[name] = net.weights[0]
    none, knobs = statistics.median(times["none"]), statistics.median(times["knobs"])
    batches = args.epochs * -(-args.limit // args.batch_size)
    print(f"{args.layers}, mini-batches of {args.batch_size}, {batches:,} mini-batches a run")
    print("| without knobs | with knobs | ratio |\n|---:|---:|---:|")
    print(f"| {none:.2f} s | {knobs:.2f} s | {knobs / none:.3f} |")
    print("same weights:", bool(np.array_equal(weights["none"], weights["knobs"])))


if __name__ == "__main__":
    main()
