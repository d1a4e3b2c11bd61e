"""Learning: optimizers, schedules, a real training run on MNIST, determinism, early stopping."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from digitnet import Network
from digitnet.data import load_mnist
from digitnet.optimizers import BLOCK, SGD, Adam, Momentum, blocks, learning_rate_at, make_optimizer
from digitnet.training import TrainingConfig, choose_threads, train


@pytest.fixture(scope="module")
def small_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    m = load_mnist()
    return m.train.images[:3000], m.train.labels[:3000], m.test.images[:1000], m.test.labels[:1000]


def test_sgd_takes_a_step_against_the_gradient() -> None:
    p, g = np.array([1.0, 2.0], np.float32), np.array([0.5, -1.0], np.float32)
    SGD().step([p], [g.copy()], 0.1)
    np.testing.assert_allclose(p, [0.95, 2.1])


def test_momentum_accumulates_velocity() -> None:
    p = np.zeros(1, np.float32)
    opt = Momentum(0.5)
    for _ in range(2):
        opt.step([p], [np.ones(1, np.float32)], 1.0)
    # v1 = -1, v2 = 0.5 * -1 - 1 = -1.5; p = -2.5
    np.testing.assert_allclose(p, [-2.5])


def test_adam_first_step_has_size_learning_rate() -> None:
    p = np.zeros(3, np.float32)
    Adam().step([p], [np.array([3.0, -0.2, 1e-3], np.float32)], 0.01)
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01], rtol=1e-3)


def _adam_reference(p, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam over whole arrays in float32, step by step, as written in the paper."""
    p, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    b1, b2, eps = np.float32(b1), np.float32(b2), np.float32(eps)
    for t, g in enumerate(grads, start=1):
        size = np.float32(lr * np.sqrt(1.0 - 0.999**t) / (1.0 - 0.9**t))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * (g * g)
        p = p - (size * m) / (np.sqrt(v) + eps)
    return p


def test_blocked_optimizers_give_the_whole_array_update_bit_for_bit() -> None:
    """Adam and momentum update a large parameter array a block at a time (to stay in the
    cache); every number must come out exactly as a whole-array update gives it, the last,
    shorter block included, and for arrays that cannot be split (not contiguous)."""
    rng = np.random.default_rng(7)
    n = 2 * BLOCK + 1234
    start = rng.standard_normal(n).astype(np.float32)
    grads = [rng.standard_normal(n).astype(np.float32) for _ in range(3)]
    want = _adam_reference(start, grads, 0.01)
    layouts = {
        "flat": lambda a: a.copy(),
        "a matrix": lambda a: a.copy().reshape(2, -1),
        "not contiguous": lambda a: a[::-1].copy()[::-1],
    }
    for layout, arrange in layouts.items():
        p = arrange(start)
        adam = Adam()
        for g in grads:
            adam.step([p], [arrange(g)], 0.01)
        np.testing.assert_array_equal(np.ravel(p), want, err_msg=layout)
    p, reference, velocity = start.copy(), start.copy(), np.zeros(n, np.float32)
    momentum = Momentum(0.9)
    for g in grads:
        momentum.step([p], [g.copy()], 0.1)
        velocity = np.float32(0.9) * velocity - np.float32(0.1) * g
        reference = reference + velocity
    np.testing.assert_array_equal(p, reference)
    assert [len(b[0]) for b in blocks(start, start)] == [BLOCK, BLOCK, 1234]
    assert len(list(blocks(start[::2], start[::2]))) == 1  # not contiguous: one piece, whole


def test_optimizers_minimise_a_quadratic_bowl() -> None:
    for name, lr in (("sgd", 0.1), ("momentum", 0.05), ("adam", 0.1)):
        p = np.array([3.0, -2.0], np.float32)
        opt = make_optimizer(name)
        for _ in range(300):
            opt.step([p], [2 * p.copy()], lr)  # gradient of |p|^2
        assert np.abs(p).max() < 0.05, name
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("rmsprop")


def test_schedules() -> None:
    assert learning_rate_at(5, 0.1) == 0.1
    assert learning_rate_at(10, 0.1, "step", step_every=10, step_factor=0.5) == pytest.approx(0.05)
    assert learning_rate_at(0, 0.1, "cosine", epochs=10) == pytest.approx(0.1)
    assert learning_rate_at(5, 0.1, "cosine", epochs=10) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="unknown schedule"):
        learning_rate_at(0, 0.1, "warm")


def test_training_learns_mnist_digits(small_mnist) -> None:  # type: ignore[no-untyped-def]
    x, y, xt, yt = small_mnist
    net = Network([784, 16, 16, 10], init="xavier", seed=0)
    before = net.accuracy(xt, yt)
    history = train(net, x, y, TrainingConfig(epochs=3, batch_size=10, learning_rate=3.0), (xt, yt))
    assert len(history) == 3
    assert before < 0.25
    assert net.accuracy(xt, yt) > 0.80
    assert history[-1].loss < history[0].loss
    assert history[-1].validation_accuracy == pytest.approx(net.accuracy(xt, yt))
    assert len(net.metadata["history"]) == 3 and net.metadata["training"]["learning_rate"] == 3.0


