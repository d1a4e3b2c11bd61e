"""The training process: one page run, away from the server that answers predictions.

:func:`train_in_child` is what a run's child process executes (multiprocessing, "spawn"). It
trains with :func:`digitnet.runner.run_recipe` on one BLAS thread at a lower priority and
sends the server, through its end of a pipe, tuples of

* ``("event", kind, data)`` for ``started``, ``batch`` (a first burst of
  :data:`BATCH_EVENT_BURST`, then at most :data:`BATCH_EVENTS_PER_SECOND`) and ``epoch``
  (with the first layer's weight pictures);
* then ``("done", status, test_accuracy, network)`` (``finished`` or ``stopped``) or
  ``("failed", one_sentence)``.

The server may send ``"stop"``: training ends after its current mini-batch and the network
comes back as it is. It may also turn the run's knobs (:mod:`digitnet.knobs`) with
``("pause",)``, ``("resume",)``, ``("step",)`` and ``("rate", new_learning_rate)``; the run
then sends ``paused`` events (where it came to rest) and ``rate`` events (where a new rate
took effect). When the server's end of the pipe closes (the server went away), the
process ends at once.
"""

from __future__ import annotations

import base64
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from digitnet.errors import DigitnetError
from digitnet.knobs import Knobs, Position, RateChange
from digitnet.network import Network
from digitnet.recipe import Recipe
from digitnet.replay import SnapshotRecorder, attach_snapshots
from digitnet.runner import build_network, run_recipe, split_data
from digitnet.training import EpochMetrics

BATCH_EVENTS_PER_SECOND = 4.0
BATCH_EVENT_BURST = 12
WEIGHT_PICTURES = 16
#: How much the training process lowers its priority (``os.nice``), so predictions come first.
NICENESS = 10
STOP = "stop"

Emit = Callable[[str, dict[str, Any]], None]


def weight_pictures(net: Network, count: int = WEIGHT_PICTURES) -> list[dict[str, Any]]:
    """The first hidden layer's weights of the first ``count`` neurons, compactly.

    Each picture is the neuron's 784 incoming weights divided by their largest size, as
    signed bytes (-127..127, base64) in ``data``, with that size in ``scale``.
    """
    pictures = []
    w = net.weights[0]
    for i in range(min(count, w.shape[0])):
        row = w[i]
        scale = float(np.max(np.abs(row))) or 1.0
        q = np.clip(np.round(row / scale * 127), -127, 127).astype(np.int8)
        pictures.append(
            {"neuron": i, "scale": scale, "data": base64.b64encode(q.tobytes()).decode("ascii")}
        )
    return pictures


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def reason(exc: BaseException) -> str:
    """Why a run failed, in one sentence."""
    if isinstance(exc, MemoryError):
        return "the network does not fit in memory; choose smaller layers"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def train_run(
    recipe: Recipe, stop: threading.Event, emit: Emit, knobs: Knobs | None = None
) -> tuple[Network, float]:
    """Load MNIST, build the network, train it as ``recipe`` says (turned by ``knobs``),
    sending events to ``emit``; give back the network and its test accuracy."""
    from digitnet.data import load_mnist

    mnist = load_mnist()
    split = split_data(recipe, mnist)
    net = build_network(recipe)
    total = len(split.train)
    emit(
        "started",
        {
            "sizes": net.sizes,
            "images": total,
            "validation": len(split.validation),
            "epochs": recipe.epochs,
            "weights": weight_pictures(net),
        },
    )
    # A token bucket: a short burst of batch events (so a quick run still draws a curve),
    # then at most BATCH_EVENTS_PER_SECOND.
    tokens, last_batch = float(BATCH_EVENT_BURST), time.monotonic()

    def on_batch(epoch: int, done: int, loss: float) -> None:
        nonlocal tokens, last_batch
        now = time.monotonic()
        tokens = min(BATCH_EVENT_BURST, tokens + (now - last_batch) * BATCH_EVENTS_PER_SECOND)
        last_batch = now
        if tokens < 1.0:
            return
        tokens -= 1.0
        progress = (epoch - 1 + done / total) / recipe.epochs
        emit(
            "batch",
            {"epoch": epoch, "done": done, "total": total, "loss": loss, "progress": progress},
        )

    if knobs is not None:
        knobs.on_halt, knobs.on_change = knob_events(emit, recipe)
    recorder = SnapshotRecorder()  # the learning, to replay on the Models view once saved
    recorder.start(net)

    def on_epoch(metrics: EpochMetrics, current: Network) -> None:
        recorder(metrics, current)
        emit(
            "epoch",
            {
                **finite(asdict(metrics)),
                "progress": metrics.epoch / recipe.epochs,
                "weights": weight_pictures(current),
            },
        )

    # A diverging run ends with a FloatingPointError from train(), reported as its failure;
    # numpy's overflow warnings on the way there are noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        trained = run_recipe(
            recipe,
            mnist=mnist,
            net=net,
            on_batch=on_batch,
            on_epoch=on_epoch,
            stop=stop,
            knobs=knobs,
            split=split,
        )
    recorder.finish(trained.net, len(trained.net.metadata.get("history", [])))
    attach_snapshots(trained.net, recorder.snapshots)
    return trained.net, trained.test_accuracy


def knob_events(
    emit: Emit, recipe: Recipe
) -> tuple[Callable[[Position], None], Callable[[RateChange], None]]:
    """The knobs' callbacks: a ``paused`` event where the run came to rest, a ``rate`` event
    where a new learning rate took effect (with ``progress``, where on the curves, 0..1)."""

    def halted(at: Position) -> None:
        emit("paused", {**finite(asdict(at)), "progress": at.epochs_done / recipe.epochs})

    def changed(change: RateChange) -> None:
        emit("rate", {**asdict(change), "progress": change.epochs_done / recipe.epochs})

    return halted, changed


def turn(knobs: Knobs, message: Any) -> None:
    """Turn ``knobs`` as the server's ``message`` asks (one it cannot read is ignored: the
    server checked what it sends)."""
    try:
        if message == ("pause",):
            knobs.pause()
        elif message == ("resume",):
            knobs.resume()
        elif message == ("step",):
            knobs.step()
        elif isinstance(message, tuple) and len(message) == 2 and message[0] == "rate":
            knobs.set_learning_rate(message[1])
    except DigitnetError:
        pass


def _listen(conn: Connection, stop: threading.Event, over: threading.Event, knobs: Knobs) -> None:
    """Set ``stop`` or turn the knobs when the server asks; end the process if the server
    goes away."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            if not over.is_set():
                os._exit(0)  # nobody is left to read what this run would send
            return
        if message == STOP:
            stop.set()
        else:
            turn(knobs, message)


def train_in_child(conn: Connection, recipe: Recipe) -> None:
    """The training process's work: train ``recipe`` and report through ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):
        pass
    stop, over, knobs = threading.Event(), threading.Event(), Knobs()
    threading.Thread(target=_listen, args=(conn, stop, over, knobs), daemon=True).start()

    def emit(kind: str, data: dict[str, Any]) -> None:
        conn.send(("event", kind, data))

    try:
        net, test_accuracy = train_run(recipe, stop, emit, knobs)
        message: tuple[Any, ...] = (
            "done",
            "stopped" if stop.is_set() else "finished",
            test_accuracy,
            net,
        )
    except Exception as exc:  # any failure is reported on the page, in one sentence
        message = ("failed", reason(exc))
    try:
        conn.send(message)
    except (EOFError, OSError):
        pass
    over.set()
