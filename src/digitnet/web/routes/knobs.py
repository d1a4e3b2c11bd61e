"""Knobs while a page run learns: pause it, resume it, train one mini-batch at a time and
change its learning rate as it goes on (:mod:`digitnet.web.knobs`). With ``digitnet serve
--workers N`` these requests, like every one under ``/api/runs``, go to the process that owns
the runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from digitnet.web.routes.runs import FoundRun
from digitnet.web.runs import Run

router = APIRouter()


class RateBody(BaseModel):
    """The learning rate to use from the next mini-batch on."""

    model_config = ConfigDict(extra="forbid")
    learning_rate: float = Field(description="a number above 0 (at most the page's limit)")


def _answer(run: Run) -> dict[str, Any]:
    return run.describe()


@router.post("/api/runs/{run_id}/pause")
def pause_run(run: FoundRun) -> dict[str, Any]:
    """Pause a training run before its next mini-batch (``knobs.at`` says where it rests)."""
    run.knobs.pause(run.status, run.id)
    run.publish("pausing", {"status": run.status})
    return _answer(run)


@router.post("/api/runs/{run_id}/resume")
def resume_run(run: FoundRun) -> dict[str, Any]:
    """Go on training a paused run."""
    run.knobs.resume(run.status, run.id)
    run.publish("resumed", {"status": run.status})
    return _answer(run)


@router.post("/api/runs/{run_id}/step")
def step_run(run: FoundRun) -> dict[str, Any]:
    """Train a paused run for one mini-batch; it rests again after it (409 if not paused)."""
    run.knobs.step(run.status, run.id)
    return _answer(run)


@router.post("/api/runs/{run_id}/learning-rate")
def set_learning_rate(run: FoundRun, body: RateBody) -> dict[str, Any]:
    """Change a training run's learning rate from its next mini-batch on; the change is kept
    in its history (``knobs.changes``, and ``learning_rate_changes`` in the saved model)."""
    run.knobs.set_learning_rate(run.status, run.id, body.learning_rate)
    return _answer(run)
