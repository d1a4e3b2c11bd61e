"""The network itself: layout, feed-forward, and backpropagation against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from digitnet import Network
from digitnet.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, sigmoid
from digitnet.costs import COSTS, get_cost


def test_the_videos_network_has_13002_parameters() -> None:
    net = Network([784, 16, 16, 10])
    assert net.num_parameters == 13_002
    assert net.parameter_counts() == [(784 * 16, 16), (16 * 16, 16), (16 * 10, 10)]
    assert [w.shape for w in net.weights] == [(16, 784), (16, 16), (10, 16)]
    assert [b.shape for b in net.biases] == [(16,), (16,), (10,)]
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)


def test_feedforward_is_sigmoid_of_w_a_plus_b_layer_by_layer() -> None:
    net = Network([784, 16, 16, 10], seed=3)
    x = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    fp = net.feedforward(x)
    assert [a.shape for a in fp.activations] == [(5, 784), (5, 16), (5, 16), (5, 10)]
    assert [z.shape for z in fp.weighted_sums] == [(5, 16), (5, 16), (5, 10)]
    # One example, written as in the video: a' = sigmoid(W a + b), a matrix times a vector.
    a = x[2].astype(np.float64)
    for w, b in zip(net.weights, net.biases, strict=True):
        a = 1 / (1 + np.exp(-(w.astype(np.float64) @ a + b)))
    np.testing.assert_allclose(fp.output[2], a, rtol=1e-4, atol=1e-6)
    assert np.all((fp.output > 0) & (fp.output < 1))


def test_any_layer_sizes_work() -> None:
    net = Network([784, 3, 7, 5, 10], "relu", "softmax", init="he")
    out = net.predict_proba(np.zeros((2, 28, 28), np.uint8))
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([784], "at least two layers"),
        ([784, 0, 10], "at least one neuron"),
    ],
)
def test_bad_sizes_are_refused(bad: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Network(bad)


def test_bad_activation_and_init_are_refused() -> None:
    with pytest.raises(ValueError, match="hidden activation"):
        Network([4, 2], hidden_activation="softmax")
    with pytest.raises(ValueError, match="output activation"):
        Network([4, 2], output_activation="relu")
    with pytest.raises(ValueError, match="init"):
        Network([4, 2], init="zeros")


def test_inputs_are_validated_at_the_edge() -> None:
    net = Network([784, 16, 10])
    assert net.as_input(np.full((28, 28), 255, np.uint8)).max() == pytest.approx(1.0)
    assert net.as_input(np.zeros(784)).shape == (1, 784)
    with pytest.raises(ValueError, match="784 values per example"):
        net.feedforward(np.zeros((2, 100)))
    with pytest.raises(ValueError, match="NaN"):
        net.feedforward(np.full((1, 784), np.nan))
    with pytest.raises(ValueError, match="numbers"):
        net.feedforward(np.array([["a"] * 784]))


def test_initialisations_have_the_promised_spread() -> None:
    for init, std in (("normal", 1.0), ("xavier", np.sqrt(1 / 784)), ("he", np.sqrt(2 / 784))):
        net = Network([784, 400, 10], init=init, seed=1)
        assert net.weights[0].std() == pytest.approx(std, rel=0.02)
    assert np.all(Network([784, 30, 10], init="he").biases[0] == 0)


def test_same_seed_same_network_other_seed_other_network() -> None:
    a, b, c = (
        Network([784, 16, 10], seed=7),
        Network([784, 16, 10], seed=7),
        Network([784, 16, 10], seed=8),
    )
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_sigmoid_is_stable_for_huge_inputs() -> None:
    z = np.array([-1e4, -30.0, 0.0, 30.0, 1e4], np.float32)
    s = sigmoid(z)
    assert np.all(np.isfinite(s))
    assert s[2] == 0.5 and s[0] == 0.0 and s[-1] == 1.0


def _numeric_gradients(net: Network, x: np.ndarray, y: np.ndarray, cost: str) -> list[np.ndarray]:
    """Central finite differences of the mean cost for every weight and bias (float64)."""
    c = get_cost(cost)
    target = net.as_target(y, len(x)).astype(np.float64)
    eps = 1e-6
    grads = []
    for p in net.weights + net.biases:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            plus = net._backprop(x, target, c).cost
            p[idx] = old - eps
            minus = net._backprop(x, target, c).cost
            p[idx] = old
            g[idx] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("cost", sorted(COSTS))
@pytest.mark.parametrize("output", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_backprop_matches_finite_differences(hidden: str, output: str, cost: str) -> None:
    net = Network([6, 5, 4, 3], hidden, output, init="xavier", seed=2)
    # float64 so finite differences are exact enough to catch any mistake.
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [b.astype(np.float64) + 0.1 for b in net.biases]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 6))
    y = rng.integers(0, 3, 7)
    analytic = net._backprop(x, net.as_target(y, 7).astype(np.float64), get_cost(cost))
    numeric = _numeric_gradients(net, x, y, cost)
    for got, want in zip(analytic.weights + analytic.biases, numeric, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)


def test_backprop_in_float32_on_a_batch_agrees_with_one_example_at_a_time() -> None:
    net = Network([784, 16, 16, 10], seed=4)
    rng = np.random.default_rng(2)
    x = rng.random((8, 784)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    batch = net.backprop(x, y)
    singles = [net.backprop(x[i : i + 1], y[i : i + 1]) for i in range(8)]
    for layer in range(3):
        mean_w = np.mean([s.weights[layer] for s in singles], axis=0)
        np.testing.assert_allclose(batch.weights[layer], mean_w, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_cross_entropy_of_saturated_float32_outputs_is_finite(output: str) -> None:
    # A sigmoid output of exactly 1.0 (z above ~17 in float32) once made log(1 - a) -inf
    # and the cost NaN: the run was reported as diverged.
    a = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.25]], dtype=np.float32)
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    value = get_cost("cross_entropy").value(a, y, ACTIVATIONS[output])
    assert np.isfinite(value) and value > 0
    assert get_cost("cross_entropy").value(a[:1], y[:1], ACTIVATIONS[output]) < 1.0


def test_activation_derivatives_match_finite_differences() -> None:
    z = np.linspace(-3, 3, 61) + 0.013  # avoid the kink of ReLU at exactly 0
    for name in HIDDEN_ACTIVATIONS:
        act = ACTIVATIONS[name]
        assert act.derivative is not None
        numeric = (act(z + 1e-6) - act(z - 1e-6)) / 2e-6
        np.testing.assert_allclose(act.derivative(z), numeric, rtol=1e-5, atol=1e-7)


def test_labels_are_validated() -> None:
    net = Network([4, 3])
    with pytest.raises(ValueError, match="0..2"):
        net.backprop(np.zeros((2, 4)), np.array([0, 3]))
    with pytest.raises(ValueError, match="integers"):
        net.backprop(np.zeros((2, 4)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        net.backprop(np.zeros((2, 4)), np.zeros((3, 3)))
