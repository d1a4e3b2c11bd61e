"""How fast does digitnet learn and think, next to PyTorch on the same CPU, in the same run?

    python benchmarks/speed.py            # needs `pip install torch==2.13.0` for the comparison
    python benchmarks/speed.py --repeat 5 --threads 1

Measures, for the video's network 784-16-16-10 (sigmoid, quadratic cost, plain SGD):
- seconds per epoch over the 60,000 training images at mini-batch 10 and 32;
- the same epoch with `digitnet train`'s own recipe (plain SGD with softmax and
  cross-entropy), with the shipped `video`'s (Adam, `small` distortions) and with Adam
  without and with the `full` distortions, and how many times the plain-SGD epoch each takes
  (the distorted images are prepared by a process on the other core while the network
  learns, so on 2 idle cores distortions cost what that core cannot hide; each is the fastest
  of epochs 2 to 4 of a run, the first also starting that process);
- images per second of batch inference over the 10,000 test images;
for digitnet, for PyTorch (same network, batch size and thread count), and for a
per-example loop in the style of Nielsen's network.py (written here, one example at a time, in
float64, as a baseline). Prints a Markdown table; each figure is the best of --repeat runs.
Timings are noisy on shared machines: compare the ratios, which come from the same run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from digitnet import Network
from digitnet.data import load_mnist
from digitnet.recipe import Recipe
from digitnet.training import train

SIZES = [784, 16, 16, 10]


def best_of(repeat: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeat))


def digitnet_epoch(x: np.ndarray, y: np.ndarray, batch: int) -> float:
    net = Network(SIZES, seed=0)
    history = train(net, x, y, Recipe.preset("nielsen", epochs=1, batch_size=batch))
    return history[0].seconds


#: The recipes timed per epoch: what they are called, their preset, options changed.
RECIPES: list[tuple[str, str, dict[str, str]]] = [
    ("`digitnet train`'s recipe (plain SGD, softmax, cross-entropy)", "quick", {}),
    ("the same with the `small` distortions", "quick", {"augment": "small"}),
    ("the shipped `video`'s recipe (Adam, `small` distortions)", "video", {}),
    ("Adam without distortions", "video", {"augment": "none"}),
    ("Adam with the `full` distortions", "video", {"augment": "full"}),
]


def recipe_epoch(x: np.ndarray, y: np.ndarray, preset: str, options: dict[str, str]) -> float:
    """The fastest of epochs 2 to 4 of a preset's recipe over all of ``x`` (its BLAS threads:
    1); the first epoch also starts the process that distorts, and a run of several is what
    training is (this machine's noise only ever slows an epoch down)."""
    recipe = Recipe.preset(preset, epochs=4, validation_size=0, **options)
    net = Network(SIZES, "sigmoid", "softmax", "xavier", seed=0)
    return min(epoch.seconds for epoch in train(net, x, y, recipe)[1:])


def digitnet_inference(x: np.ndarray, batch: int, raw: bool = False) -> float:
    """Seconds to read ``x`` in batches; ``raw``: from the uint8 images, conversion included."""
    net = Network(SIZES, seed=0)
    inputs = x.reshape(-1, 784) if raw else net.as_input(x)
    start = time.perf_counter()
    for k in range(0, len(inputs), batch):
        net.predict_proba(inputs[k : k + batch])
    return time.perf_counter() - start


def loop_epoch(x: np.ndarray, y: np.ndarray, batch: int, limit: int = 6000) -> float:
    """A network.py-style epoch: backprop one example at a time (column vectors, float64).

    Runs on ``limit`` images and scales the time up to 60,000, to keep the benchmark short.
    """
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((m, n)) for n, m in zip(SIZES[:-1], SIZES[1:], strict=True)]
    biases = [rng.standard_normal((m, 1)) for m in SIZES[1:]]
    xs = x[:limit].reshape(-1, 784, 1).astype(np.float64) / 255.0
    ys = np.eye(10)[y[:limit]].reshape(-1, 10, 1)

    def sig(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    start = time.perf_counter()
    for k in range(0, limit, batch):
        nabla_w = [np.zeros_like(w) for w in weights]
        nabla_b = [np.zeros_like(b) for b in biases]
        for a, t in zip(xs[k : k + batch], ys[k : k + batch], strict=True):
            activations, zs = [a], []
            for w, b in zip(weights, biases, strict=True):
                z = w @ activations[-1] + b
                zs.append(z)
                activations.append(sig(z))
            delta = (activations[-1] - t) * sig(zs[-1]) * (1 - sig(zs[-1]))
            for i in range(len(weights) - 1, -1, -1):
                nabla_w[i] += delta @ activations[i].T
                nabla_b[i] += delta
                if i > 0:
                    s = sig(zs[i - 1])
                    delta = (weights[i].T @ delta) * s * (1 - s)
        for i in range(len(weights)):
            weights[i] -= 3.0 / batch * nabla_w[i]
            biases[i] -= 3.0 / batch * nabla_b[i]
    return (time.perf_counter() - start) * 60_000 / limit


def torch_functions(threads: int) -> tuple[Callable[..., float], Callable[..., float]] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)

    def make() -> torch.nn.Module:
        torch.manual_seed(0)
        layers: list[torch.nn.Module] = []
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
            layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
        return torch.nn.Sequential(*layers)

    def epoch(x: np.ndarray, y: np.ndarray, batch: int) -> float:
        net = make()
        xt = torch.from_numpy(x.reshape(-1, 784).astype(np.float32) / 255.0)
        yt = torch.nn.functional.one_hot(torch.from_numpy(y.astype(np.int64)), 10).float()
        opt = torch.optim.SGD(net.parameters(), lr=3.0)
        order = torch.randperm(len(xt))
        start = time.perf_counter()
        for k in range(0, len(xt), batch):
            idx = order[k : k + batch]
            out = net(xt[idx])
            loss = 0.5 * ((out - yt[idx]) ** 2).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    def inference(x: np.ndarray, batch: int, raw: bool = False) -> float:
        net = make()
        pixels = torch.from_numpy(x.reshape(-1, 784).copy())
        xt = pixels.float() / 255.0
        with torch.no_grad():
            start = time.perf_counter()
            for k in range(0, len(xt), batch):
                net(pixels[k : k + batch].float() / 255.0 if raw else xt[k : k + batch])
            return time.perf_counter() - start

    return epoch, inference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads for both")
    args = parser.parse_args()
    mnist = load_mnist()
    x, y = mnist.train.images, mnist.train.labels
    xt = mnist.test.images
    torch_fns = torch_functions(args.threads)
    rows: list[tuple[str, float, float | None, float | None, str]] = []
    with threadpool_limits(args.threads):
        for batch in (10, 32):
            ours = best_of(args.repeat, lambda b=batch: digitnet_epoch(x, y, b))
            theirs = (
                best_of(args.repeat, lambda b=batch: torch_fns[0](x, y, b)) if torch_fns else None
            )
            loop = loop_epoch(x, y, batch)
            rows.append((f"one epoch, 60,000 images, mini-batch {batch}", ours, theirs, loop, "s"))
        sgd = rows[-1][1]
        for name, preset, options in RECIPES:
            ours = best_of(args.repeat, lambda p=preset, o=options: recipe_epoch(x, y, p, o))
            what = f"one epoch, {name}, mini-batch 32"
            rows.append((what, ours, None, None, f"{ours / sgd:.2f}x the SGD epoch"))
        for batch in (1, 32, 10_000):
            ours = best_of(args.repeat, lambda b=batch: digitnet_inference(xt, b))
            theirs = (
                best_of(args.repeat, lambda b=batch: torch_fns[1](xt, b)) if torch_fns else None
            )
            what = "one batch" if batch == len(xt) else f"batches of {batch}"
            rows.append((f"inference, 10,000 test images in {what}", ours, theirs, None, "img/s"))
        ours = best_of(args.repeat, lambda: digitnet_inference(xt, len(xt), raw=True))
        theirs = (
            best_of(args.repeat, lambda: torch_fns[1](xt, len(xt), True)) if torch_fns else None
        )
        what = "inference in one batch from the uint8 images (conversion to float32 included)"
        rows.append((what, ours, theirs, None, "img/s"))

    print(
        f"Video's network 784-16-16-10, sigmoid, quadratic cost, SGD; {args.threads} thread(s).\n"
    )
    print("| task | digitnet | PyTorch 2.13 (CPU) | per-example loop | digitnet vs PyTorch |")
    print("| --- | --- | --- | --- | --- |")
    for name, ours, theirs, loop, unit in rows:
        if unit == "img/s":

            def fmt(s: float) -> str:
                return f"{10_000 / s:,.0f} img/s"
        else:

            def fmt(s: float) -> str:
                return f"{s:.3f} s"

        mark = "-" if unit.endswith("SGD epoch") else "not installed"
        if unit.endswith("SGD epoch"):
            ratio = unit
        elif theirs is None:
            ratio = "n/a"
        elif theirs >= ours:
            ratio = f"{theirs / ours:.1f}x faster"
        else:
            ratio = f"{ours / theirs:.1f}x slower"
        print(
            f"| {name} | {fmt(ours)} | {fmt(theirs) if theirs else mark} | "
            f"{fmt(loop) if loop else '-'} | {ratio} |"
        )


if __name__ == "__main__":
    main()
