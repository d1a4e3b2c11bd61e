"""Reading a picture: the answer and what the page's diagram draws of the network inside.

Both modes go through :mod:`digitnet.prediction`: a drawing is preprocessed the way MNIST's
digits were made (:func:`~digitnet.prediction.predict_image`), an MNIST digit goes in as it is
(:func:`~digitnet.prediction.predict_pixels`); the answer, its confidence and its message come
from the same rule either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from digitnet.network import Network
from digitnet.web.bodies import PredictBody
from digitnet.web.errors import ApiError
from digitnet.web.models import ModelStore
from digitnet.web.payload import floats, png
from digitnet.web.state import Store

MIN_SIDE, MAX_SIDE = 8, 512
TOP_INPUTS = 10  # connections drawn from the input grid to each shown first-layer neuron

router = APIRouter()


# ---------------------------------------------------------------------- the diagram
def _shown(activations: np.ndarray, count: int) -> list[int]:
    """Neurons to draw: all of a small layer, else the ``count`` most active, in index order."""
    n = len(activations)
    if n <= count:
        return list(range(n))
    top = np.argpartition(-activations, count - 1)[:count]
    return sorted(int(i) for i in top)


def _layers(net: Network, fp: Any, show: int) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """Every layer's activations and weighted sums, and the neurons drawn of each."""
    last = net.num_layers - 1
    a0 = fp.activations[0][0]
    layers: list[dict[str, Any]] = [{"size": len(a0), "kind": "input"}]
    shown: list[list[int]] = [list(range(len(a0)))]
    for layer in range(1, net.num_layers):
        a = fp.activations[layer][0]
        idx = list(range(len(a))) if layer == last else _shown(a, show)
        shown.append(idx)
        layers.append(
            {
                "size": len(a),
                "kind": "output" if layer == last else "hidden",
                "activation": net.activation_of(layer).name,
                "activations": floats(a),
                "weighted_sums": floats(fp.weighted_sums[layer - 1][0]),
                "shown": idx,
                "hidden": len(a) - len(idx),
            }
        )
    return layers, shown


def _input_edges(w: np.ndarray, rows: list[int], a0: np.ndarray) -> dict[str, Any]:
    """The ``TOP_INPUTS`` strongest connections from the input grid to each shown neuron."""
    strength = np.abs(w[rows] * a0) if a0.any() else np.abs(w[rows])
    top = np.argsort(-strength, axis=1)[:, :TOP_INPUTS]
    sub = np.take_along_axis(w[rows], top, axis=1)
    return {
        "to": 1,
        "kind": "top",
        "sources": top.tolist(),
        "weights": [floats(r) for r in sub],
        "max_abs": float(np.max(np.abs(w[rows]))),
    }


def _full_edges(w: np.ndarray, layer: int, rows: list[int], cols: list[int]) -> dict[str, Any]:
    """Every connection between the shown neurons of layer ``layer - 1`` and ``layer``."""
    sub = w[np.ix_(rows, cols)]
    return {
        "to": layer,
        "kind": "full",
        "weights": [floats(r) for r in sub],
        "max_abs": float(np.max(np.abs(sub))) if sub.size else 1.0,
    }


def analyse(net: Network, x: np.ndarray, show: int) -> dict[str, Any]:
    """Every layer's activations and weighted sums for one input, and what the diagram draws."""
    fp = net.feedforward(x.reshape(1, -1))
    layers, shown = _layers(net, fp, show)
    edges = [_input_edges(net.weights[0], shown[1], fp.activations[0][0])]
    for layer in range(2, net.num_layers):
        edges.append(_full_edges(net.weights[layer - 1], layer, shown[layer], shown[layer - 1]))
    return {"layers": layers, "edges": edges, "outputs": fp.activations[-1][0]}


# ---------------------------------------------------------------------- reading
def _image(body: PredictBody) -> np.ndarray:
    """The request's pixels as a (height, width) uint8 array, or a 422 ApiError."""
    w, h = body.width, body.height
    if body.preprocess:
        if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
            raise ApiError(
                422, f"the image must be {MIN_SIDE} to {MAX_SIDE} pixels a side, got {w}x{h}"
            )
    elif (w, h) != (28, 28):
        raise ApiError(422, f"without preprocessing the image must be 28x28, got {w}x{h}")
    if len(body.pixels) != w * h:
        raise ApiError(
            422, f"a {w}x{h} image has {w * h} pixels, but {len(body.pixels)} values were sent"
        )
    arr = np.asarray(body.pixels, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or arr.min(initial=0) < 0 or arr.max(initial=0) > 255:
        raise ApiError(422, "pixel values must be numbers from 0 to 255")
    return np.round(arr).astype(np.uint8).reshape(h, w)


def _network(store: ModelStore, body: PredictBody) -> tuple[str, Network]:
    """The model asked for (or the default one), if it reads 28x28 images."""
    name = body.model or store.default
    net = store.get(name)
    if net.sizes[0] != 784:
        raise ApiError(422, f"model {name!r} does not take 28x28 images")
    return name, net


def predict(store: ModelStore, body: PredictBody) -> dict[str, Any]:
    """The answer for one picture, with every layer of the network for the diagram."""
    from digitnet.prediction import predict_image, predict_pixels

    name, net = _network(store, body)
    image = _image(body)
    if body.preprocess:
        prediction = predict_image(net, image)
    else:
        prediction = predict_pixels(net, image)
    prepared = prediction.prepared
    x = np.asarray(prepared.pixels, dtype=np.float32).reshape(-1)
    steps = [
        {"name": s.name, "title": s.title, "note": str(s.note or ""), "png": png(s.image)}
        for s in prepared.steps
    ]
    inside = analyse(net, x, body.show)
    return {
        "model": name,
        "digit": None if prediction.digit is None else int(prediction.digit),
        "found": bool(prepared.found),
        "message": prediction.message or (prepared.reason or ""),
        "confident": bool(prediction.confident),
        "steps": steps,
        "probabilities": floats(prediction.probabilities),
        "outputs": floats(inside["outputs"]),
        "input": floats(x, 3),
        "layers": inside["layers"],
        "edges": inside["edges"],
    }


@router.post("/api/predict")
async def predict_endpoint(body: PredictBody, store: Store) -> dict[str, Any]:
    """Read a picture: the answer, the 28x28 input and every neuron's activation."""
    return await run_in_threadpool(predict, store, body)
