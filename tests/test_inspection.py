"""The numbers behind the pictures (digitnet.inspection, digitnet.maximise): gradients with
respect to the input agree with finite differences, activation maximisation really excites
its neuron, the top-activating images are the most exciting ones, and none of it needs
matplotlib."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from digitnet import Network
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.inspection import (
    find_mistakes,
    layer_values,
    neuron_indices,
    significant_neurons,
    top_activating,
    traced_weights,
)
from digitnet.maximise import (
    DEFAULT_NORM,
    input_gradients,
    maximise_activation,
    maximise_activations,
)
from digitnet.slant import inputs_for


@pytest.fixture(scope="module")
def test_images() -> tuple[np.ndarray, np.ndarray]:
    test = load_mnist().test
    return test.images[:1000], test.labels[:1000]


@pytest.fixture(scope="module")
def video() -> Network:
    """The shipped, trained 784-16-16-10 network: sigmoid hidden layers, softmax output."""
    return Network.load("video")


@pytest.fixture(scope="module")
def deep() -> Network:
    """The video's shape, 784-16-16-10, untrained."""
    return Network([784, 16, 16, 10], init="xavier", seed=2)


NETWORKS = {
    "sigmoid": lambda: Network([784, 16, 16, 10], init="xavier", seed=2),
    "relu+softmax": lambda: Network(
        [784, 20, 12, 10], hidden_activation="relu", output_activation="softmax", init="he", seed=7
    ),
    "tanh": lambda: Network([784, 12, 10], hidden_activation="tanh", init="xavier", seed=8),
}


# --------------------------------------------------------------------------- input gradients
@pytest.mark.parametrize("kind", NETWORKS)
def test_input_gradient_matches_finite_differences(kind: str) -> None:
    net = NETWORKS[kind]()
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (3, 784))
    neurons = np.array([0, 5, 9])
    eps = 1e-5
    for layer in range(1, net.num_layers):
        scores, grad = input_gradients(net, x, layer, neurons)
        assert scores.dtype == grad.dtype == np.float64 and grad.shape == (3, 784)
        for p in rng.choice(784, 6, replace=False):
            up, down = x.copy(), x.copy()
            up[:, p] += eps
            down[:, p] -= eps
            rise = input_gradients(net, up, layer, neurons)[0]
            fall = input_gradients(net, down, layer, neurons)[0]
            slope = (rise - fall) / (2 * eps)
            np.testing.assert_allclose(slope, grad[:, p], rtol=1e-4, atol=1e-8)


def test_softmax_scores_are_log_probabilities() -> None:
    net = NETWORKS["relu+softmax"]()
    x = np.random.default_rng(1).uniform(0, 1, (4, 784))
    scores, _ = input_gradients(net, x, 3, np.arange(4))
    proba = net.feedforward(x).output.astype(np.float64)
    np.testing.assert_allclose(scores, np.log(proba[np.arange(4), np.arange(4)]), rtol=1e-5)


@pytest.mark.parametrize("kind", NETWORKS)
def test_network_input_gradient_of_any_quantity_of_a_layer(kind: str) -> None:
    """Network.input_gradient turns d(q)/dz of a layer into d(q)/dx, for q = sum(c * z)."""
    net = NETWORKS[kind]()
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (2, 784))
    eps = 1e-5
    for layer in range(1, net.num_layers):
        c = rng.standard_normal((2, net.sizes[layer]))

        def quantity(inputs: np.ndarray, layer: int = layer, c: np.ndarray = c) -> np.ndarray:
            return np.sum(c * net._feedforward(inputs).weighted_sums[layer - 1], axis=1)

        grad = net.input_gradient(net._feedforward(x), layer, c)
        assert grad.shape == x.shape and grad.dtype == np.float64
        for p in rng.choice(784, 4, replace=False):
            up, down = x.copy(), x.copy()
            up[:, p] += eps
            down[:, p] -= eps
            slope = (quantity(up) - quantity(down)) / (2 * eps)
            np.testing.assert_allclose(slope, grad[:, p], rtol=1e-4, atol=1e-8)


# --------------------------------------------------------------------------- maximisation
def test_activation_maximisation_beats_random_inputs_of_the_same_norm(
    video: Network, deep: Network
) -> None:
    rng = np.random.default_rng(6)
    for net, layer in ((video, 1), (video, 2), (video, 3), (deep, 2)):
        best = maximise_activations(net, layer, steps=60)
        n = net.sizes[layer]
        assert best.shape == (n, 28, 28)
        flat = best.reshape(n, 784)
        assert flat.min() >= 0 and flat.max() <= 1
        norms = np.linalg.norm(flat, axis=1)
        assert np.all(norms <= DEFAULT_NORM + 1e-6)
        noise = rng.uniform(0, 1, (n, 784))
        noise *= (norms / np.linalg.norm(noise, axis=1))[:, None]
        rows = np.arange(n)
        best_fp, noise_fp = net.feedforward(flat), net.feedforward(noise)
        z_best = best_fp.weighted_sums[layer - 1][rows, rows]
        z_noise = noise_fp.weighted_sums[layer - 1][rows, rows]
        assert np.all(z_best > z_noise)
        a_best = best_fp.activations[layer][rows, rows]
        a_noise = noise_fp.activations[layer][rows, rows]
        assert np.all(a_best >= a_noise) and a_best.mean() > a_noise.mean()
    single = maximise_activation(video, 1, 3, steps=60)
    np.testing.assert_allclose(single, maximise_activations(video, 1, steps=60)[3])


