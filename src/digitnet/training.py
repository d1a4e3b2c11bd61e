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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from digitnet.activations import Array, softmax
from digitnet.augment import augment_batch, augmentation_for
from digitnet.costs import Cost, get_cost
from digitnet.network import DTYPE, Network
from digitnet.optimizers import Optimizer, learning_rate_at, make_optimizer
from digitnet.recipe import Recipe

# Multiply-adds of one mini-batch's forward pass below which one BLAS thread is fastest:
# measured here, two threads slow the video's network down and speed wide networks up.
SMALL_WORK = 4_000_000


def TrainingConfig(**options: Any) -> Recipe:  # noqa: N802 - digitnet 0.1's class name
    """digitnet 0.1's training settings: now a :class:`~digitnet.recipe.Recipe` whose
    defaults are Nielsen's chapter-1 run (SGD, eta 3.0, mini-batch 10, 30 epochs)."""
    return Recipe.preset("nielsen", **options)


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
    outputs = net.predict_proba(inputs)
    target = net.as_target(labels, len(labels))
    loss = get_cost(cost).value(outputs, target, net.activation_of(net.num_layers - 1))
    n = max(len(inputs), 1)
    return float(loss), int(np.sum(np.argmax(outputs, axis=1) == labels)) / n


def train(
    net: Network,
    images: NDArray[np.generic],
    labels: NDArray[np.integer],
    recipe: Recipe,
    validation: tuple[NDArray[np.generic], NDArray[np.integer]] | None = None,
    *,
    on_batch: ProgressCallback | None = None,
    on_epoch: EpochCallback | None = None,
    stop: threading.Event | None = None,
    checkpoint: str | Path | None = None,
    teacher: Network | None = None,
) -> list[EpochMetrics]:
    """Train ``net`` in place on ``images`` (n, 784 or 28x28) and ``labels`` (n,), epoch
    after epoch, with the learning options of ``recipe`` (its network and data options are
    for :func:`digitnet.runner.run_recipe`).

    ``validation`` is measured after every epoch (and drives early stopping). ``on_batch``
    is called as ``(epoch, images_done, running_loss)`` every few batches, ``on_epoch`` after
    each epoch; setting ``stop`` ends training after the current batch. With early stopping
    the best epoch's parameters are restored at the end. With a ``teacher`` network the wanted
    outputs are a mix of the labels and the teacher's softened answers for the same (augmented)
    images (knowledge distillation). The history also lands in
    ``net.metadata["history"]`` and the recipe in ``net.metadata["training"]``.
    """
    recipe.validate()
    x_train = net.as_input(images)
    y_train = np.asarray(labels).astype(np.int64)
    if len(x_train) != len(y_train):
        raise ValueError(f"{len(x_train)} images but {len(y_train)} labels")
    if len(x_train) == 0:
        raise ValueError("no training images")
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
    epoch = Epoch(net, recipe, x_train, y_train, teacher, on_batch, stop)
    history: list[EpochMetrics] = list_history(net)
    first_epoch = len(history) + 1
    best_accuracy, best_params, since_best = -1.0, None, 0
    threads = choose_threads(net, recipe.batch_size, recipe.threads)
    # Overflow in a diverging run is reported below as one clear error, not as warnings.
    with (
        threadpool_limits(limits=threads, user_api="blas"),
        np.errstate(over="ignore", invalid="ignore"),
    ):
        for e in range(recipe.epochs):
            loss, seen, seconds, lr = epoch.run(first_epoch + e, e)
            _, train_acc = evaluate(net, x_train, y_train, recipe.cost)
            val_loss = val_acc = None
            if x_val is not None and y_val is not None:
                val_loss, val_acc = evaluate(net, x_val, y_val, recipe.cost)
            metrics = EpochMetrics(
                epoch=first_epoch + e,
                loss=loss,
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
                if recipe.early_stopping:
                    best_params = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
                if checkpoint is not None:
                    _record(net, recipe, history)
                    net.save(checkpoint)
            else:
                since_best += 1
            if stop is not None and stop.is_set():
                break
            if recipe.early_stopping and since_best >= recipe.early_stopping:
                break
    if best_params is not None:
        net.weights, net.biases = best_params
    _record(net, recipe, history)
    return history


class Epoch:
    """One pass over the training images in shuffled mini-batches: :meth:`run` calls
    :func:`update_mini_batch` for each batch, as in Nielsen's ``network.py``."""

    def __init__(
        self,
        net: Network,
        recipe: Recipe,
        x_train: Array,
        y_train: NDArray[np.int64],
        teacher: Network | None,
        on_batch: ProgressCallback | None,
        stop: threading.Event | None,
    ) -> None:
        self.net, self.recipe, self.x_train = net, recipe, x_train
        self.targets = net.as_target(y_train, len(y_train))
        self.teacher, self.on_batch, self.stop = teacher, on_batch, stop
        self.augment = augmentation_for(recipe.augment)
        self.rng = np.random.default_rng(recipe.seed)
        self.cost = get_cost(recipe.cost)
        self.optimizer = make_optimizer(recipe.optimizer, recipe.momentum)

    def run(self, number: int, index: int) -> tuple[float, int, float, float]:
        """Train epoch ``number`` (``index`` counts from 0 in this run, for the schedule);
        return (mean loss, images seen, seconds, learning rate)."""
        r = self.recipe
        lr = learning_rate_at(
            index, r.learning_rate, r.schedule, r.epochs, r.step_every, r.step_factor
        )
        net, x_train, targets, rng = self.net, self.x_train, self.targets, self.rng
        augment, teacher, on_batch, stop = self.augment, self.teacher, self.on_batch, self.stop
        cost, optimizer, decay = self.cost, self.optimizer, r.weight_decay
        n, batch_size = len(x_train), r.batch_size
        report_every = max(1, 2000 // batch_size)
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
                wanted = distilled_targets(teacher, x, wanted, r)
            loss_sum += update_mini_batch(net, x, wanted, cost, optimizer, lr, decay) * len(idx)
            seen += len(idx)
            if on_batch is not None and (k % report_every == 0 or seen == n):
                on_batch(number, seen, loss_sum / seen)
            if stop is not None and stop.is_set():
                break
        return loss_sum / max(seen, 1), seen, time.perf_counter() - started, lr


def update_mini_batch(
    net: Network,
    x: Array,
    wanted: Array,
    cost: Cost,
    optimizer: Optimizer,
    learning_rate: float,
    weight_decay: float = 0.0,
) -> float:
    """One step of gradient descent on one mini-batch: backpropagation gives the gradient
    of the cost (plus ``weight_decay`` times the weights, L2), the optimizer steps downhill.
    Returns the mini-batch's cost before the step."""
    grads = net._backprop(x, wanted, cost)
    if weight_decay:
        decay = DTYPE(weight_decay)
        for g, w in zip(grads.weights, net.weights, strict=True):
            g += decay * w
    optimizer.step(net.weights + net.biases, grads.weights + grads.biases, learning_rate)
    return grads.cost


def distilled_targets(teacher: Network, x: Array, labels: Array, recipe: Recipe) -> Array:
    """Wanted outputs ``(batch, 10)``: ``(1 - w) * one-hot labels + w * softmax(z / T)`` of the
    teacher's output weighted sums ``z``, so the student also learns which wrong answers are
    plausible (Hinton et al., 2015)."""
    z = teacher._feedforward(x).weighted_sums[-1] / DTYPE(recipe.temperature)
    w = DTYPE(recipe.distill_weight)
    return (1 - w) * labels + w * softmax(z)


def list_history(net: Network) -> list[EpochMetrics]:
    """The metrics history kept in ``net.metadata`` (empty for a new network)."""
    return [EpochMetrics(**h) for h in net.metadata.get("history", [])]


def _record(net: Network, recipe: Recipe, history: list[EpochMetrics]) -> None:
    net.metadata["training"] = recipe.to_dict()
    net.metadata["history"] = [asdict(h) for h in history]
