"""Training runs started from the page: a short queue, and one run at a time in a process of
its own.

A run trains a network with :func:`digitnet.runner.run_recipe` (the recipe the page sent, over
the `page` preset) in a child process (:mod:`digitnet.web.trainer`, multiprocessing's "spawn"),
on one BLAS thread at a lower priority, so predictions never wait for its Python work. The
child sends its events back through a pipe; a thread here publishes them (``queued``,
``started``, ``batch``, ``epoch``, ``done``, ``failed``, ``cancelled``) to any number of
subscribers, from the first one on, as server-sent events. A child that crashes or is killed
leaves its run ``failed`` with one sentence; the server goes on.

While a run trains, up to :data:`MAX_WAITING` more wait their turn (``queued``, with their
``position``); one more is refused with 429. A queued run can be cancelled, a running one
stopped after its current mini-batch (it keeps what it learned).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from digitnet.network import Network
from digitnet.recipe import Recipe
from digitnet.web.errors import ApiError
from digitnet.web.knobs import RunKnobs
from digitnet.web.trainer import STOP, finite, train_in_child

MAX_WAITING = 4
MAX_RUNS_KEPT = 20
FINAL_STATES = ("finished", "stopped", "failed", "cancelled")
#: How long a training process may take to end once its run is over, before it is killed.
REAP_SECONDS = 5.0

#: What a run's process executes: its end of the pipe and the recipe.
ChildTarget = Callable[[Connection, Recipe], None]


def exit_reason(exitcode: int | None) -> str:
    """Why a training process that never reported its end failed, in one sentence."""
    if exitcode is not None and exitcode < 0:
        return f"the training process ended unexpectedly (killed by signal {-exitcode})"
    if exitcode:
        return f"the training process ended unexpectedly (exit status {exitcode})"
    return "the training process ended unexpectedly"


class Run:
    """One training run: its settings, state, the resulting network and its events."""

    def __init__(self, settings: Recipe) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.settings = settings
        self.status = "queued"
        self.position: int | None = None
        self.error: str | None = None
        self.created = time.time()
        self.net: Network | None = None
        self.history: list[dict[str, Any]] = []
        self.test_accuracy: float | None = None
        self.saved_as: str | None = None
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.thread: threading.Thread | None = None
        self.stop_requested = False
        self.knobs = RunKnobs(settings, self.send)
        self._events: list[dict[str, Any]] = []
        self._subscribers: list[
            tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]
        ] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()

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

    @property
    def pid(self) -> int | None:
        """The training process's id while it has one."""
        return self.process.pid if self.process is not None else None

    def describe(self) -> dict[str, Any]:
        """The run's state as JSON."""
        return {
            "id": self.id,
            "status": self.status,
            "position": self.position,
            "error": self.error,
            "settings": self.settings.to_dict(),
            "history": self.history,
            "test_accuracy": self.test_accuracy,
            "saved_as": self.saved_as,
            "knobs": self.knobs.describe(),
            "events": len(self._events),
        }

    # ------------------------------------------------------------------ its process
    def request_stop(self) -> None:
        """Ask the training process to stop after its current mini-batch."""
        self.stop_requested = True
        self.send(STOP)

    def send(self, message: Any) -> bool:
        """Send ``message`` to the training process; False if it has none or it has ended."""
        conn = self.conn
        if conn is None:
            return False
        with self._send_lock:
            try:
                conn.send(message)
            except (OSError, ValueError):  # the process has ended, or its pipe is closed
                return False
        return True

    def close_pipe(self) -> None:
        """Close the server's end of the pipe (the process has ended)."""
        with self._send_lock:
            if self.conn is not None:
                self.conn.close()

    def fail(self, error: str) -> None:
        self.error = error
        self.status = "failed"
        self.publish("failed", {"status": "failed", "error": error})

    def receive(self, message: tuple[Any, ...]) -> None:
        """Take in one message from the training process (see :mod:`digitnet.web.trainer`)."""
        kind = message[0]
        if kind == "event":
            _, name, data = message
            if name == "epoch":
                record = {k: v for k, v in data.items() if k not in ("progress", "weights")}
                self.history.append(finite(record))
            self.knobs.receive(name, data)
            self.publish(name, data)
        elif kind == "done":
            _, status, test_accuracy, net = message
            self.net = net
            self.test_accuracy = test_accuracy
            self.status = status
            self.publish(
                "done",
                {"status": status, "test_accuracy": test_accuracy, "epochs": len(self.history)},
            )
        elif kind == "failed":
            self.fail(str(message[1]))