def test_maximisation_checks_its_arguments(deep: Network) -> None:
    with pytest.raises(DigitnetError, match="layer 4 does not exist"):
        maximise_activations(deep, 4)
    with pytest.raises(DigitnetError, match="neurons 0 to 15"):
        maximise_activation(deep, 1, 16)
    with pytest.raises(ValueError, match="restarts"):
        maximise_activations(deep, 1, restarts=0)


# --------------------------------------------------------------------------- a layer's values
def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z.astype(np.float64) - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_top_activating_are_the_most_exciting_images(
    video: Network, test_images: tuple[np.ndarray, np.ndarray]
) -> None:
    x, _ = test_images
    fp = video.feedforward(x)
    for layer, neuron in ((1, 7), (2, 3)):  # sigmoid layers: ranked by the weighted sum
        top = top_activating(video, x, layer, neuron, k=4)
        z = fp.weighted_sums[layer - 1][:, neuron]
        assert top.tolist() == np.argsort(-z, kind="stable")[:4].tolist()
        a = fp.activations[layer][:, neuron]
        assert a[top].min() >= np.delete(a, top).max()  # the largest activations, too
    with pytest.raises(DigitnetError):
        top_activating(video, x, 1, 16)


def test_top_activating_on_a_softmax_layer_ranks_by_probability(
    video: Network, test_images: tuple[np.ndarray, np.ndarray]
) -> None:
    x, _ = test_images
    for net in (video, NETWORKS["relu+softmax"]()):
        fp = net.feedforward(x)
        top = top_activating(net, x, 3, 2, k=5)
        # by log-probability in float64, which still tells apart probabilities of 1.0
        log_p = log_softmax(fp.weighted_sums[-1])[:, 2]
        assert top.tolist() == np.argsort(-log_p, kind="stable")[:5].tolist()
        proba = fp.output[:, 2]
        assert np.all(np.diff(proba[top]) <= 0)
        assert proba[top].min() >= np.delete(proba, top).max()


def test_layer_values_are_the_forward_pass(
    video: Network, test_images: tuple[np.ndarray, np.ndarray]
) -> None:
    x, _ = test_images
    fp = video.feedforward(x)
    for layer in (1, 2, 3):
        scores, acts = layer_values(video, x, layer)
        np.testing.assert_array_equal(acts, fp.activations[layer])
        z = fp.weighted_sums[layer - 1].astype(np.float64)
        expected = log_softmax(z) if layer == 3 else z  # the output layer is a softmax
        np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=1e-12)
        assert scores.dtype == np.float64
    scores, acts = layer_values(video, x[:0], 2)
    assert scores.shape == acts.shape == (0, 16)


def test_traced_weights_multiply_the_weight_matrices(deep: Network) -> None:
    np.testing.assert_array_equal(traced_weights(deep, 1), deep.weights[0])
    w2, w1 = (w.astype(np.float64) for w in deep.weights[1::-1])
    np.testing.assert_allclose(traced_weights(deep, 2), w2 @ w1)
    assert traced_weights(deep, 3).shape == (10, 784)


def test_significant_neurons_and_neuron_indices() -> None:
    net = Network([784, 30, 10], init="he", seed=3)
    chosen = significant_neurons(net, 1, 5)
    strongest = np.argsort(-np.linalg.norm(net.weights[1], axis=0))[:5]
    assert chosen.tolist() == sorted(strongest.tolist())
    assert significant_neurons(net, 2, 16).tolist() == list(range(10))
    assert neuron_indices(net, 1, None).tolist() == list(range(30))
    assert neuron_indices(net, 2, 4).tolist() == [4]
    with pytest.raises(DigitnetError, match="neurons 0 to 9"):
        neuron_indices(net, 2, [3, 10])


def test_find_mistakes_lists_the_misread_most_confident_first(
    video: Network, test_images: tuple[np.ndarray, np.ndarray]
) -> None:
    x, y = test_images
    index, answers, conf = find_mistakes(video, x, y)
    proba = video.predict_proba(inputs_for(video.metadata, x))  # upright, as it learnt them
    predicted = np.argmax(proba, axis=1)
    assert sorted(index.tolist()) == np.flatnonzero(predicted != y).tolist()
    assert answers.tolist() == predicted[index].tolist()
    np.testing.assert_array_equal(conf, proba[index, answers])
    assert np.all(np.diff(conf) <= 0)


# --------------------------------------------------------------------------- layering
def test_the_number_work_needs_no_matplotlib() -> None:
    code = (
        "import sys, digitnet.inspection, digitnet.maximise\n"
        "banned = ('matplotlib', 'PIL', 'IPython', 'digitnet.figures', 'digitnet.web', "
        "'digitnet.cli', 'digitnet.preprocess')\n"
        "print(sorted(m for m in sys.modules if m.startswith(banned)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
