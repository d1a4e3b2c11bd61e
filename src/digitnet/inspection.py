"""The numbers behind the pictures: what a network's neurons respond to, and what it misreads.

Plain numpy on top of :class:`~digitnet.network.Network`, without matplotlib, so the pictures
(:mod:`digitnet.figures`), the web app and scripts share one implementation:

- :func:`layer_values`: a layer's scores and activations for many images.
- :func:`top_activating`: the images that excite a neuron most.
- :func:`traced_weights`: a neuron's weights traced back to the pixels.
- :func:`significant_neurons`: the neurons of a wide layer most worth showing.
- :func:`evaluate` and :func:`find_mistakes`: accuracy, confusion and misread examples.

The input that excites a neuron most is computed in :mod:`digitnet.maximise`.

A neuron's *score* ranks how excited it is: its weighted sum z, which every hidden activation
function increases with and which, unlike a sigmoid's output, does not saturate at 1.0; for a
softmax layer it is the log-probability.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import DigitnetError
from digitnet.network import Network
from digitnet.slant import inputs_for

FloatArray = NDArray[np.floating[Any]]
IndexArray = NDArray[np.intp]


# --------------------------------------------------------------------------- checks
def image_side(n_in: int) -> int:
    """Side of the square picture an input layer of ``n_in`` neurons makes (28 for 784)."""
    side = math.isqrt(n_in)
    if side * side != n_in:
        raise DigitnetError(
            f"pictures of the input need a square input layer, but this one has {n_in} neurons"
        )
    return side


def check_layer(net: Network, layer: int) -> None:
    """Raise :class:`DigitnetError` unless ``layer`` is one of ``net``'s layers after the input."""
    last = net.num_layers - 1
    if not 1 <= layer <= last:
        raise DigitnetError(
            f"layer {layer} does not exist: this network's layers after the input are "
            f"numbered 1 to {last}"
        )


def neuron_indices(net: Network, layer: int, neurons: ArrayLike | None) -> IndexArray:
    """``neurons`` of ``layer`` as checked indices (all of the layer's neurons for None)."""
    check_layer(net, layer)
    if neurons is None:
        return np.arange(net.sizes[layer], dtype=np.intp)
    idx = np.atleast_1d(np.asarray(neurons, dtype=np.intp))
    if idx.size and (idx.min() < 0 or idx.max() >= net.sizes[layer]):
        raise DigitnetError(
            f"layer {layer} has neurons 0 to {net.sizes[layer] - 1}; got {idx.tolist()}"
        )
    return idx


# --------------------------------------------------------------------------- a layer's values
def is_softmax(net: Network, layer: int) -> bool:
    """Whether ``layer``'s activation is a softmax (whose neurons are scored differently)."""
    return net.activation_of(layer).name == "softmax"


def neuron_scores(net: Network, layer: int, z: FloatArray) -> FloatArray:
    """The scores of ``layer``'s neurons from their weighted sums ``z`` ``(n, neurons)``: z
    itself, or for a softmax layer the log-probability."""
    if is_softmax(net, layer):
        top = z.max(axis=-1, keepdims=True)
        return z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
    return z


def layer_values(net: Network, images: ArrayLike, layer: int) -> tuple[FloatArray, FloatArray]:
    """(scores, activations) of ``layer`` for every image, each ``(n, neurons)``.

    The score ranks how excited a neuron is: its weighted sum z, or for a softmax layer the
    log-probability (in float64). The images are fed forward in chunks by
    :meth:`Network.layer_outputs`; the activations are the layer's function of those sums,
    exactly as the forward pass computes them."""
    check_layer(net, layer)
    z = net.layer_outputs(images, layer, weighted_sums=True)
    return neuron_scores(net, layer, z.astype(np.float64)), net.activation_of(layer)(z)


def top_indices(values: FloatArray, k: int) -> IndexArray:
    """For each column, the rows of its ``k`` largest values, largest first: ``(k, columns)``.

    Ties keep the earlier row first."""
    k = min(k, len(values))
    order = np.argsort(-values, axis=0, kind="stable")
    return order[:k].astype(np.intp)