@pytest.mark.parametrize(
    "recipe",
    [
        dict(cost="cross_entropy", optimizer="adam", learning_rate=0.005, schedule="cosine"),
        dict(cost="cross_entropy", optimizer="momentum", learning_rate=0.1, weight_decay=1e-4),
        dict(cost="quadratic", optimizer="sgd", learning_rate=1.0, schedule="step", step_every=1),
    ],
)
def test_every_recipe_learns(small_mnist, recipe) -> None:  # type: ignore[no-untyped-def]
    x, y, xt, yt = small_mnist
    net = Network([784, 32, 10], "relu", "softmax", init="he", seed=1)
    train(net, x, y, TrainingConfig(epochs=2, batch_size=32, **recipe))
    assert net.accuracy(xt, yt) > 0.80


def test_same_seed_gives_bit_identical_weights(small_mnist) -> None:  # type: ignore[no-untyped-def]
    x, y, _, _ = small_mnist
    config = TrainingConfig(epochs=2, batch_size=20, learning_rate=0.01, optimizer="adam", seed=5)
    runs = []
    for _ in range(2):
        net = Network([784, 16, 16, 10], seed=5)
        train(net, x[:1000], y[:1000], config)
        runs.append(net)
    for a, b in zip(
        runs[0].weights + runs[0].biases, runs[1].weights + runs[1].biases, strict=True
    ):
        assert np.array_equal(a, b)
    other = Network([784, 16, 16, 10], seed=5)
    train(other, x[:1000], y[:1000], TrainingConfig(**{**config.to_dict(), "seed": 6}))
    assert not np.array_equal(other.weights[0], runs[0].weights[0])


def test_early_stopping_keeps_the_best_epoch(small_mnist) -> None:  # type: ignore[no-untyped-def]
    x, y, xt, yt = small_mnist
    net = Network([784, 16, 10], seed=0)
    # A learning rate far too large makes validation accuracy stall quickly.
    config = TrainingConfig(epochs=30, batch_size=50, learning_rate=60.0, early_stopping=2)
    history = train(net, x[:1000], y[:1000], config, (xt, yt))
    assert len(history) < 30
    best = max(h.validation_accuracy or 0 for h in history)
    assert net.accuracy(xt, yt) == pytest.approx(best)


def test_stop_event_ends_training(small_mnist) -> None:  # type: ignore[no-untyped-def]
    x, y, _, _ = small_mnist
    stop = threading.Event()
    seen: list[int] = []

    def on_batch(epoch: int, done: int, loss: float) -> None:
        seen.append(done)
        if done >= 500:
            stop.set()

    history = train(
        Network([784, 10]),
        x,
        y,
        TrainingConfig(epochs=5, batch_size=10),
        on_batch=on_batch,
        stop=stop,
    )
    assert len(history) == 1 and max(seen) < len(x)


def test_augmented_training_learns(small_mnist) -> None:  # type: ignore[no-untyped-def]
    x, y, xt, yt = small_mnist
    net = Network([784, 32, 10], "relu", "softmax", init="he")
    config = TrainingConfig(
        epochs=3,
        batch_size=32,
        learning_rate=0.003,
        optimizer="adam",
        cost="cross_entropy",
        augment={"shift": 2.0, "rotate": 10.0},
    )
    train(net, x, y, config)
    assert net.accuracy(xt, yt) > 0.80


def test_bad_settings_are_refused(small_mnist) -> None:  # type: ignore[no-untyped-def]
    x, y, _, _ = small_mnist
    net = Network([784, 10])
    for bad, message in (
        (dict(epochs=0), "epochs"),
        (dict(batch_size=0), "batch_size must be at least 1"),
        (dict(learning_rate=-1.0), "learning_rate must be more than 0"),
        (dict(cost="hinge"), "cost must be one of"),
        (dict(schedule="warm"), "schedule"),
    ):
        with pytest.raises(ValueError, match=message):
            train(net, x[:10], y[:10], TrainingConfig(**bad))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="labels"):
        train(net, x[:10], y[:9], TrainingConfig())


def test_divergence_is_reported() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((100, 784)).astype(np.float32)
    net = Network([784, 8, 10], "relu", "softmax", init="he")
    with pytest.raises(FloatingPointError, match="diverged.*smaller learning rate"):
        train(net, x, rng.integers(0, 10, 100), TrainingConfig(epochs=3, learning_rate=1e30))


