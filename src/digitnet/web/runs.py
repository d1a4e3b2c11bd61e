"""Training runs started from the page: one at a time, in a background thread.

A run trains a network with :func:`digitnet.runner.run_recipe` (the recipe the page sent,
over the `page` preset) and publishes
events (``started``, ``batch``, ``epoch``, ``done``, ``failed``) that any number of
subscribers read, from the first one on, as server-sent events. ``batch`` events come at
most a few times a second; ``epoch`` events carry the first layer's weight pictures. While a
run is going a second one is refused (HTTP 409): runs are not queued.

Training uses one BLAS thread, so prediction requests keep a core to themselves.
"""

from __future__ import annotations

import asyncio
import base64
import math
import threading
import time
import uuid
from dataclasses import asdict
from typing import Any

import numpy as np

from digitnet.network import Network
from digitnet.recipe import Recipe
from digitnet.runner import build_network, run_recipe, split_data
from digitnet.training import EpochMetrics
from digitnet.web.errors import ApiError

BATCH_EVENTS_PER_SECOND = 4.0
BATCH_EVENT_BURST = 12
WEIGHT_PICTURES = 16
MAX_RUNS_KEPT = 20
FINAL_STATES = ("finished", "stopped", "failed")


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


class Run:
    """One training run: its settings, state, the resulting network and its events."""

    def __init__(self, settings: Recipe) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.settings = settings
        self.status = "queued"
        self.error: str | None = None
        self.created = time.time()
        self.net: Network | None = None
        self.history: list[dict[str, Any]] = []
        self.test_accuracy: float | None = None
        self.saved_as: str | None = None
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self._events: list[dict[str, Any]] = []
        self._subscribers: list[
            tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]
        ] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ events
    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Record an event and hand it to every subscriber (thread-safe)."""
        with self._lock:
            event = {"id": len(self._events) + 1, "type": kind, "run": self.id, **finite(data)}
            self._events.append(event)
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # that subscriber's event loop is closed
                self.unsubscribe(queue)

    def subscribe(
        self, after: int = 0
    ) -> tuple[list[dict[str, Any]], asyncio.Queue[dict[str, Any]]]:
        """Events so far (after id ``after``) and a queue for the ones to come."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        with self._lock:
            past = [e for e in self._events if e["id"] > after]
            self._subscribers.append((loop, queue))
        return past, queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s[1] is not queue]

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATES

    def describe(self) -> dict[str, Any]:
        """The run's state as JSON."""
        return {
            "id": self.id,
            "status": self.status,
            "error": self.error,
            "settings": self.settings.to_dict(),
            "history": self.history,
            "test_accuracy": self.test_accuracy,
            "saved_as": self.saved_as,
            "events": len(self._events),
        }

    # ------------------------------------------------------------------ the work
    def execute(self) -> None:
        """Train (in the run's thread): load data, build the network, train, evaluate."""
        s = self.settings
        try:
            self.status = "running"
            from digitnet.data import load_mnist

            mnist = load_mnist()
            split = split_data(s, mnist)
            net = build_network(s)
            total = len(split.train)
            self.publish(
                "started",
                {
                    "sizes": net.sizes,
                    "images": total,
                    "validation": len(split.validation),
                    "epochs": s.epochs,
                    "weights": weight_pictures(net),
                },
            )
            # A token bucket: a short burst of batch events (so a quick run still draws a
            # curve), then at most BATCH_EVENTS_PER_SECOND.
            tokens, last_batch = float(BATCH_EVENT_BURST), time.monotonic()

            def on_batch(epoch: int, done: int, loss: float) -> None:
                nonlocal tokens, last_batch
                now = time.monotonic()
                tokens = min(
                    BATCH_EVENT_BURST, tokens + (now - last_batch) * BATCH_EVENTS_PER_SECOND
                )
                last_batch = now
                if tokens < 1.0:
                    return
                tokens -= 1.0
                progress = (epoch - 1 + done / total) / s.epochs
                self.publish(
                    "batch",
                    {
                        "epoch": epoch,
                        "done": done,
                        "total": total,
                        "loss": loss,
                        "progress": progress,
                    },
                )

            def on_epoch(metrics: EpochMetrics, current: Network) -> None:
                record = finite(asdict(metrics))
                self.history.append(record)
                self.publish(
                    "epoch",
                    {
                        **record,
                        "progress": metrics.epoch / s.epochs,
                        "weights": weight_pictures(current),
                    },
                )

            # A diverging run ends with a FloatingPointError from train(), reported below;
            # numpy's overflow warnings on the way there are noise.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                trained = run_recipe(
                    s,
                    mnist=mnist,
                    net=net,
                    on_batch=on_batch,
                    on_epoch=on_epoch,
                    stop=self.stop_event,
                )
            self.test_accuracy = trained.test_accuracy
            self.net = net
            self.status = "stopped" if self.stop_event.is_set() else "finished"
            self.publish(
                "done",
                {
                    "status": self.status,
                    "test_accuracy": self.test_accuracy,
                    "epochs": len(self.history),
                },
            )
        except Exception as exc:  # any failure is reported on the page, in one sentence
            self.error = _reason(exc)
            self.status = "failed"
            self.publish("failed", {"status": "failed", "error": self.error})


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, MemoryError):
        text = "the network does not fit in memory; choose smaller layers"
    return text[:300]


class RunManager:
    """Starts runs one at a time and keeps the recent ones."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def start(self, settings: Recipe) -> Run:
        """Start a run in a background thread; 409 if another one is still going."""
        with self._lock:
            for other in self._runs.values():
                if not other.finished:
                    raise ApiError(
                        409,
                        f"training run {other.id} is still going; stop it or wait for it "
                        "(runs are not queued)",
                    )
            run = Run(settings)
            self._runs[run.id] = run
            self._forget_old()
            run.thread = threading.Thread(
                target=run.execute, name=f"digitnet-train-{run.id}", daemon=True
            )
            run.status = "running"
            run.thread.start()
        return run

    def _forget_old(self) -> None:
        done = [r for r in self._runs.values() if r.finished]
        for run in done[: max(0, len(self._runs) - MAX_RUNS_KEPT)]:
            del self._runs[run.id]

    def get(self, run_id: str) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise ApiError(404, f"unknown training run {run_id[:40]!r}")
        return run

    def all(self) -> list[Run]:
        return sorted(self._runs.values(), key=lambda r: r.created, reverse=True)

    def stop_all(self, wait: float = 5.0) -> None:
        """Ask every run to stop and wait a little for their threads (server shutdown)."""
        for run in list(self._runs.values()):
            run.stop_event.set()
        for run in list(self._runs.values()):
            if run.thread is not None:
                run.thread.join(timeout=wait)
