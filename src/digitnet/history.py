"""A training run's record: what each epoch achieved (:class:`EpochMetrics`, measured by
:func:`measure`, which also tells a diverged run), the callbacks that hear of it, and the
history and recipe a network keeps in its metadata (with the learning-rate changes made while
it ran, ``learning_rate_changes``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from digitnet.activations import Array
from digitnet.checkpoint import TrainingState
from digitnet.costs import get_cost
from digitnet.knobs import RateChange
from digitnet.network import Network
from digitnet.recipe import Recipe

#: Training images the untrained network's loss is measured on, for telling divergence.
START_SAMPLE = 1000
#: A run has diverged when its epoch's loss is this many times the untrained network's while
#: it reads no more than chance (1 / outputs) plus CHANCE_MARGIN of the training images. With
#: the page's sigmoid outputs (784-16-10 ReLU, plain SGD), η 100 gives 2.5 times (16.7 against
#: 6.7) at 11%; η 3 to 30 learn nothing in 2 epochs either but stay within 1.2 times.
DIVERGED_RISE = 1.5
CHANCE_MARGIN = 0.02


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
StateCallback = Callable[[Network, TrainingState], None]


def list_history(net: Network) -> list[EpochMetrics]:
    """The metrics history kept in ``net.metadata`` (empty for a new network)."""
    return [EpochMetrics(**h) for h in net.metadata.get("history", [])]


def record_history(net: Network, recipe: Recipe, history: list[EpochMetrics]) -> None:
    """Write ``recipe`` and ``history`` into ``net.metadata`` (what its model file keeps)."""
    net.metadata["training"] = recipe.to_dict()
    net.metadata["history"] = [asdict(h) for h in history]


#: The metadata key of the learning-rate changes made while a run went on (:mod:`digitnet.knobs`).
RATE_CHANGES = "learning_rate_changes"


def record_rate_changes(net: Network, changes: list[RateChange]) -> None:
    """Add ``changes`` to the learning-rate changes ``net.metadata`` keeps (none: no key)."""
    before = net.metadata.get(RATE_CHANGES)
    kept = [c for c in before if isinstance(c, dict)] if isinstance(before, list) else []
    kept += [asdict(c) for c in changes]
    if kept:
        net.metadata[RATE_CHANGES] = kept


def evaluate(
    net: Network, inputs: Array, labels: NDArray[np.integer], cost: str
) -> tuple[float, float]:
    """(mean cost, accuracy) of ``net`` on validated inputs ``(n, n_in)`` and integer labels."""
    outputs = net.predict_proba(inputs)
    target = net.as_target(labels, len(labels))
    loss = get_cost(cost).value(outputs, target, net.activation_of(net.num_layers - 1))
    n = max(len(inputs), 1)
    return float(loss), int(np.sum(np.argmax(outputs, axis=1) == labels)) / n


def measure(
    net: Network,
    cost: str,
    measured: list[tuple[Array, NDArray[np.int64]]],
    number: int,
    loss: float,
    seen: int,
    seconds: float,
    lr: float,
    start_loss: float | None = None,
) -> EpochMetrics:
    """An epoch's metrics: its mean loss, the accuracy on the training images and the loss
    and accuracy on the validation images (the second pair of ``measured``, if any).

    FloatingPointError says the run diverged: its loss is not finite, or it is above
    ``start_loss`` (the untrained network's) while the network reads no more training
    images than chance would (a learning rate far too large saturates every output)."""
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"training diverged in epoch {number} (loss is {loss}); try a smaller learning rate"
        )
    _, train_accuracy = evaluate(net, *measured[0], cost)
    chance = 1.0 / net.sizes[-1]
    rose = start_loss is not None and loss > DIVERGED_RISE * start_loss
    if rose and train_accuracy <= chance + CHANCE_MARGIN:
        raise FloatingPointError(
            f"training diverged in epoch {number}: its loss rose from {start_loss:.3g} to "
            f"{loss:.3g} and it reads {train_accuracy:.0%} of the training images, no better "
            "than chance; try a smaller learning rate"
        )
    val_loss, val_acc = evaluate(net, *measured[1], cost) if len(measured) > 1 else (None, None)
    return EpochMetrics(
        epoch=number,
        loss=loss,
        train_accuracy=train_accuracy,
        validation_accuracy=val_acc,
        validation_loss=val_loss,
        learning_rate=lr,
        seconds=seconds,
        images_per_second=seen / seconds if seconds > 0 else 0.0,
    )
