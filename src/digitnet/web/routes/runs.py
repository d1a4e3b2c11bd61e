"""Training runs started from the page: start (or queue), follow (server-sent events), stop,
cancel, save; and the choices the Learn form offers (``/api/options``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from digitnet.errors import DigitnetError
from digitnet.recipe import PRESETS, Recipe, describe_options
from digitnet.web.bodies import RunBodyModel, SaveBody
from digitnet.web.errors import ApiError
from digitnet.web.models import check_name
from digitnet.web.runs import Run
from digitnet.web.state import MaxBody, Runs, Store

LAST_EVENTS = ("done", "failed", "cancelled")

router = APIRouter()


async def find_run(run_id: str, runs: Runs) -> Run:
    """The run ``run_id`` (404 if unknown), found before the request's body is checked."""
    return runs.get(run_id)


FoundRun = Annotated[Run, Depends(find_run)]


def recipe_of(body: BaseModel) -> Recipe:
    """The run's recipe: the preset asked for (``page`` by default) with the settings sent
    over it, in the page's limits, on one BLAS thread (the server keeps a core for
    predictions); 422 if impossible."""
    given = body.model_dump(exclude_unset=True)
    try:
        recipe = Recipe.preset(given.pop("preset", "page"), **given).replace(threads=1)
        recipe.check_for_page()
    except DigitnetError as exc:
        raise ApiError(422, str(exc)) from None
    if recipe.layers[0] != 784 or recipe.layers[-1] != 10:
        raise ApiError(
            422,
            f"layers must start with 784 (pixels) and end with 10 (digits), got {recipe.layers}",
        )
    return recipe


@router.get("/api/runs")
def list_runs(runs: Runs) -> dict[str, Any]:
    """Every training run since the server started, the newest first."""
    return {"runs": [r.describe() for r in runs.all()]}


@router.post("/api/runs", status_code=202)
async def start_run(body: RunBodyModel, runs: Runs) -> dict[str, Any]:
    """Start training a new network in a process of its own, or queue it behind the run that
    is training (429 when the queue is full)."""
    recipe = recipe_of(body)
    run = await run_in_threadpool(runs.start, recipe)
    return run.describe()


@router.get("/api/runs/{run_id}")
def get_run(run_id: str, runs: Runs) -> dict[str, Any]:
    """A training run: its status, settings and history so far."""
    return runs.get(run_id).describe()


@router.post("/api/runs/{run_id}/stop")
def stop_run(run_id: str, runs: Runs) -> dict[str, Any]:
    """Ask a run to stop after its current mini-batch; it keeps what it learned (a queued run
    is cancelled)."""
    return runs.stop(run_id).describe()


@router.post("/api/runs/{run_id}/cancel")
def cancel_run(run_id: str, runs: Runs) -> dict[str, Any]:
    """Take a queued run out of the queue (a running one stops after its mini-batch)."""
    return runs.stop(run_id).describe()


@router.post("/api/runs/{run_id}/save", status_code=201)
async def save_run(run: FoundRun, body: SaveBody, store: Store) -> dict[str, Any]:
    """Save a finished (or stopped) run's network under a name in the models folder."""
    check_name(body.name)
    if run.net is None:
        state = {"failed": "failed", "cancelled": "was cancelled"}.get(
            run.status, "has not finished"
        )
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
    """What the Learn form offers, from :mod:`digitnet.recipe`: every option a run from the
    page may set, with its default (the ``page`` preset's), limits, choices and help, and the
    presets' names. The page's form has no defaults of its own."""
    recipe = describe_options(page=True)
    choices = {o["name"]: o["choices"] for o in recipe if o["choices"]}
    return {
        "recipe": recipe,
        "presets": {name: Recipe.preset(name).to_dict() for name in PRESETS},
        "hidden_activations": choices["hidden_activation"],
        "output_activations": choices["output_activation"],
        "costs": choices["cost"],
        "optimizers": choices["optimizer"],
        "schedules": choices["schedule"],
        "max_hidden": next(o for o in recipe if o["name"] == "layers")["maximum"],
        "max_body_bytes": max_body,
    }
