"""Teaching: fine-tune a copy of a network on a person's digits, without forgetting MNIST.

A few dozen digits are far too few to learn from alone: a network fed only them would soon
read everything as one of them. So every mini-batch mixes some of *your digits* (each slightly
shifted, turned and scaled, so that the network learns the digit rather than its exact pixels)
with MNIST training digits (*replay*: it keeps practising what it knew). Some of your digits
are held out of the run: how many of those it reads before and after says whether it learnt
your handwriting or only memorised the examples.

:func:`teach` does it all: split, measure, fine-tune, measure again. The same seed gives the
same result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from digitnet.augment import augment_batch, augmentation_for
from digitnet.costs import Cost, get_cost
from digitnet.data import Dataset, images_to_inputs, load_mnist
from digitnet.errors import DigitnetError
from digitnet.network import DTYPE, Network
from digitnet.optimizers import Adam
from digitnet.slant import inputs_for

Array = NDArray[np.float32]

#: Defaults of a teaching run (``digitnet teach``'s options and the page's Teach button).
EPOCHS = 100  # passes over your digits (at most MAX_BATCHES mini-batches)
# MNIST training digits in each mini-batch (measured with benchmarks/teach.py: 56 let the
# deslanted `video` forget up to 0.6 points of MNIST test, 200 at most 0.3)
REPLAY = 200
PER_BATCH = 8  # your digits in each mini-batch
HOLDOUT = 0.2  # fraction of your digits held out of the run
LEARNING_RATE = 0.0005  # Adam's step size: small, so the network changes only a little
MAX_BATCHES = 400  # a run never takes more mini-batches than this (a few seconds)
#: How much your digits are distorted at each use: small shifts, turns and size changes.
DISTORTION = "small"
#: Most first-layer weights reported as having moved the most.
TOP_MOVED = 16
#: The replayed MNIST digits' wanted outputs: this much of the network's own outputs before
#: teaching, the rest the digit's label, so that it changes its mind on MNIST as little as
#: it can (Hinton et al.'s distillation, with the network as its own teacher).
KEEP = 0.5


@dataclass
class Split:
    """Indices of the digits taught and of those held out of the run."""

    taught: NDArray[np.int64]
    held_out: NDArray[np.int64]


def split_held_out(labels: NDArray[np.int64], fraction: float, seed: int) -> Split:
    """Hold out ``floor(fraction * n)`` digits, spread over the kinds: never the only example
    of a digit, and from the digits with most examples first; the rest are taught."""
    n = len(labels)
    if not 0.0 <= fraction < 1.0:
        raise DigitnetError(f"the held-out fraction must be at least 0 and below 1, got {fraction}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    rank = np.zeros(n, np.int64)  # the how-many-th example of its digit, in shuffled order
    seen: dict[int, int] = {}
    for i in order:
        rank[i] = seen.get(int(labels[i]), 0)
        seen[int(labels[i])] = rank[i] + 1
    candidates = [int(i) for i in order if rank[i] > 0]
    candidates.sort(key=lambda i: -rank[i])  # stable: the shuffled order breaks ties
    held = np.array(sorted(candidates[: int(fraction * n)]), np.int64)
    taught = np.setdiff1d(np.arange(n), held)
    return Split(taught.astype(np.int64), held)


@dataclass
class Score:
    """How many of a set of digits a network reads right."""

    right: int
    total: int

    @property
    def accuracy(self) -> float | None:
        return self.right / self.total if self.total else None

    def __str__(self) -> str:
        if not self.total:
            return "none"
        return f"{self.right} of {self.total} ({100.0 * self.right / self.total:.1f}%)"


def score(net: Network, x: Array, labels: NDArray[np.int64]) -> Score:
    """The :class:`Score` of ``net`` on inputs ``x`` (n, 784) with ``labels``."""
    if not len(labels):
        return Score(0, 0)
    return Score(int(np.sum(net.predict(x) == labels)), len(labels))


@dataclass
class Progress:
    """Where a run is: after ``batch`` of ``batches`` mini-batches, the cost on the taught
    digits and how many of them it reads right."""

    batch: int
    batches: int
    cost: float
    taught_right: int
    taught: int


@dataclass
class Moved:
    """A first-layer weight that moved: neuron, pixel (row, column), before and after."""

    neuron: int
    pixel: int
    row: int
    column: int
    before: float
    after: float


@dataclass
class TeachResult:
    """Everything a teaching run did and measured. ``net`` is the taught copy."""

    net: Network = field(repr=False)
    split: Split = field(repr=False)
    cost: str
    batches: int
    seconds: float
    taught_before: Score
    taught_after: Score
    held_out_before: Score
    held_out_after: Score
    mnist_before: Score
    mnist_after: Score
    cost_before: float
    cost_after: float
    moved: list[Moved]
    change: Array = field(repr=False)  # first-layer weight change (neurons, 784)

    def summary(self) -> dict[str, Any]:
        """The numbers as JSON values (no network, no arrays)."""
        return {
            "cost": self.cost,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "taught": len(self.split.taught),
            "held_out": len(self.split.held_out),
            "taught_before": asdict(self.taught_before),
            "taught_after": asdict(self.taught_after),
            "held_out_before": asdict(self.held_out_before),
            "held_out_after": asdict(self.held_out_after),
            "mnist_before": asdict(self.mnist_before),
            "mnist_after": asdict(self.mnist_after),
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "moved": [asdict(m) for m in self.moved],
        }


def cost_name(net: Network) -> str:
    """The cost the network was trained with (its recipe's), else the video's quadratic cost."""
    training = net.metadata.get("training")
    name = training.get("cost") if isinstance(training, dict) else None
    return name if isinstance(name, str) and name in ("quadratic", "cross_entropy") else "quadratic"


def cost_on(net: Network, x: Array, labels: NDArray[np.int64], cost: Cost) -> float:
    """The mean cost of ``net`` on inputs ``x`` with ``labels``."""
    output = net.activation_of(net.num_layers - 1)
    return cost.value(net.feedforward(x).output, net.as_target(labels, len(labels)), output)


def most_moved(before: Network, after: Network, count: int = TOP_MOVED) -> list[Moved]:
    """The ``count`` first-layer weights whose value changed most."""
    w0, w1 = before.weights[0], after.weights[0]
    change = np.abs(w1 - w0).reshape(-1)
    count = min(count, change.size)
    top = np.argsort(-change, kind="stable")[:count]
    side = int(round(np.sqrt(w0.shape[1])))
    out = []
    for flat in top:
        neuron, pixel = divmod(int(flat), w0.shape[1])
        out.append(
            Moved(neuron, pixel, pixel // side, pixel % side,
                  float(w0[neuron, pixel]), float(w1[neuron, pixel]))
        )  # fmt: skip
    return out


def check_examples(x: Array, labels: NDArray[np.int64]) -> None:
    """A DigitnetError unless there are digits, 784 inputs each in 0..1, labels 0..9."""
    if not len(labels):
        raise DigitnetError("there are no digits to teach")
    if x.ndim != 2 or x.shape != (len(labels), 784):
        raise DigitnetError(f"each digit must be 784 pixels (28x28), got shape {x.shape}")
    if labels.min() < 0 or labels.max() > 9:
        bad = int(labels[(labels < 0) | (labels > 9)][0])
        raise DigitnetError(f"a label must be a digit from 0 to 9, got {bad}")


def teach(
    net: Network,
    x: Array,
    labels: NDArray[np.int64],
    *,
    epochs: int = EPOCHS,
    replay: int = REPLAY,
    seed: int = 0,
    holdout: float = HOLDOUT,
    mnist: tuple[Dataset, Dataset] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> TeachResult:
    """Fine-tune a copy of ``net`` on digits ``x`` (n, 784, in 0..1) labelled ``labels``.

    Each mini-batch holds :data:`PER_BATCH` of the taught digits (slightly distorted) and
    ``replay`` MNIST training digits; ``epochs`` passes over the taught digits, at most
    :data:`MAX_BATCHES` mini-batches. The network's own cost (see :func:`cost_name`) and
    Adam at :data:`LEARNING_RATE`. ``mnist`` is (train, test), MNIST's by default.
    ``on_progress`` is called after every mini-batch. ``net`` itself is not changed.
    """
    x = np.asarray(x, DTYPE)
    labels = np.asarray(labels, np.int64)
    check_examples(x, labels)
    x = np.asarray(inputs_for(net.metadata, x), DTYPE)  # as the network learnt (deslanted?)
    if epochs < 1:
        raise DigitnetError(f"epochs must be at least 1, got {epochs}")
    if replay < 0:
        raise DigitnetError(f"replay must be 0 or more, got {replay}")
    started = time.perf_counter()
    if mnist is None:
        data = load_mnist()
        mnist = (data.train, data.test)
    train_set, test_set = mnist
    test_x = images_to_inputs(np.asarray(inputs_for(net.metadata, test_set.images), np.uint8))
    test_y = test_set.labels.astype(np.int64)
    split = split_held_out(labels, holdout, seed)
    tx, ty = x[split.taught], labels[split.taught]
    hx, hy = x[split.held_out], labels[split.held_out]
    cost = cost_name(net)
    cost_fn = get_cost(cost)
    student = net.copy()
    rng = np.random.default_rng(seed)
    aug = augmentation_for(DISTORTION)
    per_batch = min(PER_BATCH, len(ty))
    per_epoch = -(-len(ty) // per_batch)
    batches = min(MAX_BATCHES, epochs * per_epoch)
    optimizer = Adam()
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices; and deterministic
        cost_before = cost_on(student, tx, ty, cost_fn)
        taught_before = score(net, tx, ty)
        order = np.empty(0, np.int64)
        for b in range(batches):
            if len(order) < per_batch:
                order = np.concatenate([order, rng.permutation(len(ty))])
            pick, order = order[:per_batch], order[per_batch:]
            mine = augment_batch(tx[pick], rng, aug) if aug is not None else tx[pick]
            ys = ty[pick]
            if replay:
                r = rng.integers(0, len(train_set), replay)
                rx = images_to_inputs(
                    np.asarray(inputs_for(net.metadata, train_set.images[r]), np.uint8)
                )
                ry = student.as_target(train_set.labels[r].astype(np.int64), replay)
                if KEEP:
                    ry = (1 - KEEP) * ry + KEEP * net._feedforward(rx).output
                wanted = np.concatenate([student.as_target(ys, len(ys)), ry])
                mine = np.concatenate([mine, rx])
            else:
                wanted = student.as_target(ys, len(ys))
            grads = student._backprop(mine, wanted, cost_fn)
            optimizer.step(
                student.weights + student.biases, grads.weights + grads.biases, LEARNING_RATE
            )
            if on_progress is not None:
                taught_cost = cost_on(student, tx, ty, cost_fn)
                right = score(student, tx, ty).right
                on_progress(Progress(b + 1, batches, taught_cost, right, len(ty)))
        cost_after = cost_on(student, tx, ty, cost_fn)
        result = TeachResult(
            net=student,
            split=split,
            cost=cost,
            batches=batches,
            seconds=0.0,
            taught_before=taught_before,
            taught_after=score(student, tx, ty),
            held_out_before=score(net, hx, hy),
            held_out_after=score(student, hx, hy),
            mnist_before=score(net, test_x, test_y),
            mnist_after=score(student, test_x, test_y),
            cost_before=cost_before,
            cost_after=cost_after,
            moved=most_moved(net, student),
            change=(student.weights[0] - net.weights[0]).astype(DTYPE),
        )
    result.seconds = time.perf_counter() - started
    student.metadata["taught"] = {
        "digits": len(ty),
        "held_out": len(hy),
        "epochs": epochs,
        "replay": replay,
        "seed": seed,
        "batches": batches,
        "mnist_test_accuracy": result.mnist_after.accuracy,
    }
    student.metadata["test_accuracy"] = result.mnist_after.accuracy
    return result