def top_activating(
    net: Network, images: ArrayLike, layer: int, neuron: int, k: int = 5
) -> IndexArray:
    """Indices of the ``k`` images that excite ``neuron`` of ``layer`` most, most first.

    Ranked by the weighted sum z (or log-probability for softmax), so that images which all
    drive a sigmoid neuron to 1.00 are still told apart."""
    scores, _ = layer_values(net, images, layer)
    if not 0 <= neuron < scores.shape[1]:
        raise DigitnetError(f"layer {layer} has neurons 0 to {scores.shape[1] - 1}, not {neuron}")
    return top_indices(scores[:, [neuron]], k)[:, 0]


# --------------------------------------------------------------------------- weights
def traced_weights(net: Network, layer: int) -> FloatArray:
    """Each neuron's weights traced back to the pixels, ignoring the activation functions:
    ``W_layer @ ... @ W_1``, shape ``(neurons, 784)``. For layer 1 these are its weights."""
    check_layer(net, layer)
    product = net.weights[layer - 1].astype(np.float64)
    for l in range(layer - 1, 0, -1):
        product = product @ net.weights[l - 1].astype(np.float64)
    return product


def significant_neurons(net: Network, layer: int, count: int) -> IndexArray:
    """The indices of at most ``count`` neurons of ``layer`` worth showing, in index order.

    All of them if the layer is small enough; otherwise those whose outgoing weights are
    strongest (largest L2 norm), i.e. the neurons the next layer listens to most. Output
    neurons have no outgoing weights and are ranked by their incoming ones.
    """
    check_layer(net, layer)
    n = net.sizes[layer]
    if n <= count:
        return np.arange(n, dtype=np.intp)
    if layer < net.num_layers - 1:
        score = np.linalg.norm(net.weights[layer], axis=0)
    else:
        score = np.linalg.norm(net.weights[layer - 1], axis=1)
    return np.sort(np.argsort(-score, kind="stable")[:count]).astype(np.intp)


# --------------------------------------------------------------------------- the test set
def mnist_test_set() -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """MNIST's 10,000 test digits ``(n, 28, 28)`` uint8 and their labels."""
    from digitnet.data import load_mnist

    test = load_mnist().test
    return test.images, test.labels


def images_and_labels(
    images: ArrayLike | None, labels: ArrayLike | None
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """The given images and labels as arrays, or the MNIST test set when both are None."""
    if (images is None) != (labels is None):
        raise ValueError("give both images and labels, or neither (the MNIST test set)")
    if images is None or labels is None:
        images, labels = mnist_test_set()
    x = np.asarray(images)
    y = np.asarray(labels).astype(np.int64)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    return x, y


def evaluate(
    net: Network, images: ArrayLike | None = None, labels: ArrayLike | None = None
) -> dict[str, Any]:
    """Accuracy, accuracy per digit and confusion matrix (rows: truth) on the test set or the
    given images; the same numbers as ``digitnet evaluate``."""
    from digitnet.metrics import evaluation

    x, y = images_and_labels(images, labels)
    return evaluation(net, x, y)


def find_mistakes(
    net: Network, images: ArrayLike, labels: ArrayLike
) -> tuple[IndexArray, NDArray[np.int64], FloatArray]:
    """The misread examples, most confident first: (indices, answers, confidences).

    The images are read as the network learnt them (deslanted if its model file says so), as
    :func:`evaluate` reads them, so both count the same mistakes. The confidence is the
    answer's output activation (a probability for a softmax output).
    """
    y = np.asarray(labels).astype(np.int64)
    proba = net.predict_proba(inputs_for(net.metadata, images))
    answers = np.argmax(proba, axis=1)
    wrong = np.flatnonzero(answers != y)
    conf = proba[wrong, answers[wrong]]
    order = np.argsort(-conf, kind="stable")
    return wrong[order].astype(np.intp), answers[wrong[order]], conf[order]