class RunManager:
    """Runs one training process at a time, keeps up to ``max_waiting`` runs waiting, and
    remembers the recent runs.

    ``target`` is what a run's process executes (a picklable, importable function; by default
    :func:`digitnet.web.trainer.train_in_child`).
    """

    def __init__(self, target: ChildTarget | None = None, max_waiting: int = MAX_WAITING) -> None:
        self.target: ChildTarget = target or train_in_child
        self.max_waiting = max_waiting
        self._runs: dict[str, Run] = {}
        self._waiting: deque[Run] = deque()
        self._current: Run | None = None
        self._closing = False
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")

    def start(self, settings: Recipe) -> Run:
        """Start a run, or queue it behind the one training; 429 if the queue is full."""
        with self._lock:
            if self._current is not None and len(self._waiting) >= self.max_waiting:
                raise ApiError(
                    429,
                    f"{len(self._waiting)} training runs are waiting already, as many as can; "
                    "try again when one has finished",
                )
            run = Run(settings)
            self._runs[run.id] = run
            self._forget_old()
            if self._current is None and not self._closing:
                self._launch(run)
                self._advance()  # in case it could not start
            else:
                self._waiting.append(run)
                self._renumber()
        return run

    def stop(self, run_id: str) -> Run:
        """End a run as soon as it can: a queued one is cancelled, a running one stops after
        its current mini-batch (and keeps what it learned); a finished one stays as it is."""
        run = self.get(run_id)
        with self._lock:
            if run.status == "queued" and run in self._waiting:
                self._waiting.remove(run)
                self._cancel(run)
                self._renumber()
                return run
        if run.status == "running":
            run.request_stop()
        return run

    def get(self, run_id: str) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise ApiError(404, f"unknown training run {run_id[:40]!r}")
        return run

    def all(self) -> list[Run]:
        return sorted(self._runs.values(), key=lambda r: r.created, reverse=True)

    def stop_all(self, wait: float = 5.0) -> None:
        """Cancel the waiting runs, stop the training one and wait a little for its process,
        then end it (server shutdown)."""
        with self._lock:
            self._closing = True
            waiting = list(self._waiting)
            self._waiting.clear()
            current = self._current
        for run in waiting:
            self._cancel(run)
        if current is None:
            return
        current.request_stop()
        if current.thread is not None:
            current.thread.join(timeout=wait)
        if current.process is not None and current.process.is_alive():
            current.process.kill()
        if current.thread is not None:
            current.thread.join(timeout=wait)

    # ------------------------------------------------------------------ inside the lock
    def _cancel(self, run: Run) -> None:
        run.status = "cancelled"
        run.position = None
        run.publish("cancelled", {"status": "cancelled"})

    def _renumber(self) -> None:
        """Give each waiting run its place (1: next) and tell its followers when it changes."""
        for place, run in enumerate(self._waiting, start=1):
            if run.position != place:
                run.position = place
                run.publish("queued", {"status": "queued", "position": place})

    def _advance(self) -> None:
        """Start the next waiting run if none is training."""
        while self._current is None and self._waiting and not self._closing:
            run = self._waiting.popleft()
            self._renumber()
            self._launch(run)

    def _launch(self, run: Run) -> None:
        """Start ``run``'s training process and the thread that follows it."""
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=self.target,
            args=(child_end, run.settings),
            name=f"digitnet-train-{run.id}",
            daemon=True,
        )
        run.status, run.position, run.conn, run.process = "running", None, parent_end, process
        try:
            process.start()
        except Exception as exc:  # noqa: BLE001 - no process, no run: said in one sentence
            parent_end.close()
            run.conn = run.process = None
            run.fail(f"cannot start a training process: {exc}"[:300])
            return
        finally:
            child_end.close()
        self._current = run
        run.thread = threading.Thread(
            target=self._follow, args=(run,), name=f"digitnet-run-{run.id}", daemon=True
        )
        run.thread.start()
        if run.stop_requested:
            run.request_stop()

    # ------------------------------------------------------------------ the follower thread
    def _follow(self, run: Run) -> None:
        """Publish what the run's process sends until it ends; then start the next run."""
        conn, process = run.conn, run.process
        assert conn is not None and process is not None
        try:
            while not run.finished:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                except Exception as exc:  # noqa: BLE001 - a message that cannot be read
                    run.fail(f"the training process sent what cannot be read: {exc}"[:300])
                    break
                run.receive(message)
        finally:
            if run.finished:  # it said how it ended: the next run needn't wait for its exit
                self._release(run)
            process.join(REAP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(REAP_SECONDS)
            run.close_pipe()
            if not run.finished:
                run.fail(exit_reason(process.exitcode))
            self._release(run)

    def _release(self, run: Run) -> None:
        """``run`` no longer trains: start the next one."""
        with self._lock:
            if self._current is run:
                self._current = None
            self._advance()

    def _forget_old(self) -> None:
        done = [r for r in self._runs.values() if r.finished]
        for run in done[: max(0, len(self._runs) - MAX_RUNS_KEPT)]:
            del self._runs[run.id]
