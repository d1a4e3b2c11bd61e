"""Adam a block at a time against whole arrays: one epoch of a wide network, in the same run.

    python benchmarks/optimizer_blocks.py                  # 784-1024-1024-10, 3 rounds
    python benchmarks/optimizer_blocks.py --layers 784,512,512,10 --repeat 5

Adam makes eleven passes over every parameter per mini-batch. `digitnet.optimizers` makes
them over blocks of `BLOCK` numbers, so that after the first pass a block is still in the
core's cache; with a block larger than the network it makes them over the whole arrays, as
before. This times one epoch of the shipped `wide`'s recipe (ReLU, Adam 0.001, mini-batch
128) over MNIST's 60,000 training images, without distortions or deslanting (they cost the
same either way), one BLAS thread, the two ways alternately (each the second epoch of a run),
and checks that both give the same weights, bit for bit. Prints a Markdown table.
"""

from __future__ import annotations

import argparse

import numpy as np
from threadpoolctl import threadpool_limits

import digitnet.optimizers as optimizers
from digitnet import Network
from digitnet.data import load_mnist
from digitnet.recipe import Recipe
from digitnet.training import train

WAYS = {"whole arrays (as before)": 2**62, "blocks": optimizers.BLOCK}


def epoch(x: np.ndarray, y: np.ndarray, sizes: list[int], block: int) -> tuple[float, Network]:
    """Seconds of the second of two epochs with Adam's block ``block``, and the network."""
    optimizers.BLOCK = block
    recipe = Recipe.preset(
        "wide",
        layers=sizes,
        epochs=2,
        validation_size=0,
        augment="none",
        flagged_ones=0.0,
        preprocessing="none",
        threads=1,
    )
    net = Network(sizes, "relu", "softmax", "he", seed=0)
    return train(net, x, y, recipe)[1].seconds, net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", default="784,1024,1024,10", help="the network's sizes")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each times both ways")
    args = parser.parse_args()
    sizes = [int(s) for s in args.layers.split(",")]
    mnist = load_mnist()
    x, y = mnist.train.images, mnist.train.labels
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    with threadpool_limits(1):
        for _ in range(args.repeat):
            nets = []
            for way, block in WAYS.items():
                took, net = epoch(x, y, sizes, block)
                seconds[way].append(took)
                nets.append(net)
            first, second = (n.weights + n.biases for n in nets)
            if not all(np.array_equal(a, b) for a, b in zip(first, second, strict=True)):
                raise SystemExit("the two ways gave different weights")
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    base = float(np.median(seconds[next(iter(WAYS))]))
    print(f"One epoch of {args.layers} ({params:,} parameters), Adam, mini-batch 128, 1 thread;")
    print("both ways gave the same weights, bit for bit.\n")
    print("| Adam's passes over | best epoch | median epoch | vs whole arrays |")
    print("| --- | ---: | ---: | ---: |")
    for way, times in seconds.items():
        median = float(np.median(times))
        print(f"| {way} | {min(times):.2f} s | {median:.2f} s | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
