"""Training runs started from the page: start, follow (server-sent events), stop, save; and
the choices the Learn form offers (``/api/options``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from digitnet.costs import COSTS
from digitnet.errors import DigitnetError
from digitnet.optimizers import OPTIMIZERS, SCHEDULES
from digitnet.recipe import Recipe
from digitnet.web.bodies import MAX_HIDDEN, MAX_TRAIN_IMAGES, RunBody, SaveBody
from digitnet.web.errors import ApiError
from digitnet.web.http import read_body
from digitnet.web.models import check_name
from digitnet.web.runs import Run
from digitnet.web.state import MaxBody, Runs, Store

LAST_EVENTS = ("done", "failed")

router = APIRouter()


def _recipe(body: RunBody) -> Recipe:
    """The run's recipe: the page's preset with the settings sent (422 if impossible)."""
    try:
        return Recipe.preset("page", **body.model_dump())
    except DigitnetError as exc:
        raise ApiError(422, str(exc)) from None


@router.get("/api/runs")
def list_runs(runs: Runs) -> dict[str, Any]:
    return {"runs": [r.describe() for r in runs.all()]}


@router.post("/api/runs", status_code=202)
async def start_run(request: Request, runs: Runs) -> dict[str, Any]:
    """Start training a new network (409 while another run is going)."""
    body = await read_body(request, RunBody)
    sizes = body.layers
    if sizes[0] != 784 or sizes[-1] != 10:
        raise ApiError(
            422, f"layers must start with 784 (pixels) and end with 10 (digits), got {sizes}"
        )
    if any(not 1 <= s <= MAX_HIDDEN for s in sizes[1:-1]):
        raise ApiError(422, f"hidden layers must have 1 to {MAX_HIDDEN} neurons, got {sizes}")
    run = runs.start(_recipe(body))
    return run.describe()


@router.get("/api/runs/{run_id}")
def get_run(run_id: str, runs: Runs) -> dict[str, Any]:
    return runs.get(run_id).describe()


@router.post("/api/runs/{run_id}/stop")
def stop_run(run_id: str, runs: Runs) -> dict[str, Any]:
    """Ask a run to stop after its current mini-batch; it keeps what it learned."""
    run = runs.get(run_id)
    run.stop_event.set()
    return run.describe()


@router.post("/api/runs/{run_id}/save", status_code=201)
async def save_run(run_id: str, request: Request, runs: Runs, store: Store) -> dict[str, Any]:
    """Save a finished (or stopped) run's network under a name in the models folder."""
    run = runs.get(run_id)
    body = await read_body(request, SaveBody)
    check_name(body.name)
    if run.net is None:
        state = "failed" if run.status == "failed" else "has not finished"
        raise ApiError(409, f"training run {run.id} {state}; there is no network to save")
    net = run.net
    await run_in_threadpool(store.save, body.name, net, body.overwrite)
    run.saved_as = body.name
    return {"name": body.name, "run": run.id, "model": store.summary(body.name, "saved")}


# ---------------------------------------------------------------------- the event stream
def _frame(event: dict[str, Any]) -> str:
    """One server-sent event."""
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"


async def _stream(run: Run, after: int) -> AsyncIterator[str]:
    """The run's events after number ``after``, until it is done or has failed."""
    past, queue = run.subscribe(after)
    try:
        yield "retry: 2000\n\n"
        for event in past:
            yield _frame(event)
            if event["type"] in LAST_EVENTS:
                return
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=10)
            except asyncio.TimeoutError:
                if run.finished and queue.empty():
                    return
                yield ": still here\n\n"
                continue
            yield _frame(event)
            if event["type"] in LAST_EVENTS:
                return
    finally:
        run.unsubscribe(queue)


@router.get("/api/runs/{run_id}/events")
async def run_events(run_id: str, request: Request, runs: Runs) -> StreamingResponse:
    """The run's events as server-sent events, from the first (or after Last-Event-ID)."""
    run = runs.get(run_id)
    try:
        after = int(request.headers.get("last-event-id", "0") or 0)
    except ValueError:
        after = 0
    return StreamingResponse(
        _stream(run, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# ---------------------------------------------------------------------- the Learn form
@router.get("/api/options")
def options(max_body: MaxBody) -> dict[str, Any]:
    """The choices the Learn form offers."""
    return {
        "hidden_activations": list(HIDDEN_ACTIVATIONS),
        "output_activations": list(OUTPUT_ACTIVATIONS),
        "costs": list(COSTS),
        "optimizers": list(OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "max_train_images": MAX_TRAIN_IMAGES,
        "max_hidden": MAX_HIDDEN,
        "max_body_bytes": max_body,
    }