def test_a_saturated_run_at_chance_is_reported_as_diverged(small_mnist: tuple) -> None:
    # Its loss stays finite (the cost keeps log away from 0), so the rule is: the loss rose
    # well above the untrained network's while the network reads no more than chance.
    x, y = small_mnist[0][:2000], small_mnist[1][:2000]
    recipe = dict(epochs=2, cost="cross_entropy", optimizer="sgd", batch_size=10)
    net = Network([784, 16, 10], "relu", "sigmoid", init="he", seed=0)
    with pytest.raises(FloatingPointError, match="rose from .* no better than chance"):
        train(net, x, y, TrainingConfig(learning_rate=100, **recipe))  # type: ignore[arg-type]
    net = Network([784, 16, 10], "relu", "sigmoid", init="he", seed=0)
    history = train(net, x, y, TrainingConfig(learning_rate=0.1, **recipe))  # type: ignore[arg-type]
    assert len(history) == 2 and history[-1].train_accuracy > 0.5


def test_blas_threads_are_chosen_by_matrix_size() -> None:
    assert choose_threads(Network([784, 16, 16, 10]), 32) == 1
    assert choose_threads(Network([784, 256, 10]), 64) is None
    assert choose_threads(Network([784, 16, 10]), 32, threads=2) == 2


def test_distilled_targets_mix_labels_and_the_teachers_soft_answers() -> None:
    from digitnet.activations import softmax
    from digitnet.training import distilled_targets

    teacher = Network([784, 8, 10], "relu", "softmax", init="he", seed=3)
    x = np.random.default_rng(0).random((4, 784)).astype(np.float32)
    labels = teacher.as_target(np.array([1, 2, 3, 4]), 4)
    config = TrainingConfig(distill_weight=0.7, temperature=2.0)
    got = distilled_targets(teacher, x, labels, config)
    z = teacher.feedforward(x).weighted_sums[-1]
    np.testing.assert_allclose(got, 0.3 * labels + 0.7 * softmax(z / 2.0), rtol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    only_labels = distilled_targets(teacher, x, labels, TrainingConfig(distill_weight=0.0))
    assert np.array_equal(only_labels, labels)


def test_a_student_learns_from_a_teacher(small_mnist) -> None:  # type: ignore[no-untyped-def]
    # The teacher learned a wrong rule on purpose: it answers (digit + 1) mod 10. A student
    # that learns only from the teacher's answers (distill_weight 1) must learn that rule, not
    # the labels it is given, so a training loop that ignored the teacher would fail here.
    x, y, xt, yt = small_mnist
    teacher = Network([784, 64, 10], "relu", "softmax", init="he")
    recipe = TrainingConfig(
        epochs=3, batch_size=32, learning_rate=0.003, optimizer="adam", cost="cross_entropy"
    )
    train(teacher, x, (y + 1) % 10, recipe)
    assert teacher.accuracy(xt, (yt + 1) % 10) > 0.8
    student = Network([784, 16, 16, 10], "sigmoid", "softmax", init="xavier")
    config = recipe.replace(learning_rate=0.01, teacher="test-teacher", distill_weight=1.0)
    train(student, x, y, config, teacher=teacher)
    assert student.accuracy(xt, (yt + 1) % 10) > 0.75
    assert student.accuracy(xt, yt) < 0.1
    assert student.metadata["training"]["teacher"] == "test-teacher"
    half = Network([784, 16, 16, 10], "sigmoid", "softmax", init="xavier")
    train(half, x, y, config.replace(distill_weight=0.0), teacher=teacher)
    assert half.accuracy(xt, yt) > 0.8  # with weight 0 the labels alone count
    with pytest.raises(ValueError, match="teacher's layers"):
        train(student, x, y, config, teacher=Network([784, 5]))


def test_train_calls_update_mini_batch_once_per_mini_batch(
    small_mnist, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import digitnet.training as training

    x, y, _, _ = small_mnist
    sizes: list[int] = []
    real = training.update_mini_batch

    def counting(net, batch, *args):  # type: ignore[no-untyped-def]
        sizes.append(len(batch))
        return real(net, batch, *args)

    monkeypatch.setattr(training, "update_mini_batch", counting)
    train(Network([784, 10]), x[:1000], y[:1000], TrainingConfig(epochs=2, batch_size=300))
    assert sizes == [300, 300, 300, 100] * 2


def test_update_mini_batch_is_one_step_down_the_gradient() -> None:
    from digitnet.costs import get_cost
    from digitnet.optimizers import SGD
    from digitnet.training import update_mini_batch

    rng = np.random.default_rng(0)
    x = rng.random((5, 784)).astype(np.float32)
    net = Network([784, 8, 10], seed=1)
    target = net.as_target(np.arange(5), 5)
    before = net.copy()
    grads = before.backprop(x, np.arange(5), "quadratic")
    cost = update_mini_batch(net, x, target, get_cost("quadratic"), SGD(), 0.5, 0.01)
    assert cost == pytest.approx(grads.cost)
    for w, w0, g in zip(net.weights, before.weights, grads.weights, strict=True):
        np.testing.assert_allclose(w, w0 - 0.5 * (g + 0.01 * w0), rtol=1e-5, atol=1e-6)
    for b, b0, g in zip(net.biases, before.biases, grads.biases, strict=True):
        np.testing.assert_allclose(b, b0 - 0.5 * g, rtol=1e-5, atol=1e-6)
