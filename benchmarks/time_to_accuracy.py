"""How many seconds until a network reads MNIST's test digits this well: digitnet and PyTorch,
the same networks and recipes, in the same run.

    python benchmarks/time_to_accuracy.py          # digitnet train's recipe to 95-96%, video's
                                                   # to 97%, a wide network to 99%
    python benchmarks/time_to_accuracy.py --quick  # digitnet train's recipe only (a minute)

For every row both learn the same network from the same initial weights (digitnet's, copied
into PyTorch), with the same recipe: the same optimizer (plain SGD or Adam), learning-rate
schedule (cosine, set per epoch), mini-batch size, BLAS/torch threads, and the same shuffled
(and, if the recipe says so, deslanted and distorted) training images, from digitnet's batch
maker (the next images are prepared on the other core while the network learns, for both).
After every epoch both are measured on the 10,000 test images (deslanted too, if the recipe
says so); that is left out of the time, which counts training only, until the first epoch
that reaches the accuracy. Deslanting is done once before both runs and is not counted either
(see the README for ``digitnet train``'s whole time). PyTorch is optional (``pip install
torch==2.13.0``). Timings are noisy on a shared machine: compare the two columns, which come
from the same run.
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from digitnet.augment import augmentation_for
from digitnet.batches import BatchMaker
from digitnet.data import MNIST, load_mnist
from digitnet.network import Network
from digitnet.optimizers import learning_rate_at
from digitnet.recipe import Recipe
from digitnet.runner import Split, build_network, split_data
from digitnet.training import EpochMetrics, choose_threads, train


@dataclass
class Task:
    """A network, the recipe it learns with, and the test accuracies to time."""

    name: str
    recipe: Recipe
    targets: tuple[float, ...]


@dataclass
class Result:
    """How one framework did on a task: seconds of training until each target (None: not
    reached), the best test accuracy and the epochs run."""

    framework: str
    reached: dict[float, float | None] = field(default_factory=dict)
    best: float = 0.0
    epochs: int = 0
    seconds: float = 0.0


#: The video's network (784-16-16-10, sigmoid) with `digitnet train`'s recipe, longer (96% is
#: near what 16 + 16 neurons can learn without a teacher); a wide ReLU network with the shipped
#: `wide` recipe, narrower and shorter to be quicker.
QUICK = Recipe.preset("quick")
VIDEO = Recipe.preset("video")
WIDE = Recipe.preset("wide", layers=[784, 512, 512, 10], epochs=20, preprocessing="none")
TASKS = {
    "full": [
        Task("the video's network 784-16-16-10", QUICK, (0.95, 0.957, 0.96)),
        Task("the video's network 784-16-16-10", VIDEO, (0.96, 0.97)),
        Task("a wide network 784-512-512-10 (ReLU)", WIDE, (0.99,)),
    ],
    "quick": [Task("the video's network 784-16-16-10", QUICK, (0.95, 0.957, 0.96))],
}


def threads_for(recipe: Recipe) -> int:
    """The BLAS threads digitnet trains ``recipe``'s network with; PyTorch gets as many."""
    chosen = choose_threads(build_network(recipe), recipe.batch_size, recipe.threads)
    return chosen or os.cpu_count() or 1


class Stopwatch:
    """Adds up training seconds and notes when the test accuracy first reaches each target."""

    def __init__(self, framework: str, targets: tuple[float, ...]) -> None:
        self.result = Result(framework, dict.fromkeys(targets))

    def epoch(self, seconds: float, accuracy: float) -> bool:
        """Note an epoch; True when every target is reached."""
        r = self.result
        r.seconds += seconds
        r.epochs += 1
        r.best = max(r.best, accuracy)
        for target, when in r.reached.items():
            if when is None and accuracy >= target:
                r.reached[target] = r.seconds
        return all(when is not None for when in r.reached.values())


def run_digitnet(task: Task, split: Split) -> Result:
    """Train with digitnet until every target is reached or the recipe's epochs are done."""
    watch = Stopwatch("digitnet", task.targets)
    stop = threading.Event()
    test_x, test_y = split.test.images, split.test.labels

    def on_epoch(metrics: EpochMetrics, net: Network) -> None:
        if not stop.is_set() and watch.epoch(metrics.seconds, net.accuracy(test_x, test_y)):
            stop.set()

    net = build_network(task.recipe)
    data = split.train
    train(net, data.images, data.labels, task.recipe, on_epoch=on_epoch, stop=stop)
    return watch.result


