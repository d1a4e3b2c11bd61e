"""Learning: stochastic gradient descent over mini-batches, epoch after epoch.

Each epoch shuffles the training images, cuts them into mini-batches, and for each batch runs
backpropagation (:meth:`Network.backprop`) and lets the optimizer take one step downhill.
After each epoch it measures loss and accuracy (training and validation), keeps them in a
history, and can stop early when validation accuracy stops improving.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from digitnet.activations import Array, softmax
from digitnet.augment import augmentation_for
from digitnet.batches import BatchMaker
from digitnet.checkpoint import TrainingState, write_checkpoint
from digitnet.costs import Cost, get_cost
from digitnet.errors import DigitnetError
from digitnet.history import (
    START_SAMPLE,
    EpochCallback,
    EpochMetrics,
    ProgressCallback,
    StateCallback,
    evaluate,
    list_history,
    measure,
    record_history,
    record_rate_changes,
)
from digitnet.knobs import Knobs, Position
from digitnet.network import DTYPE, Network
from digitnet.optimizers import Optimizer, learning_rate_at, make_optimizer
from digitnet.parameters import FlatParameters
from digitnet.recipe import Recipe

# Multiply-adds of one mini-batch's forward pass below which one BLAS thread is fastest:
# measured here, two threads slow the video's network down and speed wide networks up.
SMALL_WORK = 4_000_000


def TrainingConfig(**options: Any) -> Recipe:  # noqa: N802 - digitnet 0.1's class name
    """digitnet 0.1's training settings: now a :class:`~digitnet.recipe.Recipe` whose
    defaults are Nielsen's chapter-1 run (SGD, eta 3.0, mini-batch 10, 30 epochs)."""
    return Recipe.preset("nielsen", **options)


