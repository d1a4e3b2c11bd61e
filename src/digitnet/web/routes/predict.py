"""Reading a picture: the answer and what the page's diagram draws of the network inside.

Both modes go through :mod:`digitnet.prediction`: a drawing is preprocessed the way MNIST's
digits were made (:func:`~digitnet.prediction.predict_image`), an MNIST digit goes in as it is
(:func:`~digitnet.prediction.predict_pixels`); the answer, its confidence and its message come
from the same rule either way.
"""

from __future__ import annotations

import asyncio
import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from fastapi import APIRouter

from digitnet.looks import SHIFTS
from digitnet.network import Network
from digitnet.prediction import Prediction, predict_image, predict_pixels
from digitnet.web.bodies import PredictBody
from digitnet.web.errors import ApiError
from digitnet.web.models import ModelStore
from digitnet.web.payload import JsonAnswer, floats, number, png, rows
from digitnet.web.state import Store

MIN_SIDE, MAX_SIDE = 8, 512
TOP_INPUTS = 10  # connections drawn from the input grid to each shown first-layer neuron
#: Readings run here, off the event loop, one at a time and in the order they came: the work
#: holds the GIL, so more threads would only take turns slower (and keep the loop waiting).
READERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitnet-predict")

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


def _input_edges(w: np.ndarray, shown: list[int], a0: np.ndarray) -> dict[str, Any]:
    """The ``TOP_INPUTS`` strongest connections from the input grid to each shown neuron."""
    w_shown = w[shown]
    strength = np.abs(w_shown * a0) if a0.any() else np.abs(w_shown)
    k = min(TOP_INPUTS, strength.shape[1])
    top = np.argpartition(-strength, k - 1, axis=1)[:, :k]  # the k strongest, in no order
    order = np.argsort(-np.take_along_axis(strength, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)  # strongest first
    return {
        "to": 1,
        "kind": "top",
        "sources": top.tolist(),
        "weights": rows(np.take_along_axis(w_shown, top, axis=1)),
        "max_abs": number(np.max(np.abs(w_shown)), 6) if w_shown.size else 1.0,
    }


def _full_edges(w: np.ndarray, layer: int, shown: list[int], before: list[int]) -> dict[str, Any]:
    """Every connection between the shown neurons of layer ``layer - 1`` and ``layer``."""
    sub = w[np.ix_(shown, before)]
    return {
        "to": layer,
        "kind": "full",
        "weights": rows(sub),
        "max_abs": number(np.max(np.abs(sub)), 6) if sub.size else 1.0,
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
def _sides(w: int, h: int) -> str:
    """``WxH`` for a message (or less, for sides too large to write out)."""
    return f"{w}x{h}" if max(abs(w), abs(h)) < 1_000_000 else "a side of a million or more"


def _check_size(body: PredictBody) -> None:
    """A 422 ApiError unless the picture's size suits the request's mode."""
    w, h = body.width, body.height
    if body.preprocess:
        if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
            raise ApiError(
                422, f"the image must be {MIN_SIDE} to {MAX_SIDE} pixels a side, got {_sides(w, h)}"
            )
    elif (w, h) != (28, 28):
        raise ApiError(422, f"without preprocessing the image must be 28x28, got {_sides(w, h)}")


def _from_b64(text: str, w: int, h: int) -> np.ndarray:
    """``pixels_b64`` as a flat uint8 array of ``w * h`` pixels, or a 422 ApiError."""
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or characters that are not ASCII
        raise ApiError(422, "pixels_b64: is not valid base64") from None
    if len(data) != w * h:
        raise ApiError(
            422, f"a {w}x{h} image has {w * h} pixels, but pixels_b64 holds {len(data)} bytes"
        )
    return np.frombuffer(data, np.uint8)


def _from_list(values: object, w: int, h: int) -> np.ndarray:
    """``pixels`` as a flat uint8 array of ``w * h`` pixels, or a 422 ApiError."""
    if not isinstance(values, list):
        raise ApiError(422, "pixels: must be a list of numbers from 0 to 255")
    if len(values) != w * h:
        raise ApiError(
            422, f"a {w}x{h} image has {w * h} pixels, but {len(values)} values were sent"
        )
    try:
        arr = np.fromiter(values, dtype=np.float64, count=len(values))
    except (TypeError, ValueError, OverflowError):  # strings, lists, objects, huge integers
        raise ApiError(422, "pixels: must be a list of numbers from 0 to 255") from None
    if not np.isfinite(arr).all() or arr.min(initial=0) < 0 or arr.max(initial=0) > 255:
        raise ApiError(422, "pixel values must be numbers from 0 to 255")
    return np.round(arr).astype(np.uint8)


def _image(body: PredictBody) -> np.ndarray:
    """The request's pixels as a (height, width) uint8 array, or a 422 ApiError."""
    _check_size(body)
    w, h = body.width, body.height
    if body.pixels is not None and body.pixels_b64 is not None:
        raise ApiError(422, "send the pixels once: as pixels or as pixels_b64, not both")
    if body.pixels_b64 is not None:
        return _from_b64(body.pixels_b64, w, h).reshape(h, w)
    if body.pixels is None:
        raise ApiError(422, "pixels: Field required")
    return _from_list(body.pixels, w, h).reshape(h, w)


def _network(store: ModelStore, body: PredictBody) -> tuple[str, Network]:
    """The model asked for (or the default one), if it reads 28x28 images."""
    name = body.model or store.default
    net = store.get(name)
    if net.sizes[0] != 784:
        raise ApiError(422, f"model {name!r} does not take 28x28 images")
    return name, net


def reading(prediction: Prediction) -> dict[str, Any]:
    """How the network read the digit: ``looks``, 1 or 5, and with 5 ``each_look``: where
    each look moved the digit (rows down, columns right) and what that look answered, with
    its probability. The answer is their mean (``probabilities``)."""
    answers = [np.asarray(answer) for answer in prediction.each_look]
    return {
        "looks": len(answers) or 1,
        "each_look": [
            {"shift": [r, c], "digit": int(a.argmax()), "probability": number(a.max())}
            for (r, c), a in zip(SHIFTS, answers, strict=False)
        ],
    }


def predict(store: ModelStore, body: PredictBody) -> dict[str, Any]:
    """The answer for one picture, with every layer of the network for the diagram."""
    name, net = _network(store, body)
    image = _image(body)
    if body.preprocess:
        prediction = predict_image(net, image)
    else:
        prediction = predict_pixels(net, image)
    prepared = prediction.prepared
    x = np.asarray(prepared.pixels, dtype=np.float32).reshape(-1)
    steps = (
        [
            {"name": s.name, "title": s.title, "note": str(s.note or ""), "png": png(s.image)}
            for s in prepared.steps
        ]
        if body.steps or not body.preprocess  # without preprocessing there are none to skip
        else None
    )
    inside = analyse(net, x, body.show)
    return {
        "model": name,
        "digit": None if prediction.digit is None else int(prediction.digit),
        "found": bool(prepared.found),
        "message": prediction.message or (prepared.reason or ""),
        "confident": bool(prediction.confident),
        "steps": steps,
        "probabilities": floats(prediction.probabilities),
        **reading(prediction),
        "outputs": floats(inside["outputs"]),
        "input": floats(x, 3),
        "layers": inside["layers"],
        "edges": inside["edges"],
    }


def answer(store: ModelStore, body: PredictBody) -> JsonAnswer:
    """:func:`predict`'s answer, encoded: all the work of a request but reading its body."""
    return JsonAnswer(predict(store, body))


@router.post("/api/predict", response_model=None, response_description="The reading")
async def predict_endpoint(body: PredictBody, store: Store) -> JsonAnswer:
    """Read a picture: the answer, the 28x28 input and every neuron's activation."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(READERS, answer, store, body)
