"""Gradient descent and its refinements: how a step downhill changes the parameters.

An optimizer gets the parameters (weights and biases, as a list of arrays) and their
gradients for one mini-batch, and moves every parameter in place. A learning-rate schedule
says how large the step is in each epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from digitnet.activations import Array

#: Numbers updated at a time. Adam makes eleven passes over each parameter's numbers, momentum
#: four; over blocks of 32,768 float32 numbers (128 kB in each of the five arrays Adam reads)
#: the passes after the first find them in the core's cache instead of going out to memory.
#: A wide network's epoch took 0.82x as long (``benchmarks/optimizer_blocks.py``, README
#: "Adam a block at a time"). Every number goes through the same operations in the same
#: order, so the weights are the same, bit for bit.
BLOCK = 32_768


def blocks(*arrays: Array) -> Iterator[tuple[Array, ...]]:
    """The same stretch of every one of ``arrays`` (all of one shape), :data:`BLOCK` numbers
    at a time, as views to update in place; arrays that are not contiguous come whole."""
    if not all(a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, flat[0].size, BLOCK):
        yield tuple(f[start : start + BLOCK] for f in flat)


class Optimizer:
    """Base class: ``step(params, grads, learning_rate)`` updates ``params`` in place."""

    name = "optimizer"

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        raise NotImplementedError

    def config(self) -> dict[str, float | str]:
        """The optimizer's settings, for the model file's training recipe."""
        return {"name": self.name}

    def state(self) -> tuple[dict[str, Array], dict[str, int]]:
        """What it remembers between steps, to continue a run exactly (a checkpoint):
        arrays by name (copies) and whole numbers. Plain gradient descent remembers nothing."""
        return {}, {}

    def load_state(self, arrays: dict[str, Array], numbers: dict[str, int]) -> None:
        """Continue from a :meth:`state`."""


class SGD(Optimizer):
    """Plain gradient descent: p <- p - eta * dC/dp (the video's and Nielsen's)."""

    name = "sgd"

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        lr = np.float32(learning_rate)
        for p, g in zip(params, grads, strict=True):
            g *= lr
            p -= g


class Momentum(Optimizer):
    """Gradient descent with momentum: v <- mu v - eta g;  p <- p + v."""

    name = "momentum"

    def __init__(self, momentum: float = 0.9) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self.velocities: list[Array] | None = None

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        if self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in params]
        mu, lr = np.float32(self.momentum), np.float32(learning_rate)
        for arrays in zip(params, grads, self.velocities, strict=True):
            for p, g, v in blocks(*arrays):
                v *= mu
                g *= lr
                v -= g
                p += v

    def config(self) -> dict[str, float | str]:
        return {"name": self.name, "momentum": self.momentum}

    def state(self) -> tuple[dict[str, Array], dict[str, int]]:
        return {f"velocity.{i}": v.copy() for i, v in enumerate(self.velocities or [])}, {}

    def load_state(self, arrays: dict[str, Array], numbers: dict[str, int]) -> None:
        count = len(arrays)
        self.velocities = [arrays[f"velocity.{i}"].copy() for i in range(count)] or None


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014): steps scaled by running averages of g and g^2."""

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m: list[Array] | None = None
        self.v: list[Array] | None = None
        self.t = 0
        self._work: list[Array] = []  # scratch arrays, one per parameter array

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        if self.m is None or self.v is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        if [w.shape for w in self._work] != [p.shape for p in params]:
            self._work = [np.empty_like(p) for p in params]
        self.t += 1
        b1, b2 = np.float32(self.beta1), np.float32(self.beta2)
        # Bias correction folded into the step size.
        step_size = np.float32(
            learning_rate * math.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        )
        eps = np.float32(self.eps)
        for arrays in zip(params, grads, self.m, self.v, self._work, strict=True):
            for p, g, m, v, work in blocks(*arrays):
                # In place, into one scratch array: the same operations as
                # m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
                # p -= step_size m / (sqrt(v) + eps)
                m *= b1
                m += np.multiply(1 - b1, g, out=work)
                v *= b2
                g *= g
                g *= 1 - b2
                v += g
                denom = np.sqrt(v, out=g)
                denom += eps
                step = np.multiply(step_size, m, out=work)
                step /= denom
                p -= step

    def config(self) -> dict[str, float | str]:
        return {"name": self.name, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def state(self) -> tuple[dict[str, Array], dict[str, int]]:
        arrays = {f"m.{i}": m.copy() for i, m in enumerate(self.m or [])}
        arrays.update({f"v.{i}": v.copy() for i, v in enumerate(self.v or [])})
        return arrays, {"t": self.t}

    def load_state(self, arrays: dict[str, Array], numbers: dict[str, int]) -> None:
        count = len(arrays) // 2
        self.m = [arrays[f"m.{i}"].copy() for i in range(count)] or None
        self.v = [arrays[f"v.{i}"].copy() for i in range(count)] or None
        self.t = int(numbers.get("t", 0))


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, momentum: float = 0.9) -> Optimizer:
    """An optimizer by name: ``sgd``, ``momentum`` or ``adam``."""
    if name == "sgd":
        return SGD()
    if name == "momentum":
        return Momentum(momentum)
    if name == "adam":
        return Adam()
    raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


SCHEDULES = ("constant", "step", "cosine")


def learning_rate_at(
    epoch: int,
    base: float,
    schedule: str = "constant",
    epochs: int = 1,
    step_every: int = 10,
    step_factor: float = 0.5,
) -> float:
    """The learning rate in epoch ``epoch`` (0-based).

    ``constant``: always ``base``; ``step``: multiplied by ``step_factor`` every
    ``step_every`` epochs; ``cosine``: from ``base`` down towards 0 over ``epochs`` epochs
    along half a cosine wave.
    """
    if schedule == "constant":
        return base
    if schedule == "step":
        return base * step_factor ** (epoch // max(step_every, 1))
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * epoch / max(epochs, 1)))
    raise ValueError(f"unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}")
