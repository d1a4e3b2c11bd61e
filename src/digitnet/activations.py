"""Activation functions: what a neuron does with its weighted sum z.

Every activation works on a whole mini-batch at once: ``z`` has shape ``(batch, neurons)``.
``backward(z, a, grad_a)`` turns the gradient of the cost with respect to the activations
``a = f(z)`` into the gradient with respect to ``z`` (for element-wise functions this is
``grad_a * f'(z)``; softmax mixes the neurons of one example).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

LEAKY_SLOPE = 0.01


def sigmoid(z: Array) -> Array:
    """The logistic curve 1 / (1 + e^-z): squishes any real number into (0, 1)."""
    # exp of a large positive number overflows; tanh form is exact and stable.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z: Array) -> Array:
    """Derivative of the sigmoid: s(z) * (1 - s(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z: Array) -> Array:
    """Rectified linear unit max(0, z), the modern default for hidden layers."""
    return np.maximum(z, 0.0)


def relu_prime(z: Array) -> Array:
    """Derivative of ReLU: 1 where z > 0, else 0."""
    return (z > 0).astype(z.dtype)


def tanh(z: Array) -> Array:
    """Hyperbolic tangent, a sigmoid stretched to (-1, 1)."""
    return np.tanh(z)


def tanh_prime(z: Array) -> Array:
    """Derivative of tanh: 1 - tanh(z)^2."""
    t = np.tanh(z)
    return 1.0 - t * t


def leaky_relu(z: Array) -> Array:
    """ReLU with a small slope (0.01) for negative z, so no neuron is ever completely dead."""
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_prime(z: Array) -> Array:
    """Derivative of leaky ReLU: 1 where z > 0, else 0.01."""
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def softmax(z: Array) -> Array:
    """Softmax over each row: e^z_j / sum_k e^z_k, activations that sum to one."""
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """A named activation function with its vector-Jacobian product for backprop."""

    name: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array], Array] | None
    hidden_ok: bool = True
    output_ok: bool = False

    def __call__(self, z: Array) -> Array:
        return self.function(z)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """dC/dz from dC/da, for a batch: shapes ``(batch, neurons)``."""
        if self.name == "softmax":
            # Jacobian of softmax is diag(a) - a a^T, applied row by row.
            return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))
        if self.name == "sigmoid":
            return grad_a * a * (1.0 - a)
        if self.name == "tanh":
            return grad_a * (1.0 - a * a)
        assert self.derivative is not None
        return grad_a * self.derivative(z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, output_ok=True),
    "relu": Activation("relu", relu, relu_prime),
    "tanh": Activation("tanh", tanh, tanh_prime),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_prime),
    "softmax": Activation("softmax", softmax, None, hidden_ok=False, output_ok=True),
}
HIDDEN_ACTIVATIONS = tuple(n for n, a in ACTIVATIONS.items() if a.hidden_ok)
OUTPUT_ACTIVATIONS = tuple(n for n, a in ACTIVATIONS.items() if a.output_ok)


def get_activation(name: str) -> Activation:
    """Look an activation up by name, with a clear error for an unknown one."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of: {known}") from None
