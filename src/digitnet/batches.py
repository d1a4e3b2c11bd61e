"""An epoch's mini-batches, shuffled, gathered and distorted ahead of time on another core.

Training reads the training images in a new random order every epoch, in mini-batches, and
(with augmentation) each image with its own random distortion. Preparing those images costs
more than learning from them with a small network, so a :class:`BatchMaker` prepares them on
a background thread, a couple of thousand images (a *chunk*) at a time, while the training
thread learns from the chunks before. Shuffling and gathering are quick and stay on that
thread; the distortions are sent on to a process of their own (:mod:`digitnet.distorter`),
because a thread distorting beside the training thread fought it for Python's lock and the two
ran no faster than one after the other. When the training thread would wait for a chunk, it
prepares the next one itself instead, so neither core idles while there is work. The next
epoch's first chunks are ready before this epoch ends.

The random numbers are drawn exactly as a loop over the mini-batches would draw them, one
epoch after another: the shuffle (``rng.permutation``), then each mini-batch's distortions in
order. So the images, and the weights trained on them, are the same bit for bit as when each
mini-batch was prepared just before it was used; and the generator's state after each epoch
(what a checkpoint keeps) is known even though the thread has gone on to the next epoch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from digitnet.augment import Augmentation, Distortion, distort, sample_distortion
from digitnet.distorter import Distorter, DistorterGone, enabled

#: Images prepared at a time (rounded to whole mini-batches): big enough that NumPy's work
#: outweighs Python's, small enough to stay in the CPU's cache.
CHUNK_IMAGES = 2048
#: Chunks that may be prepared ahead of the one the training thread is learning from.
AHEAD = 4


@dataclass
class Chunk:
    """Consecutive mini-batches of one epoch: their images (distorted if asked) and which
    training images they are (row numbers, for the labels)."""

    images: NDArray[np.float32]
    rows: NDArray[np.intp]


@dataclass
class _Plan:
    """An epoch's random choices, and the generator's state after drawing them."""

    order: NDArray[np.intp]
    distortions: list[Distortion]
    rng_state: dict[str, Any]


def plan_epoch(
    n: int, batch_size: int, rng: np.random.Generator, aug: Augmentation | None
) -> tuple[NDArray[np.intp], list[Distortion]]:
    """An epoch's order of the ``n`` training images and each mini-batch's distortion (none
    without ``aug``), drawn from ``rng`` as a loop over the mini-batches draws them."""
    order = rng.permutation(n)
    if aug is None:
        return order, []
    whole, rest = divmod(n, batch_size)
    if aug.thickness == 0:
        # Only uniform draws: the whole mini-batches' in one go (see _uniform_batches).
        distortions = _uniform_batches(whole, batch_size, rng, aug) if whole else []
        return order, distortions + (_uniform_batches(1, rest, rng, aug) if rest else [])
    sizes = [batch_size] * whole + ([rest] if rest else [])
    # Elastic fields stay as their control points until used: an epoch's would fill 376 MB.
    return order, [sample_distortion(size, rng, aug, spread=False) for size in sizes]


def _uniform_batches(
    count: int, size: int, rng: np.random.Generator, aug: Augmentation
) -> list[Distortion]:
    """What ``count`` calls of :func:`sample_distortion` draw for mini-batches of ``size`` when
    every setting is a uniform draw (no thickness), from one call of the generator instead of
    thousands: ``rng.uniform(low, high, k)`` is ``low + (high - low) * rng.random(k)``, the
    same numbers bit for bit, in the same order (tests/test_speed_paths.py checks it)."""
    widths = [1, 1, 1, 1, 2 * 4 * 4 if aug.elastic > 0 else 0, 1 if aug.stretch > 0 else 0]
    draws = rng.random((count, sum(widths) * size))
    ends = np.cumsum(widths) * size
    angle, scale, shift_x, shift_y, control, stretch = np.split(draws, ends[:-1], axis=1)

    def uniform(u: NDArray[np.float64], limit: float) -> NDArray[np.float64]:
        return -limit + (limit - -limit) * u

    def f32(values: NDArray[np.float64]) -> NDArray[np.float32]:
        return values.astype(np.float32)

    turns = f32(uniform(angle, aug.rotate))
    scales = f32(1.0 + uniform(scale, aug.scale))
    shifts_x = f32(uniform(shift_x, aug.shift))
    shifts_y = f32(uniform(shift_y, aug.shift))
    controls = f32(uniform(control, aug.elastic)).reshape(count, -1, 2, 4, 4)
    stretches = f32(1.0 + uniform(stretch, aug.stretch))
    stroke = np.zeros(size, dtype=np.float32)
    stroke.flags.writeable = False  # one array of zeros for all the mini-batches
    return [
        Distortion(
            turns[k],
            scales[k],
            shifts_x[k],
            shifts_y[k],
            stroke,
            control=controls[k] if aug.elastic > 0 else None,
            stretch=stretches[k] if aug.stretch > 0 else None,
        )
        for k in range(count)
    ]


class BatchMaker:
    """Prepares the chunks of ``epochs`` epochs, in order, on a background thread (and on
    the training thread while it would otherwise wait).

    ``images`` are the training images ``(n, 784)`` float32; the shuffles and distortions are
    drawn from ``rng`` (see the module's doc), which nobody else may use until :meth:`close`.
    Call :meth:`epoch` once per epoch, in order; after its loop :attr:`rng_state` is the
    generator's state after that epoch's draws. Always :meth:`close` it (or use ``with``).
    """

    def __init__(
        self,
        images: NDArray[np.float32],
        batch_size: int,
        rng: np.random.Generator,
        aug: Augmentation | None,
        epochs: int,
    ) -> None:
        self.images, self.batch_size, self.rng, self.aug = images, batch_size, rng, aug
        self.rng_state: dict[str, Any] = dict(rng.bit_generator.state)
        self.epochs = epochs
        self.chunk_size = max(1, CHUNK_IMAGES // batch_size) * batch_size
        self.chunks = -(-len(images) // self.chunk_size)  # per epoch
        self._changed = threading.Condition()
        self._planning = threading.Lock()
        self._plans: dict[int, _Plan] = {}
        self._planned = 0  # epochs planned so far
        self._ready: dict[int, Chunk] = {}  # by task number: epoch * chunks + chunk
        self._claimed = 0  # tasks handed out so far
        self._wanted = 0  # the task the training thread waits for or learns from
        self._failure: BaseException | None = None
        self._closed = False
        self._epoch = 0
        #: The process distorting chunks, while it runs, and how many chunks it prepared.
        self.distorter: Distorter | None = None
        self.elsewhere = 0
        self._thread = threading.Thread(target=self._work, name="digitnet-batches", daemon=True)
        self._thread.start()

    def __enter__(self) -> BatchMaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def epoch(self) -> Iterator[Chunk]:
        """The next epoch's chunks, in order. Leaving the loop early is fine (a stopped run
        does not go on)."""
        e = self._epoch
        self._epoch += 1
        for k in range(self.chunks):
            yield self._take(e * self.chunks + k)
        self.rng_state = self._plans[e].rng_state
        with self._changed:
            del self._plans[e]

    def close(self) -> None:
        """Stop the background thread and wait for it."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join()

    # ------------------------------------------------------------------ the work
    def _take(self, task: int) -> Chunk:
        with self._changed:
            self._wanted = task
            self._changed.notify_all()
            while task not in self._ready:
                if self._failure is not None:
                    raise self._failure
                mine = self._claim()
                if mine is None:
                    self._changed.wait()
                else:  # help rather than wait
                    self._changed.release()
                    try:
                        self._do(mine)
                    finally:
                        self._changed.acquire()
            return self._ready.pop(task)

    def _claim(self) -> int | None:
        """The next task to prepare, if any may be now (called holding the lock)."""
        task = self._claimed
        if self._closed or task >= self.epochs * self.chunks or task >= self._wanted + AHEAD:
            return None
        self._claimed += 1
        return task

    def _work(self) -> None:
        self.distorter = self._start_distorter()
        try:
            while True:
                with self._changed:
                    task = self._claim()
                    while task is None:
                        if self._closed or self._claimed >= self.epochs * self.chunks:
                            return
                        self._changed.wait()
                        task = self._claim()
                if self.distorter is not None:
                    if self._do_elsewhere(task, self.distorter):
                        continue
                    self.distorter.close()  # it could not: go on without it
                    self.distorter = None
                self._do(task)
        finally:
            if self.distorter is not None:
                self.distorter.close()

    def _start_distorter(self) -> Distorter | None:
        """A process for the distortions (see :mod:`digitnet.distorter`), if there are any
        and one can start; the training thread starts on the first chunks meanwhile."""
        if self.aug is None or not enabled():
            return None
        try:
            return Distorter(self.images, self.chunk_size)
        except DistorterGone:
            return None

    def _do_elsewhere(self, task: int, distorter: Distorter) -> bool:
        """Prepare ``task`` in the distorting process; False if it could not (the task is
        then still this thread's to do)."""
        try:
            epoch, number = divmod(task, self.chunks)
            rows, distortion = self._inputs(epoch, number)
            assert distortion is not None  # a distorter starts only when there are distortions
            images = distorter.distort(rows, distortion, self.batch_size)
        except DistorterGone:
            return False
        except BaseException as exc:  # the training thread raises it
            self._fail(exc)
            return True
        with self._changed:
            self._ready[task] = Chunk(images, rows)
            self.elsewhere += 1
            self._changed.notify_all()
        return True

    def _fail(self, exc: BaseException) -> None:
        with self._changed:
            self._failure = exc
            self._closed = True
            self._changed.notify_all()

    def _do(self, task: int) -> None:
        try:
            chunk = self._prepare(*divmod(task, self.chunks))
        except BaseException as exc:  # the training thread raises it
            self._fail(exc)
            return
        with self._changed:
            self._ready[task] = chunk
            self._changed.notify_all()

    def _plan(self, epoch: int) -> _Plan:
        """Epoch ``epoch``'s plan; plans are drawn in epoch order, one at a time."""
        with self._planning:
            while self._planned <= epoch:
                order, distortions = plan_epoch(
                    len(self.images), self.batch_size, self.rng, self.aug
                )
                plan = _Plan(order, distortions, dict(self.rng.bit_generator.state))
                with self._changed:
                    self._plans[self._planned] = plan
                self._planned += 1
            with self._changed:
                return self._plans[epoch]

    def _inputs(self, epoch: int, number: int) -> tuple[NDArray[np.intp], Distortion | None]:
        """A chunk's rows, and its mini-batches' distortions (elastic fields as their
        control points) joined, if any."""
        plan = self._plan(epoch)
        start = number * self.chunk_size
        rows = plan.order[start : start + self.chunk_size]
        if not plan.distortions:
            return rows, None
        per_chunk = self.chunk_size // self.batch_size
        parts = plan.distortions[number * per_chunk : (number + 1) * per_chunk]
        return rows, Distortion.join(parts)

    def _prepare(self, epoch: int, number: int) -> Chunk:
        rows, distortion = self._inputs(epoch, number)
        images = self.images[rows]
        if distortion is not None:
            # Each mini-batch's elastic field is spread on its own, as the plain loop did.
            images = distort(images, distortion.spread(self.batch_size))
        return Chunk(images, rows)
