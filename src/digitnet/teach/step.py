"""One example, one step: what learning from a single drawing does to the network.

For one prepared digit and the label it should have, :func:`lesson` computes, on the real
network and with its own cost (quadratic or cross-entropy):

* the cost, written out term by term with this digit's numbers;
* what each output neuron "wants": the negative gradient of the cost with respect to its
  weighted sum, positive (up) for the right digit, negative (down) for the others;
* backpropagation's nudge to every hidden neuron, the same quantity one layer further back;
* the gradient of each first-layer neuron's 784 weights, which reshaped to 28x28 is a picture
  of how each pixel's weight would change.

:func:`one_step` takes exactly one step of gradient descent on this one example and returns
the outputs before and after. Both use :meth:`Network.backprop <digitnet.network.Network.backprop>`
(with one example, dC/db of a layer *is* its neurons' error, so the nudges are read from
there); neither changes the network it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.costs import EPS
from digitnet.network import DTYPE, Network
from digitnet.teach.finetune import cost_name

Array = NDArray[np.float32]


@dataclass
class CostTerm:
    """One output's part of the cost: its activation ``a``, wanted value ``y`` and term."""

    digit: int
    a: float
    y: float
    term: float


@dataclass
class Lesson:
    """What learning from one example means (see the module's description)."""

    label: int
    cost_name: str
    cost: float
    formula: str
    written: str
    terms: list[CostTerm]
    outputs: Array = field(repr=False)  # the 10 output activations
    wants: Array = field(repr=False)  # -dC/dz of each output neuron
    nudges: list[Array] = field(repr=False)  # -dC/dz of each hidden layer's neurons
    weight_gradients: Array = field(repr=False)  # dC/dW of the first layer (neurons, 784)


@dataclass
class StepResult:
    """One gradient step on one example: the network after it, outputs and cost around it."""

    net: Network = field(repr=False)
    label: int
    learning_rate: float
    cost_before: float
    cost_after: float
    outputs_before: Array = field(repr=False)
    outputs_after: Array = field(repr=False)


def example_input(image: ArrayLike) -> Array:
    """A digit as the network reads it (28x28 or 784 values: uint8 0..255 or numbers in 0..1;
    already deslanted for a network that learnt deslanted digits, like the ``input`` of
    ``POST /api/predict``'s answer) as (1, 784)."""
    from digitnet.prediction import mnist_pixels  # the prediction path loads Pillow

    return mnist_pixels(image).reshape(1, -1).astype(DTYPE)


def check_label(label: int) -> int:
    """``label`` as an int, or ValueError unless it is a digit 0..9."""
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label <= 9:
        raise ValueError(f"a label must be a digit from 0 to 9, got {label!r}")
    return int(label)


def cost_terms(cost: str, output: str, a: Array, label: int) -> tuple[str, list[CostTerm]]:
    """The cost's formula and its term for each output, for activations ``a`` (10,)."""
    y = np.zeros(len(a))
    y[label] = 1.0
    ac = np.clip(a.astype(np.float64), EPS, 1.0 - EPS)
    if cost == "quadratic":
        formula = "C = 1/2 Σⱼ (aⱼ − yⱼ)²"
        terms = 0.5 * (a.astype(np.float64) - y) ** 2
    elif output == "softmax":
        formula = "C = −Σⱼ yⱼ ln aⱼ = −ln a(label)"
        terms = -y * np.log(ac)
    else:
        formula = "C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)]"
        terms = -(y * np.log(ac) + (1 - y) * np.log(1 - ac))
    return formula, [CostTerm(j, float(a[j]), float(y[j]), float(terms[j])) for j in range(len(a))]


def write_out(cost: str, output: str, terms: list[CostTerm], total: float) -> str:
    """The cost with this example's numbers, e.g. ``C = 1/2 [(0.02 - 0)^2 + ...] = 0.41``."""
    if cost == "quadratic":
        parts = " + ".join(f"({t.a:.3f} \u2212 {t.y:g})\u00b2" for t in terms)
        return f"C = 1/2 [{parts}] = {total:.4f}"
    if output == "softmax":
        right = next(t for t in terms if t.y == 1.0)
        return f"C = \u2212ln {right.a:.4f} = {total:.4f}"
    parts = " + ".join(f"ln {t.a:.3f}" if t.y == 1.0 else f"ln(1 \u2212 {t.a:.3f})" for t in terms)
    return f"C = \u2212[{parts}] = {total:.4f}"


def lesson(net: Network, image: ArrayLike, label: int) -> Lesson:
    """What learning that ``image`` (a prepared digit) is a ``label`` would change (see the
    module's description)."""
    label = check_label(label)
    x = example_input(image)
    cost = cost_name(net)
    grads = net.backprop(x, np.array([label]), cost)
    outputs = net.feedforward(x).output[0]
    output = net.output_activation
    formula, terms = cost_terms(cost, output, outputs, label)
    return Lesson(
        label=label,
        cost_name=cost,
        cost=grads.cost,
        formula=formula,
        written=write_out(cost, output, terms, grads.cost),
        terms=terms,
        outputs=outputs,
        wants=-grads.biases[-1],
        nudges=[-b for b in grads.biases[:-1]],
        weight_gradients=grads.weights[0],
    )


def one_step(net: Network, image: ArrayLike, label: int, learning_rate: float) -> StepResult:
    """Exactly one step of gradient descent on one example: a copy of ``net`` whose every
    weight and bias ``p`` becomes ``p - learning_rate * dC/dp`` (dC/dp from backprop with the
    network's own cost); the outputs and the cost before and after."""
    label = check_label(label)
    if not np.isfinite(learning_rate) or not 0.0 < learning_rate <= 100.0:
        raise ValueError(f"the learning rate must lie above 0 and at most 100, got {learning_rate}")
    x = example_input(image)
    cost = cost_name(net)
    y = np.array([label])
    grads = net.backprop(x, y, cost)
    stepped = net.copy()
    lr = DTYPE(learning_rate)
    for p, g in zip(stepped.weights + stepped.biases, grads.weights + grads.biases, strict=True):
        p -= lr * g
    after = stepped.backprop(x, y, cost).cost
    return StepResult(
        net=stepped,
        label=label,
        learning_rate=float(learning_rate),
        cost_before=grads.cost,
        cost_after=after,
        outputs_before=net.feedforward(x).output[0],
        outputs_after=stepped.feedforward(x).output[0],
    )
