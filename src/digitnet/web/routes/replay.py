"""Replaying the learning, for the page's Models and Learn views: the model at one epoch of
its training (its first-layer weights and its answer for the digit on show), from the
snapshots kept in its model file (:mod:`digitnet.replay`), or kept with a finished page run's
network before it is saved."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from digitnet.network import Network
from digitnet.web.errors import ApiError
from digitnet.web.payload import floats, number
from digitnet.web.routes.beyond import pixels_of
from digitnet.web.state import Runs, Store

router = APIRouter()


class ReplayBody(BaseModel):
    """Which epoch to replay, and the digit on show (784 pixels 0..1) to answer then."""

    model_config = ConfigDict(extra="forbid")
    epoch: int | None = Field(None, description="the epoch (default: the last snapshot's)")
    input: list[float] | None = Field(None, description="784 pixels from 0 to 1, or null")


_snapshots: dict[tuple[str, float], list[Any]] = {}  # (file, its mtime) -> its snapshots
_snapshots_lock = threading.Lock()
REPLAY_NEURONS = 16  # first-layer neurons whose weights are sent


def _snapshots_of(store: Any, name: str) -> list[Any]:
    from digitnet.replay import read_snapshots

    path = store.path_of(name)
    key = (str(path), path.stat().st_mtime)
    with _snapshots_lock:
        if key not in _snapshots:
            for old in [k for k in _snapshots if k[0] == key[0]]:
                del _snapshots[old]
            _snapshots[key] = read_snapshots(path)
        return _snapshots[key]


def replay_answer(net: Network, snapshots: list[Any], body: ReplayBody) -> dict[str, Any]:
    """What ``POST /api/models/{name}/replay`` answers, for the model's network ``net``."""
    from digitnet.prediction import normalised_probabilities

    epochs = [s.epoch for s in snapshots]
    epoch = epochs[-1] if body.epoch is None else body.epoch
    if epoch not in epochs:
        raise ApiError(422, f"there is no snapshot of epoch {epoch}; the snapshots: {epochs}")
    snap = snapshots[epochs.index(epoch)]
    w = snap.weights[0][:REPLAY_NEURONS]
    answer = None
    if body.input is not None:
        x = pixels_of(body.input, net.sizes[0])
        outputs = snap.network(net).predict_proba(x[None, :])
        probabilities = normalised_probabilities(outputs)[0]
        digit = int(np.argmax(probabilities))
        answer = {
            "digit": digit,
            "probability": number(probabilities[digit]),
            "probabilities": floats(probabilities),
        }
    return {
        "epochs": epochs,
        "epoch": epoch,
        "history": net.metadata.get("history", []),
        "side": int(round(np.sqrt(net.sizes[0]))),
        "weights": [floats(row, 3) for row in w],
        "answer": answer,
    }


@router.post("/api/models/{name}/replay")
async def replay_endpoint(name: str, body: ReplayBody, store: Store) -> dict[str, Any]:
    """The model as it was at one epoch of its training: its first 16 first-layer neurons'
    weights and its answer for a digit (from the snapshots ``digitnet train --snapshots``
    keeps in the model file). A model without snapshots answers ``epochs: []`` and a
    ``message``."""
    net = store.get(name)
    snapshots = await run_in_threadpool(_snapshots_of, store, name)
    if not snapshots:  # an answer, not an error: most models keep none
        return {
            "model": name,
            "epochs": [],
            "message": f"model {name} has no snapshots to replay: train it with "
            "digitnet train --snapshots",
        }
    answer = await run_in_threadpool(replay_answer, net, snapshots, body)
    return {"model": name, **answer}


@router.post("/api/runs/{run_id}/replay")
async def replay_run(run_id: str, body: ReplayBody, runs: Runs) -> dict[str, Any]:
    """A finished (or stopped) page run's network as it was at one epoch of its training,
    from the snapshots every run from the page keeps (409 while it has no network)."""
    from digitnet.replay import attached_snapshots

    run = runs.get(run_id)
    if run.net is None:
        raise ApiError(409, f"training run {run.id} has no network yet; replay it once it ends")
    snapshots = attached_snapshots(run.net)
    if not snapshots:
        return {"run": run.id, "epochs": [], "message": f"training run {run.id} kept no snapshots"}
    answer = await run_in_threadpool(replay_answer, run.net, snapshots, body)
    return {"run": run.id, **answer}
