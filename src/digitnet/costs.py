"""Cost functions: how wrong the network's output ``a`` is for the wanted output ``y``.

Both take a mini-batch: ``a`` and ``y`` have shape ``(batch, 10)``; ``y`` is one-hot.
``value`` is the cost averaged over the batch; ``delta`` is the error of the output layer,
dC/dz for each example (the first equation of backpropagation).
"""

from __future__ import annotations

import numpy as np

from digitnet.activations import Activation, Array

EPS = 1e-12


class Cost:
    """A cost function C(a, y) and the output error it gives to backprop."""

    name = "cost"

    def value(self, a: Array, y: Array, output: Activation) -> float:
        """Mean cost over the batch."""
        raise NotImplementedError

    def delta(self, z: Array, a: Array, y: Array, output: Activation) -> Array:
        """dC/dz of the output layer for each example, shape ``(batch, outputs)``."""
        raise NotImplementedError


class QuadraticCost(Cost):
    """The video's cost: C = 1/2 * sum_j (a_j - y_j)^2, the squared distance to the answer."""

    name = "quadratic"

    def value(self, a: Array, y: Array, output: Activation) -> float:
        return float(0.5 * np.sum((a - y) ** 2) / len(a))

    def delta(self, z: Array, a: Array, y: Array, output: Activation) -> Array:
        return output.backward(z, a, a - y)


class CrossEntropyCost(Cost):
    """Cross-entropy. With sigmoid outputs: -sum_j [y ln a + (1-y) ln(1-a)];
    with softmax outputs: -sum_j y ln a (the log-likelihood). Either way dC/dz = a - y,
    so a neuron that is badly wrong learns fast (no sigmoid' slowing it down)."""

    name = "cross_entropy"

    def value(self, a: Array, y: Array, output: Activation) -> float:
        a = np.clip(a, EPS, 1.0 - EPS)
        if output.name == "softmax":
            total = -np.sum(y * np.log(a))
        else:
            total = -np.sum(y * np.log(a) + (1.0 - y) * np.log(1.0 - a))
        return float(total / len(a))

    def delta(self, z: Array, a: Array, y: Array, output: Activation) -> Array:
        if output.name in ("sigmoid", "softmax"):
            return a - y
        raise ValueError("cross-entropy needs a sigmoid or softmax output layer")


COSTS: dict[str, Cost] = {"quadratic": QuadraticCost(), "cross_entropy": CrossEntropyCost()}


def get_cost(name: str) -> Cost:
    """Look a cost up by name (``quadratic`` or ``cross_entropy``)."""
    try:
        return COSTS[name.replace("-", "_")]
    except KeyError:
        raise ValueError(f"unknown cost {name!r}; choose one of: {', '.join(COSTS)}") from None
