"""Knobs while it learns: pause, one mini-batch at a time, resume, and a new learning rate,
asked for from another thread while :func:`digitnet.training.train` runs.

Training asks :meth:`Knobs.before_batch` before every mini-batch for the learning rate to
use; while the run is paused it waits there, between two mini-batches, and a :meth:`step`
lets exactly one mini-batch through. Waiting changes nothing the mini-batches are made of (the
shuffling and augmentation draw from the recipe's seed alone), so a run paused, stepped and
resumed ends with exactly the same weights as the same run never paused.

A new learning rate takes effect from the next mini-batch. The recipe's schedule goes on from
there: later rates are the schedule's, scaled by ``new rate / the schedule's rate when it
changed`` (with the constant schedule: the new rate from then on). Every change is kept as a
:class:`RateChange` (where it happened and the new rate), which ``train`` writes into the
network's history (:func:`digitnet.history.record_rate_changes`).

The Python API::

    knobs = Knobs(paused=True, on_halt=lambda where: ...)
    train(net, images, labels, recipe, knobs=knobs)   # from another thread: knobs.step() ...
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from digitnet.errors import DigitnetError

#: Seconds between two looks at ``stop`` while paused.
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Position:
    """Where a run stands between two mini-batches: in epoch ``epoch`` (1 = the first),
    ``batch`` mini-batches and ``images`` images of its ``total`` done, their mean cost
    ``loss`` so far."""

    epoch: int
    batch: int
    images: int
    loss: float
    total: int

    @property
    def epochs_done(self) -> float:
        """Where on an axis of epochs: 1.25 is a quarter into the second epoch."""
        return self.epoch - 1 + self.images / max(self.total, 1)


@dataclass(frozen=True)
class RateChange:
    """The learning rate changed to ``learning_rate`` (from ``previous``) before mini-batch
    ``batch + 1`` of epoch ``epoch``, after ``images`` images of that epoch: at
    ``epochs_done`` on an axis of epochs."""

    epoch: int
    batch: int
    images: int
    learning_rate: float
    previous: float
    epochs_done: float


HaltCallback = Callable[[Position], None]
ChangeCallback = Callable[[RateChange], None]


def check_rate(rate: float) -> float:
    """``rate`` as a float if it is a usable learning rate (a finite number above 0)."""
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise DigitnetError(f"the learning rate must be a number, got {rate!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise DigitnetError(f"the learning rate must be a finite number above 0, got {rate}")
    return value


class Knobs:
    """The controls of one training run, safe to use from any thread.

    ``on_halt`` hears (on the training thread) each time the run comes to rest while paused,
    with where it stands; ``on_change`` each learning-rate change as it takes effect.
    """

    def __init__(
        self,
        *,
        paused: bool = False,
        on_halt: HaltCallback | None = None,
        on_change: ChangeCallback | None = None,
    ) -> None:
        self._condition = threading.Condition()
        self._paused = paused
        self._steps = 0  # mini-batches let through while paused
        self._wanted: float | None = None  # a new rate, not yet taken
        self._rate: float | None = None  # the rate asked for and the schedule's rate then
        self._scheduled_then = 1.0
        self.on_halt, self.on_change = on_halt, on_change
        self.changes: list[RateChange] = []

    # ------------------------------------------------------------------ asked from anywhere
    @property
    def paused(self) -> bool:
        with self._condition:
            return self._paused

    def pause(self) -> None:
        """Come to rest before the next mini-batch."""
        with self._condition:
            self._paused, self._steps = True, 0

    def resume(self) -> None:
        """Go on training."""
        with self._condition:
            self._paused, self._steps = False, 0
            self._condition.notify_all()

    def step(self) -> None:
        """Train one more mini-batch and come to rest again (only while paused)."""
        with self._condition:
            if not self._paused:
                raise DigitnetError("the run is not paused; pause it before stepping")
            self._steps += 1
            self._condition.notify_all()

    def set_learning_rate(self, rate: float) -> None:
        """Use ``rate`` from the next mini-batch on."""
        value = check_rate(rate)
        with self._condition:
            self._wanted = value

    # ------------------------------------------------------------------ asked by training
    def before_batch(
        self, where: Position, scheduled: float, stop: threading.Event | None = None
    ) -> float:
        """Wait while paused (until a step, a resume or ``stop``), then give the learning rate
        for the next mini-batch: the schedule's ``scheduled`` one, or as changed."""
        told = False
        with self._condition:
            while self._paused and not self._steps and not (stop is not None and stop.is_set()):
                if not told and self.on_halt is not None:
                    told = True
                    self._condition.release()
                    try:
                        self.on_halt(where)
                    finally:
                        self._condition.acquire()
                    continue
                self._condition.wait(POLL_SECONDS)
            if self._paused and self._steps:
                self._steps -= 1
            wanted, self._wanted = self._wanted, None
        previous = self._current(scheduled)
        if wanted is not None:
            self._rate, self._scheduled_then = wanted, scheduled
            change = RateChange(
                where.epoch, where.batch, where.images, wanted, previous, where.epochs_done
            )
            self.changes.append(change)
            if self.on_change is not None:
                self.on_change(change)
        return self._current(scheduled)

    def _current(self, scheduled: float) -> float:
        if self._rate is None:
            return scheduled
        if scheduled == self._scheduled_then or self._scheduled_then <= 0:
            return self._rate
        return self._rate * (scheduled / self._scheduled_then)
