"""Beyond the video, for the page: fool the network on the digit on show, and each layer's
map of the 10,000 test digits (the page places the digit on show on it by itself, from the
map's mean and directions and the activations ``/api/predict`` sends). Replaying the learning
is :mod:`digitnet.web.routes.replay`'s."""

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
from digitnet.web.state import Store

router = APIRouter()

MAP_STEPS = 1000  #: a map's coordinates are sent as whole numbers 0..MAP_STEPS
_maps: dict[tuple[str, int], dict[str, Any]] = {}  # (model, id of its network) -> the answer
_maps_lock = threading.Lock()


class FoolBody(BaseModel):
    """The digit to change (the 784 input activations the page shows, 0..1) and the digit
    the network should read instead."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = Field(None, description="the model to fool (default: the server's)")
    input: list[float] = Field(description="784 pixels from 0 to 1, row by row")
    target: int = Field(description="the digit the network should read: 0 to 9")
    budget: float = Field(0.3, gt=0, le=1, description="largest change of any pixel")


def pixels_of(values: list[float], size: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (size,):
        raise ApiError(422, f"input: needs {size} pixels, got {len(values)}")
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise ApiError(422, "input: pixels must be numbers from 0 to 1")
    return arr


def fool_digit(net: Network, body: FoolBody) -> dict[str, Any]:
    """What ``POST /api/fool`` answers."""
    from digitnet.errors import DigitnetError
    from digitnet.fooling import check_target, fool
    from digitnet.prediction import normalised_probabilities

    x = pixels_of(body.input, net.sizes[0])
    if not x.any():
        raise ApiError(422, "there is no digit to fool: draw one or pick a test digit")
    before = int(net.predict(x[None, :])[0])
    try:
        check_target(body.target, before)
        result = fool(net, x[None, :], [body.target], budget=body.budget)
    except DigitnetError as exc:
        raise ApiError(422, str(exc)) from None
    probabilities = normalised_probabilities(result.outputs)[0]
    answer = int(result.after[0])
    return {
        "before": before,
        "target": body.target,
        "success": bool(result.success[0]),
        "answer": answer,
        "probability": number(probabilities[answer]),
        "probabilities": floats(probabilities),
        "l2": number(result.l2[0]),
        "linf": number(result.linf[0]),
        "budget": body.budget,
        "pixels_changed": int(np.count_nonzero(result.change[0])),
        "fooled": floats(result.fooled[0]),
        "change": floats(result.change[0]),
    }


@router.post("/api/fool")
async def fool_endpoint(body: FoolBody, store: Store) -> dict[str, Any]:
    """The smallest change to a digit that makes the network read the target digit."""
    net = store.get(body.model or store.default)
    return await run_in_threadpool(fool_digit, net, body)


def layer_maps_answer(net: Network) -> dict[str, Any]:
    """Each layer's map of the test digits, its coordinates scaled to 0..MAP_STEPS."""
    from digitnet.data import load_mnist
    from digitnet.embedding import layer_maps

    test = load_mnist().test
    layers = []
    for m in layer_maps(net, test.images, test.labels):
        low = m.points.min(axis=0)
        span = np.maximum(m.points.max(axis=0) - low, 1e-9)
        scaled = np.round((m.points - low) / span * MAP_STEPS).astype(int)
        layers.append(
            {
                "layer": m.layer,
                "size": m.size,
                "separation": number(m.separation),
                "map_separation": number(m.map_separation),
                "explained": floats(m.explained),
                "mean": floats(m.mean, 5),
                "components": [floats(row, 5) for row in m.components],
                "low": floats(low, 5),
                "span": floats(span, 5),
                "x": scaled[:, 0].tolist(),
                "y": scaled[:, 1].tolist(),
            }
        )
    return {"steps": MAP_STEPS, "labels": test.labels.tolist(), "layers": layers}


def _cached_maps(net: Network, name: str) -> dict[str, Any]:
    key = (name, id(net))
    with _maps_lock:
        if key not in _maps:
            for old in [k for k in _maps if k[0] == name]:
                del _maps[old]  # the model's file changed
            _maps[key] = layer_maps_answer(net)
        return _maps[key]


@router.get("/api/models/{name}/embedding")
async def embedding_endpoint(name: str, store: Store) -> dict[str, Any]:
    """Each layer's 2-D map (PCA) of the 10,000 test digits, with their labels and how well
    the digits separate (nearest-centre accuracy, in the layer and on the map)."""
    net = store.get(name)
    if net.sizes[0] != 784:
        raise ApiError(422, f"model {name!r} does not take 28x28 images")
    answer = await run_in_threadpool(_cached_maps, net, name)
    return {"model": name, **answer}