def choose_threads(net: Network, batch_size: int, threads: int = 0) -> int | None:
    """BLAS threads for training: 1 for small matrices (threads fight over tiny products),
    all cores (None) for large ones; ``threads`` > 0 forces a number."""
    if threads > 0:
        return threads
    return 1 if batch_size * net.num_parameters < SMALL_WORK else None


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
    save_best: str | Path | None = None,
    teacher: Network | None = None,
    state: TrainingState | None = None,
    on_state: StateCallback | None = None,
    knobs: Knobs | None = None,
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

    ``checkpoint`` is written (atomically) after every epoch with everything needed to continue
    (:mod:`digitnet.checkpoint`); ``state`` continues a run from one (read it with
    :func:`~digitnet.checkpoint.read_checkpoint`, which also gives the network). ``on_state``
    gets a copy of the network and the state at the start and after every epoch (e.g. to save
    it when the run is interrupted). ``save_best`` is written whenever validation accuracy
    improves: the best model so far. ``knobs`` pause, step and resume the run and change its
    learning rate while it goes on (:mod:`digitnet.knobs`); its changes join the history.
    """
    recipe.validate()
    x_train, y_train = _training_data(net, images, labels)
    measured = [(x_train, y_train)]
    if validation is not None and len(validation[1]):
        measured.append((net.as_input(validation[0]), np.asarray(validation[1]).astype(np.int64)))
    _check_teacher(net, teacher)
    start_loss = evaluate(net, x_train[:START_SAMPLE], y_train[:START_SAMPLE], recipe.cost)[0]
    epoch = Epoch(net, recipe, x_train, y_train, teacher, on_batch, stop, knobs)
    history: list[EpochMetrics] = list_history(net)
    best = BestEpoch(net, recipe, history, save_best)
    done = 0 if state is None else state.epochs_done
    if state is not None:
        epoch.resume(state)
        best.resume(state)

    def keep(epochs_done: int) -> None:
        if checkpoint is None and on_state is None:
            return
        record_history(net, recipe, history)
        copy, now = net.copy(), epoch.state(epochs_done, best, state)
        if checkpoint is not None:
            write_checkpoint(checkpoint, copy, now)
        if on_state is not None:
            on_state(copy, now)

    keep(done)
    threads = choose_threads(net, recipe.batch_size, recipe.threads)
    # Overflow in a diverging run is reported below as one clear error, not as warnings.
    with (
        threadpool_limits(limits=threads, user_api="blas"),
        np.errstate(over="ignore", invalid="ignore"),
        epoch.batches(recipe.epochs - done),
    ):
        for e in range(done, recipe.epochs):
            number = len(history) + 1
            loss, seen, seconds, lr = epoch.run(number, e)
            stopped = stop is not None and stop.is_set()
            # A stopped epoch is cut short: its few mini-batches tell nothing of divergence.
            start = None if stopped else start_loss
            metrics = measure(net, recipe.cost, measured, number, loss, seen, seconds, lr, start)
            history.append(metrics)
            if on_epoch is not None:
                on_epoch(metrics, net)
            patience_over = best.update(metrics)
            if not stopped:  # a stopped epoch ended early: no state to continue from
                keep(recipe.epochs if patience_over else e + 1)
            if patience_over or stopped:
                break
    best.restore()
    record_history(net, recipe, history)
    if knobs is not None:
        record_rate_changes(net, knobs.changes)
    return history


def _training_data(
    net: Network, images: NDArray[np.generic], labels: NDArray[np.integer]
) -> tuple[Array, NDArray[np.int64]]:
    x_train = net.as_input(images)
    y_train = np.asarray(labels).astype(np.int64)
    if len(x_train) != len(y_train):
        raise ValueError(f"{len(x_train)} images but {len(y_train)} labels")
    if len(x_train) == 0:
        raise ValueError("no training images")
    return x_train, y_train


def _check_teacher(net: Network, teacher: Network | None) -> None:
    if teacher is not None and (teacher.sizes[0], teacher.sizes[-1]) != (
        net.sizes[0],
        net.sizes[-1],
    ):
        raise ValueError(
            f"the teacher's layers {teacher.sizes} do not fit the network's {net.sizes}: "
            "input and output sizes must agree"
        )


class BestEpoch:
    """Keeps track of the best validation accuracy: saves a checkpoint when it improves,
    keeps that epoch's parameters for early stopping, and says when patience runs out."""

    def __init__(
        self,
        net: Network,
        recipe: Recipe,
        history: list[EpochMetrics],
        checkpoint: str | Path | None,
    ) -> None:
        self.net, self.recipe, self.history, self.checkpoint = net, recipe, history, checkpoint
        self.accuracy, self.since = -1.0, 0
        self.params: tuple[list[Array], list[Array]] | None = None

    def update(self, metrics: EpochMetrics) -> bool:
        """Note an epoch; True when early stopping's patience has run out."""
        val = metrics.validation_accuracy
        if val is not None and val > self.accuracy:
            self.accuracy, self.since = val, 0
            net = self.net
            if self.recipe.early_stopping:
                self.params = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
            if self.checkpoint is not None:
                record_history(net, self.recipe, self.history)
                net.save(self.checkpoint)
        else:
            self.since += 1
        return bool(self.recipe.early_stopping) and self.since >= self.recipe.early_stopping

    def resume(self, state: TrainingState) -> None:
        """Continue from a checkpoint's bookkeeping."""
        self.accuracy, self.since, self.params = (
            state.best_accuracy,
            state.since_best,
            state.best_params,
        )

    def restore(self) -> None:
        """Give the network back the best epoch's parameters (with early stopping)."""
        if self.params is not None:
            self.net.weights, self.net.biases = self.params


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
        knobs: Knobs | None = None,
    ) -> None:
        self.net, self.recipe, self.x_train = net, recipe, x_train
        self.targets = net.as_target(y_train, len(y_train))
        self.teacher, self.on_batch, self.stop = teacher, on_batch, stop
        self.augment = augmentation_for(recipe.augment)
        self.rng = np.random.default_rng(recipe.seed)
        self.maker: BatchMaker | None = None
        self.cost = get_cost(recipe.cost)
        self.optimizer = make_optimizer(recipe.optimizer, recipe.momentum)
        # The parameters as views of one array: the optimizer steps over it in one go.
        self.flat = FlatParameters(net)
        self.knobs = knobs

    def resume(self, state: TrainingState) -> None:
        """Continue with a checkpoint's random generator and optimizer memory."""
        try:
            self.rng.bit_generator.state = state.rng
        except (TypeError, ValueError, KeyError) as exc:
            raise DigitnetError(
                f"the checkpoint's random generator state is not valid ({exc})"
            ) from None
        try:
            arrays = self.flat.joined(state.optimizer)
        except ValueError as exc:
            raise DigitnetError(f"the checkpoint's optimizer state is not valid ({exc})") from None
        self.optimizer.load_state(arrays, state.optimizer_numbers)

    def batches(self, epochs: int) -> BatchMaker:
        """Start preparing the next ``epochs`` epochs' mini-batches on another thread (it
        draws from :attr:`rng` from now on); close what it returns when training ends."""
        r = self.recipe
        self.maker = BatchMaker(self.x_train, r.batch_size, self.rng, self.augment, epochs)
        return self.maker

    def state(
        self, epochs_done: int, best: BestEpoch, previous: TrainingState | None
    ) -> TrainingState:
        """Where the run stands now (copies), for a checkpoint."""
        arrays, numbers = self.optimizer.state()
        arrays = self.flat.per_layer(arrays)
        params = best.params
        return TrainingState(
            epochs_done=epochs_done,
            rng=dict(self.rng.bit_generator.state if self.maker is None else self.maker.rng_state),
            optimizer=arrays,
            optimizer_numbers=numbers,
            best_accuracy=best.accuracy,
            since_best=best.since,
            best_params=None if params is None else ([*params[0]], [*params[1]]),
            context={} if previous is None else dict(previous.context),
        )

    def run(self, number: int, index: int) -> tuple[float, int, float, float]:
        """Train epoch ``number`` (``index`` counts from 0 in this run, for the schedule);
        return (mean loss, images seen, seconds, learning rate)."""
        r = self.recipe
        scheduled = learning_rate_at(
            index, r.learning_rate, r.schedule, r.epochs, r.step_every, r.step_factor
        )
        lr = scheduled
        net, targets, maker = self.net, self.targets, self.maker
        teacher, on_batch, stop, knobs = self.teacher, self.on_batch, self.stop, self.knobs
        cost, optimizer, decay, flat = self.cost, self.optimizer, r.weight_decay, self.flat
        flat.hold()
        if maker is None:
            raise RuntimeError("Epoch.run needs Epoch.batches first")
        n, batch_size = len(self.x_train), r.batch_size
        report_every = max(1, 2000 // batch_size)
        started = time.perf_counter()
        loss_sum, seen, k = 0.0, 0, 0
        for chunk in maker.epoch():
            for start in range(0, len(chunk.rows), batch_size):
                if knobs is not None:  # paused: waits here, between two mini-batches
                    where = Position(number, k, seen, loss_sum / max(seen, 1), n)
                    lr = knobs.before_batch(where, scheduled, stop)
                x = chunk.images[start : start + batch_size]
                wanted = targets[chunk.rows[start : start + batch_size]]
                if teacher is not None:
                    wanted = distilled_targets(teacher, x, wanted, r)
                loss = update_mini_batch(net, x, wanted, cost, optimizer, lr, decay, flat)
                loss_sum += loss * len(x)
                seen += len(x)
                if on_batch is not None and (k % report_every == 0 or seen == n):
                    on_batch(number, seen, loss_sum / seen)
                k += 1
                if stop is not None and stop.is_set():
                    break
            else:
                continue
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
    flat: FlatParameters | None = None,
) -> float:
    """One step of gradient descent on one mini-batch: backpropagation gives the gradient
    of the cost (plus ``weight_decay`` times the weights, L2), the optimizer steps downhill.
    Returns the mini-batch's cost before the step. With ``flat`` (the network's parameters
    as views of one array, see :mod:`digitnet.parameters`) the optimizer steps over that one
    array; the numbers are the same."""
    grads = net._backprop(x, wanted, cost, None if flat is None else flat.grads)
    if weight_decay:
        decay = DTYPE(weight_decay)
        for g, w in zip(grads.weights, net.weights, strict=True):
            g += decay * w
    if flat is None:
        optimizer.step(net.weights + net.biases, grads.weights + grads.biases, learning_rate)
    else:
        optimizer.step([flat.values], [flat.gradient], learning_rate)
    return grads.cost


def distilled_targets(teacher: Network, x: Array, labels: Array, recipe: Recipe) -> Array:
    """Wanted outputs ``(batch, 10)``: ``(1 - w) * one-hot labels + w * softmax(z / T)`` of the
    teacher's output weighted sums ``z``, so the student also learns which wrong answers are
    plausible (Hinton et al., 2015)."""
    z = teacher._feedforward(x).weighted_sums[-1] / DTYPE(recipe.temperature)
    w = DTYPE(recipe.distill_weight)
    return (1 - w) * labels + w * softmax(z)
