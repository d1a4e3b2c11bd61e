"""A training run's record: what each epoch achieved (:class:`EpochMetrics`), the callbacks
that hear of it, and the history and recipe a network keeps in its metadata (with the
learning-rate changes made while it ran, ``learning_rate_changes``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from digitnet.checkpoint import TrainingState
from digitnet.knobs import RateChange
from digitnet.network import Network
from digitnet.recipe import Recipe


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
