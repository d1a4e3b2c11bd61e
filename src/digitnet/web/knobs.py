"""A page run's knobs, on the server's side: pause, resume, one mini-batch at a time and a new
learning rate, sent to the run's process (:mod:`digitnet.web.trainer`, which turns its
:class:`digitnet.knobs.Knobs`), and what the run said back: where it came to rest and the
learning-rate changes it made.

A request the run cannot follow is refused with one sentence: 409 for a run that is not
training or a step while it is not paused, 422 for a learning rate the page may not use (the
recipe's own limits, :mod:`digitnet.recipe`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from digitnet.errors import DigitnetError
from digitnet.recipe import Recipe
from digitnet.web.errors import ApiError

#: Sends a message to the run's process; False if it has gone.
Send = Callable[[Any], bool]


class RunKnobs:
    """One run's knobs: what was asked (``paused``) and what the run reported."""

    def __init__(self, settings: Recipe, send: Send) -> None:
        self.settings, self._send = settings, send
        self.paused = False
        self.at: dict[str, Any] | None = None  # where the paused run rests
        self.changes: list[dict[str, Any]] = []
        self.learning_rate = settings.learning_rate
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """The knobs as JSON (in the run's description)."""
        with self._lock:
            return {
                "paused": self.paused,
                "at": self.at,
                "learning_rate": self.learning_rate,
                "changes": list(self.changes),
            }

    def receive(self, name: str, data: dict[str, Any]) -> None:
        """Note an event from the run's process."""
        with self._lock:
            if name == "paused" and self.paused:
                self.at = dict(data)
            elif name == "rate":
                self.changes.append(dict(data))

    # ------------------------------------------------------------------ the requests
    def pause(self, status: str, name: str) -> None:
        self._check(status, name)
        with self._lock:
            self.paused = True
            self._send(("pause",))

    def resume(self, status: str, name: str) -> None:
        self._check(status, name)
        with self._lock:
            self.paused, self.at = False, None
            self._send(("resume",))

    def step(self, status: str, name: str) -> None:
        self._check(status, name)
        with self._lock:
            if not self.paused:
                raise ApiError(409, f"training run {name} is not paused; pause it before a step")
            self._send(("step",))

    def set_learning_rate(self, status: str, name: str, rate: float) -> None:
        self._check(status, name)
        try:
            checked = self.settings.replace(learning_rate=rate)
            checked.validate()
            checked.check_for_page()
        except DigitnetError as exc:
            raise ApiError(422, str(exc)) from None
        with self._lock:
            self.learning_rate = checked.learning_rate
            self._send(("rate", checked.learning_rate))

    @staticmethod
    def _check(status: str, name: str) -> None:
        if status != "running":
            raise ApiError(
                409, f"training run {name} is not training (it is {status}); its knobs do nothing"
            )