def run_torch(task: Task, split: Split) -> Result | None:
    """The same with PyTorch (None if it is not installed): same initial weights, recipe,
    threads and training images."""
    try:
        import torch
    except ImportError:
        return None
    r = task.recipe
    if (r.output_activation, r.cost) != ("softmax", "cross_entropy") or r.optimizer not in (
        "sgd",
        "adam",
    ):
        raise ValueError("the PyTorch side knows softmax, cross-entropy, SGD and Adam only")
    torch.set_num_threads(threads_for(r))
    start_net = build_network(r)
    hidden = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    layers: list[torch.nn.Module] = []
    for i, (w, b) in enumerate(zip(start_net.weights, start_net.biases, strict=True)):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(start_net.weights) - 1:
            layers.append(hidden[r.hidden_activation]())
    model = torch.nn.Sequential(*layers)
    optimizer = (
        torch.optim.Adam(model.parameters(), lr=r.learning_rate, eps=1e-8)
        if r.optimizer == "adam"
        else torch.optim.SGD(model.parameters(), lr=r.learning_rate)
    )
    data = split.train
    x = start_net.as_input(data.images)
    labels = torch.from_numpy(data.labels.astype(np.int64))
    test_x = torch.from_numpy(start_net.as_input(split.test.images))
    test_y = torch.from_numpy(split.test.labels.astype(np.int64))
    watch = Stopwatch("PyTorch 2.13", task.targets)
    rng = np.random.default_rng(r.seed)
    with BatchMaker(x, r.batch_size, rng, augmentation_for(r.augment), r.epochs) as maker:
        for e in range(r.epochs):
            lr = learning_rate_at(
                e, r.learning_rate, r.schedule, r.epochs, r.step_every, r.step_factor
            )
            for group in optimizer.param_groups:
                group["lr"] = lr
            started = time.perf_counter()
            for chunk in maker.epoch():
                images = torch.from_numpy(chunk.images)
                wanted = labels[torch.from_numpy(chunk.rows)]
                for s in range(0, len(chunk.rows), r.batch_size):
                    loss = torch.nn.functional.cross_entropy(
                        model(images[s : s + r.batch_size]), wanted[s : s + r.batch_size]
                    )
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
            seconds = time.perf_counter() - started
            with torch.no_grad():
                accuracy = float((model(test_x).argmax(1) == test_y).float().mean())
            if watch.epoch(seconds, accuracy):
                break
    return watch.result


def race(
    tasks: list[Task],
    mnist: MNIST,
    torch_too: bool = True,
    on_result: Callable[[Task, Result], None] | None = None,
) -> list[tuple[Task, Result]]:
    """Every task with digitnet, then with PyTorch (if installed and ``torch_too``);
    ``on_result`` hears of each result as it comes."""
    results = []
    runners: list[Callable[[Task, Split], Result | None]] = [run_digitnet]
    if torch_too:
        runners.append(run_torch)
    for task in tasks:
        split = split_data(task.recipe, mnist)  # deslanted once, if the recipe says so
        for runner in runners:
            with threadpool_limits(threads_for(task.recipe), user_api="blas"):
                result = runner(task, split)
            if result is not None:
                results.append((task, result))
                if on_result is not None:
                    on_result(task, result)
    return results


def table(results: list[tuple[Task, Result]]) -> str:
    """The Markdown table of the README's speed section."""

    def seconds(value: float | None, result: Result) -> str:
        if value is None:
            return f"not in {result.epochs} epochs (best {result.best:.2%})"
        return f"{value:.1f} s"

    lines = [
        "| network | recipe | test accuracy | framework | seconds of training | epochs run |",
        "| --- | --- | --- | --- | ---: | ---: |",
    ]
    for task, result in results:
        r = task.recipe
        recipe = (
            f"{r.optimizer}, lr {r.learning_rate:g} {r.schedule}, batch {r.batch_size}, "
            f"augment {r.augment}, {r.epochs} epochs on {r.limit or 60_000 - r.validation_size:,} "
            f"images{', deslanted' if r.preprocessing == 'deslant' else ''}"
        )
        for target, when in result.reached.items():
            lines.append(
                f"| {task.name} | {recipe} | {target:.1%} | {result.framework} | "
                f"{seconds(when, result)} | {result.epochs} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the video's network to 95%% only")
    parser.add_argument("--no-torch", action="store_true", help="digitnet only")
    args = parser.parse_args()
    mnist = load_mnist()
    tasks = TASKS["quick" if args.quick else "full"]
    started = time.perf_counter()

    def progress(task: Task, result: Result) -> None:
        print("\n".join(table([(task, result)]).splitlines()[2:]), flush=True)

    results = race(tasks, mnist, torch_too=not args.no_torch, on_result=progress)
    print(table(results))
    print(f"\n({math.ceil(time.perf_counter() - started)} s in all, on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
