"""Learning: stochastic gradient descent over mini-batches, epoch after epoch.

Each epoch shuffles the training images, cuts them into mini-batches, and for each batch runs
backpropagation (:meth:`Network.backprop`) and lets the optimizer take one step downhill.
After each epoch it measures loss and accuracy (training and validation), keeps them in a
history, and can stop early when validation accuracy stops improving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from digitnet.activations import Array, softmax
from digitnet.augment import Augmentation, augment_batch
from digitnet.costs import get_cost
from digitnet.network import DTYPE, Network
from digitnet.optimizers import SCHEDULES, learning_rate_at, make_optimizer

# Multiply-adds of one mini-batch's forward pass below which one BLAS thread is fastest:
# measured here, two threads slow the video's network down and speed wide networks up.
SMALL_WORK = 4_000_000


@dataclass
class TrainingConfig:
    """A training recipe. The defaults are Nielsen's chapter-1 run (SGD, eta 3.0, batch 10)."""

    epochs: int = 30
    batch_size: int = 10
    learning_rate: float = 3.0
    cost: str = "quadratic"
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    step_every: int = 10
    step_factor: float = 0.5
    early_stopping: int = 0
    validation_size: int = 10_000
    augment: dict[str, float] = field(default_factory=dict)
    teacher: str = ""
    distill_weight: float = 0.7
    temperature: float = 2.0
    seed: int = 0
    threads: int = 0

    def validate(self) -> None:
        """Raise ValueError with one clear sentence for an impossible setting."""
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"mini-batch size must be at least 1, got {self.batch_size}")
        if not self.learning_rate > 0 or not np.isfinite(self.learning_rate):
            raise ValueError(f"learning rate must be a positive number, got {self.learning_rate}")
        if self.weight_decay < 0:
            raise ValueError(f"weight decay must not be negative, got {self.weight_decay}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}")
        if self.early_stopping < 0:
            raise ValueError("early-stopping patience must not be negative")
        if self.validation_size < 0:
            raise ValueError("validation size must not be negative")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ValueError(f"distillation weight must lie in 0..1, got {self.distill_weight}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        get_cost(self.cost)
        make_optimizer(self.optimizer, self.momentum)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EpochMetrics:
    """What one epoch achieved."""

    epoch: int
    loss: float
    train_accuracy: float
    validation_accuracy: float | None
    validation_loss: float | None
    learning_rate: float
    seconds: float
    images_per_second: float


ProgressCallback = Callable[[int, int, float], None]
EpochCallback = Callable[[EpochMetrics, Network], None]


def choose_threads(net: Network, batch_size: int, threads: int = 0) -> int | None:
    """BLAS threads for training: 1 for small matrices (threads fight over tiny products),
    all cores (None) for large ones; ``threads`` > 0 forces a number."""
    if threads > 0:
        return threads
    return 1 if batch_size * net.num_parameters < SMALL_WORK else None


def evaluate(
    net: Network, inputs: Array, labels: NDArray[np.integer], cost: str
) -> tuple[float, float]:
    """(mean cost, accuracy) of ``net`` on validated inputs ``(n, n_in)`` and integer labels."""
    cost_fn = get_cost(cost)
    output = net.activation_of(net.num_layers - 1)
    total, correct = 0.0, 0
    for start in range(0, len(inputs), 10_000):
        x = inputs[start : start + 10_000]
        y = labels[start : start + 10_000]
        a = net._feedforward(x).output
        total += cost_fn.value(a, net.as_target(y, len(y)), output) * len(y)
        correct += int(np.sum(np.argmax(a, axis=1) == y))
    n = max(len(inputs), 1)
    return total / n, correct / n


def train(
    net: Network,
    images: NDArray[np.generic],
    labels: NDArray[np.integer],
    config: TrainingConfig,
    validation: tuple[NDArray[np.generic], NDArray[np.integer]] | None = None,
    *,
    on_batch: ProgressCallback | None = None,
    on_epoch: EpochCallback | None = None,
    stop: threading.Event | None = None,
    checkpoint: str | Path | None = None,
    teacher: Network | None = None,
) -> list[EpochMetrics]:
    """Train ``net`` in place on ``images`` (n, 784 or 28x28) and ``labels`` (n,).

    ``validation`` is measured after every epoch (and drives early stopping). ``on_batch``
    is called as ``(epoch, images_done, running_loss)`` every few batches, ``on_epoch`` after
    each epoch; setting ``stop`` ends training after the current batch. With early stopping
    the best epoch's parameters are restored at the end. With a ``teacher`` network the wanted
    outputs are a mix of the labels and the teacher's softened answers for the same (augmented)
    images (knowledge distillation). The history also lands in
    ``net.metadata["history"]`` and the recipe in ``net.metadata["training"]``.
    """
    config.validate()
    x_train = net.as_input(images)
    y_train = np.asarray(labels).astype(np.int64)
    if len(x_train) != len(y_train):
        raise ValueError(f"{len(x_train)} images but {len(y_train)} labels")
    if len(x_train) == 0:
        raise ValueError("no training images")
    targets = net.as_target(y_train, len(y_train))
    x_val = y_val = None
    if validation is not None and len(validation[1]):
        x_val = net.as_input(validation[0])
        y_val = np.asarray(validation[1]).astype(np.int64)
    if teacher is not None and (teacher.sizes[0], teacher.sizes[-1]) != (
        net.sizes[0],
        net.sizes[-1],
    ):
        raise ValueError(
            f"the teacher's layers {teacher.sizes} do not fit the network's {net.sizes}: "
            "input and output sizes must agree"
        )
    augment = None
    if config.augment:
        # Settings not named are off, not the Augmentation defaults.
        augment = Augmentation(**{**Augmentation.none().to_dict(), **config.augment})
        if augment.is_identity():
            augment = None

    rng = np.random.default_rng(config.seed)
    cost = get_cost(config.cost)
    optimizer = make_optimizer(config.optimizer, config.momentum)
    history: list[EpochMetrics] = list_history(net)
    first_epoch = len(history) + 1
    best_accuracy, best_params, since_best = -1.0, None, 0
    n, batch_size = len(x_train), config.batch_size
    decay = DTYPE(config.weight_decay)
    report_every = max(1, 2000 // batch_size)

    threads = choose_threads(net, batch_size, config.threads)
    # Overflow in a diverging run is reported below as one clear error, not as warnings.
    with (
        threadpool_limits(limits=threads, user_api="blas"),
        np.errstate(over="ignore", invalid="ignore"),
    ):
        for e in range(config.epochs):
            lr = learning_rate_at(
                e,
                config.learning_rate,
                config.schedule,
                config.epochs,
                config.step_every,
                config.step_factor,
            )
            order = rng.permutation(n)
            started = time.perf_counter()
            loss_sum, seen = 0.0, 0
            for k, start in enumerate(range(0, n, batch_size)):
                idx = order[start : start + batch_size]
                x = x_train[idx]
                if augment is not None:
                    x = augment_batch(x, rng, augment)
                wanted = targets[idx]
                if teacher is not None:
                    wanted = distilled_targets(teacher, x, wanted, config)
                grads = net._backprop(x, wanted, cost)
                if decay:
                    for g, w in zip(grads.weights, net.weights, strict=True):
                        g += decay * w
                optimizer.step(net.weights + net.biases, grads.weights + grads.biases, lr)
                loss_sum += grads.cost * len(idx)
                seen += len(idx)
                if on_batch is not None and (k % report_every == 0 or seen == n):
                    on_batch(first_epoch + e, seen, loss_sum / seen)
                if stop is not None and stop.is_set():
                    break
            seconds = time.perf_counter() - started
            _, train_acc = evaluate(net, x_train, y_train, config.cost)
            val_loss = val_acc = None
            if x_val is not None and y_val is not None:
                val_loss, val_acc = evaluate(net, x_val, y_val, config.cost)
            metrics = EpochMetrics(
                epoch=first_epoch + e,
                loss=loss_sum / max(seen, 1),
                train_accuracy=train_acc,
                validation_accuracy=val_acc,
                validation_loss=val_loss,
                learning_rate=lr,
                seconds=seconds,
                images_per_second=seen / seconds if seconds > 0 else 0.0,
            )
            history.append(metrics)
            if not np.isfinite(metrics.loss):
                raise FloatingPointError(
                    f"training diverged in epoch {metrics.epoch} (loss is {metrics.loss}); "
                    "try a smaller learning rate"
                )
            if on_epoch is not None:
                on_epoch(metrics, net)
            if val_acc is not None and val_acc > best_accuracy:
                best_accuracy, since_best = val_acc, 0
                if config.early_stopping:
                    best_params = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
                if checkpoint is not None:
                    _record(net, config, history)
                    net.save(checkpoint)
            else:
                since_best += 1
            if stop is not None and stop.is_set():
                break
            if config.early_stopping and since_best >= config.early_stopping:
                break
    if best_params is not None:
        net.weights, net.biases = best_params
    _record(net, config, history)
    return history


def distilled_targets(teacher: Network, x: Array, labels: Array, config: TrainingConfig) -> Array:
    """Wanted outputs ``(batch, 10)``: ``(1 - w) * one-hot labels + w * softmax(z / T)`` of the
    teacher's output weighted sums ``z``, so the student also learns which wrong answers are
    plausible (Hinton et al., 2015)."""
    z = teacher._feedforward(x).weighted_sums[-1] / DTYPE(config.temperature)
    w = DTYPE(config.distill_weight)
    return (1 - w) * labels + w * softmax(z)


def list_history(net: Network) -> list[EpochMetrics]:
    """The metrics history kept in ``net.metadata`` (empty for a new network)."""
    return [EpochMetrics(**h) for h in net.metadata.get("history", [])]


def _record(net: Network, config: TrainingConfig, history: list[EpochMetrics]) -> None:
    net.metadata["training"] = config.to_dict()
    net.metadata["history"] = [asdict(h) for h in history]
