"""Activation maximisation: the input that excites a neuron most.

Gradient ascent on the input picture, with the network's own forward pass
(:meth:`Network._feedforward`, fed float64 pixels so that everything stays in float64) and its
own backward pass to the input (:meth:`Network.input_gradient`, the vector-Jacobian products
of backpropagation). What climbs is the neuron's score (see :mod:`digitnet.inspection`): its
weighted sum z, or the log-probability for a softmax layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from digitnet.inspection import (
    FloatArray,
    IndexArray,
    check_layer,
    image_side,
    is_softmax,
    neuron_indices,
    neuron_scores,
)
from digitnet.network import Network

DEFAULT_NORM = 9.3  # L2 norm of an average MNIST test digit (pixels 0..1)


def input_gradients(
    net: Network, x: ArrayLike, layer: int, neurons: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Each row's score for its own neuron, and that score's gradient with respect to the row.

    ``x`` is ``(n, 784)`` and ``neurons`` ``(n,)``: row ``i`` asks about neuron ``neurons[i]``
    of ``layer``. The score is the neuron's weighted sum z (for a softmax layer the
    log-probability); the gradient comes from backpropagating a one-hot gradient down to the
    input, through each activation's vector-Jacobian product, in float64. Returns
    ``(scores (n,), gradients (n, 784))``.
    """
    check_layer(net, layer)
    x64 = np.asarray(x, dtype=np.float64)
    return _score_and_gradient(net, layer, x64, np.asarray(neurons, np.intp))


def _score_and_gradient(
    net: Network, layer: int, x: FloatArray, idx: IndexArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`input_gradients` for a float64 batch ``x`` and neuron indices ``idx``."""
    # float64 pixels keep the whole forward pass in float64: the float32 weights are upcast
    # by each product, as finite differences and a smooth ascent need.
    fp = net._feedforward(x)
    z = fp.weighted_sums[layer - 1]
    rows = np.arange(len(idx))
    grad_z = np.zeros_like(z)
    grad_z[rows, idx] = 1.0
    if is_softmax(net, layer):  # d log(a_j) / dz = onehot_j - a
        grad_z -= fp.activations[layer]
    return neuron_scores(net, layer, z)[rows, idx], net.input_gradient(fp, layer, grad_z)


def _project(x: FloatArray, norm: float, clip: bool) -> FloatArray:
    """Keep inputs feasible: pixels in 0..1 (if ``clip``) and L2 norm at most ``norm``."""
    if clip:
        np.clip(x, 0.0, 1.0, out=x)
    lengths = np.linalg.norm(x, axis=1, keepdims=True)
    return x * np.minimum(1.0, norm / np.maximum(lengths, 1e-12))


def _starts(idx: IndexArray, restarts: int, n_in: int, seed: int) -> FloatArray:
    """Random starting pixels, one row per (neuron, restart), each from its own seed."""
    start = [
        np.random.default_rng((seed, int(j), r)).uniform(0.0, 1.0, n_in)
        for j in idx
        for r in range(restarts)
    ]
    return np.array(start).reshape(len(idx) * restarts, n_in)


def _ascend(
    net: Network,
    layer: int,
    x: FloatArray,
    rows: IndexArray,
    steps: int,
    step_size: float,
    norm: float,
    clip: bool,
) -> tuple[FloatArray, FloatArray]:
    """Projected gradient ascent from ``x``, row ``i`` for neuron ``rows[i]``; returns the
    best input each row reached and its score."""
    best = x.copy()
    best_value = np.full(len(rows), -np.inf)
    for step in range(steps + 1):
        value, grad = _score_and_gradient(net, layer, x, rows)
        better = value > best_value
        best[better] = x[better]
        best_value = np.where(better, value, best_value)
        if step == steps:
            break
        length = np.linalg.norm(grad, axis=1, keepdims=True)
        rate = step_size * norm * (1.0 - step / steps)
        x = _project(x + rate * grad / np.maximum(length, 1e-30), norm, clip)
    return best, best_value


def maximise_activations(
    net: Network,
    layer: int,
    neurons: ArrayLike | None = None,
    *,
    steps: int = 200,
    step_size: float = 0.2,
    norm: float = DEFAULT_NORM,
    clip: bool = True,
    restarts: int = 8,
    seed: int = 0,
) -> FloatArray:
    """The inputs that excite each of ``neurons`` of ``layer`` most: ``(n, 28, 28)``.

    Projected gradient ascent on the input, for all neurons (and all restarts) at once, one
    batch row each: start from random pixels, and at every step move each input
    ``step_size * norm`` along its normalised gradient (:func:`input_gradients`), then put it
    back into the allowed set: pixels in 0..1 (unless ``clip`` is false) and L2 norm at most
    ``norm`` (about the ink of an average digit). The step shrinks linearly to zero. Deeper
    layers have local maxima, so each neuron climbs from ``restarts`` random starts and keeps
    the best input seen.

    What climbs is the neuron's weighted sum z, which every hidden activation function
    increases with (a sigmoid's output stalls at 1.0 where z keeps growing); for a softmax
    layer it is the log-probability. Each start depends only on ``seed``, the neuron and the
    restart, so asking for one neuron or for the whole layer gives the same picture.
    """
    from threadpoolctl import threadpool_limits

    idx = neuron_indices(net, layer, neurons)
    side = image_side(net.sizes[0])
    if steps < 0 or restarts < 1 or not step_size > 0 or not norm > 0:
        raise ValueError("steps must be >= 0, restarts >= 1, step_size and norm positive")
    n_in = net.sizes[0]
    rows = np.repeat(idx, restarts)  # neuron of each batch row
    x = _project(_starts(idx, restarts, n_in, seed), norm, clip)
    # Small matrices: one BLAS thread is much faster than several fighting over them.
    threads = 1 if len(rows) * max(net.sizes[: layer + 1]) < 400_000 else None
    with threadpool_limits(limits=threads, user_api="blas"):
        best, best_value = _ascend(net, layer, x, rows, steps, step_size, norm, clip)
    winner = np.argmax(best_value.reshape(len(idx), restarts), axis=1)
    chosen = best.reshape(len(idx), restarts, n_in)[np.arange(len(idx)), winner]
    return chosen.reshape(len(idx), side, side)


def maximise_activation(net: Network, layer: int, neuron: int, **options: Any) -> FloatArray:
    """The input (28x28) that excites one neuron most; ``options`` (``steps``, ``step_size``,
    ``norm``, ``clip``, ``restarts``, ``seed``) as for :func:`maximise_activations`."""
    return maximise_activations(net, layer, [neuron], **options)[0]
