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
        return float(0.5 * np.add.reduce((a - y) ** 2, axis=None) / len(a))

    def delta(self, z: Array, a: Array, y: Array, output: Activation) -> Array:
        return output.backward(z, a, a - y)


class CrossEntropyCost(Cost):
    """Cross-entropy. With sigmoid outputs: -sum_j [y ln a + (1-y) ln(1-a)];
    with softmax outputs: -sum_j y ln a (the log-likelihood). Either way dC/dz = a - y,
    so a neuron that is badly wrong learns fast (no sigmoid' slowing it down)."""

    name = "cross_entropy"

    def value(self, a: Array, y: Array, output: Activation) -> float:
        # Keep log away from 0: EPS, or the smallest step the outputs' type can tell from 1
        # (in float32 1 - 1e-12 is 1, and a saturated sigmoid's log(1 - a) was -inf, its
        # cost NaN). np.clip's and np.sum's numbers, without their Python wrappers.
        eps = max(EPS, float(np.finfo(a.dtype).eps)) if a.dtype.kind == "f" else EPS
        a = np.minimum(np.maximum(a, eps), 1.0 - eps)
        if output.name == "softmax":
            total = -np.add.reduce(y * np.log(a), axis=None)
        else:
            total = -np.add.reduce(y * np.log(a) + (1.0 - y) * np.log(1.0 - a), axis=None)
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
