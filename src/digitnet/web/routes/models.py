"""The models and their neurons: the list, one model's layout, a neuron's weights and its
weighted sum for an input written out term by term, and what the neuron responds to."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from digitnet.network import Network
from digitnet.web.bodies import SHOWN_DEFAULT, NeuronBody
from digitnet.web.errors import ApiError
from digitnet.web.features import NeuronFeatures
from digitnet.web.models import ModelStore
from digitnet.web.payload import floats
from digitnet.web.state import Store

TOP_TERMS = 8  # terms of a neuron's sum written out in full

router = APIRouter()


# ---------------------------------------------------------------------- layouts
def _kind(net: Network, layer: int) -> str:
    """``input``, ``hidden`` or ``output``."""
    if layer == 0:
        return "input"
    return "output" if layer == net.num_layers - 1 else "hidden"


def _layout(store: ModelStore, name: str) -> dict[str, Any]:
    """A model's summary with its layers, training recipe and history (no weights)."""
    net = store.get(name)
    kind = dict(store.names()).get(name, "saved")
    layers = [
        {
            "index": layer,
            "size": size,
            "kind": _kind(net, layer),
            "activation": None if layer == 0 else net.activation_of(layer).name,
            "shown": min(size, SHOWN_DEFAULT) if 0 < layer < net.num_layers - 1 else size,
        }
        for layer, size in enumerate(net.sizes)
    ]
    meta = net.metadata
    return {
        **store.summary(name, kind),
        "layers": layers,
        "training": meta.get("training"),
        "history": meta.get("history", []),
    }


# ---------------------------------------------------------------------- neurons
def _check_neuron(net: Network, name: str, layer: int, index: int) -> None:
    """A 404 ApiError unless the model has neuron ``index`` in layer ``layer``."""
    if not 0 <= layer < net.num_layers:
        raise ApiError(
            404, f"model {name!r} has layers 0 to {net.num_layers - 1}; there is no layer {layer}"
        )
    size = net.sizes[layer]
    if not 0 <= index < size:
        raise ApiError(
            404, f"layer {layer} of model {name!r} has {size} neurons; there is no neuron {index}"
        )


def _written_out(net: Network, layer: int, index: int, x: np.ndarray) -> dict[str, Any]:
    """The neuron's sum for input ``x``: its largest terms ``w * a``, the rest, ``z`` and ``a``."""
    w = net.weights[layer - 1][index]
    fp = net.feedforward(x.reshape(1, -1))
    prev = fp.activations[layer - 1][0]
    products = w.astype(np.float64) * prev
    order = np.argsort(-np.abs(products))
    terms = [
        {"index": int(i), "w": float(w[i]), "a": float(prev[i]), "wa": float(products[i])}
        for i in order[:TOP_TERMS]
    ]
    return {
        "terms": terms,
        "sum_wa": float(products.sum()),
        "rest": float(products[order[TOP_TERMS:]].sum()),
        "rest_count": max(0, len(w) - TOP_TERMS),
        "positive": float(products[products > 0].sum()),
        "negative": float(products[products < 0].sum()),
        "z": float(fp.weighted_sums[layer - 1][0][index]),
        "a": float(fp.activations[layer][0][index]),
        "previous": floats(prev),
    }


def _neuron(
    net: Network, name: str, layer: int, index: int, x: np.ndarray | None
) -> dict[str, Any]:
    """A neuron's incoming weights and bias, and with an input its sum written out."""
    _check_neuron(net, name, layer, index)
    result: dict[str, Any] = {
        "model": name,
        "layer": layer,
        "index": index,
        "kind": _kind(net, layer),
    }
    if layer == 0:
        row, col = divmod(index, 28)
        result.update({"row": row, "column": col, "weights": None, "bias": None})
        if x is not None:
            result["a"] = float(x[index])
        return result
    w = net.weights[layer - 1][index]
    result.update(
        {
            "activation": net.activation_of(layer).name,
            "inputs": len(w),
            "weights": floats(w, 5),
            "bias": float(net.biases[layer - 1][index]),
            "max_abs": float(np.max(np.abs(w))),
            "input_shape": [28, 28] if layer == 1 and len(w) == 784 else None,
        }
    )
    if x is not None:
        result.update(_written_out(net, layer, index, x))
    return result


def _input(values: list[float] | None) -> np.ndarray | None:
    """The 784 input activations sent, or a 422 ApiError."""
    if values is None:
        return None
    with np.errstate(over="ignore"):  # 1e300 becomes inf, refused below in one sentence
        x = np.asarray(values, dtype=np.float32)
    if x.shape != (784,):
        raise ApiError(422, f"input must be 784 values (28x28), got {len(values)}")
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ApiError(422, "input values must be numbers from 0 to 1")
    return x


# ---------------------------------------------------------------------- endpoints
@router.get("/api/models")
def list_models(store: Store) -> dict[str, Any]:
    """Every model the page can use, and the one it starts with."""
    models = [store.summary(name, kind) for name, kind in store.names()]
    return {"default": store.default, "models_dir": str(store.models_dir), "models": models}


@router.get("/api/models/{name}")
def model_layout(name: str, store: Store) -> dict[str, Any]:
    """A model's layout: layer sizes, activations, training recipe and history."""
    return _layout(store, name)


@router.get("/api/models/{name}/neurons/{layer}/{index}")
def neuron_weights(name: str, layer: int, index: int, store: Store) -> dict[str, Any]:
    """A neuron's incoming weights and bias (layer 0, the input pixels, has none)."""
    return _neuron(store.get(name), name, layer, index, None)


@router.post("/api/models/{name}/neurons/{layer}/{index}")
async def neuron_sum(
    name: str, layer: int, index: int, body: NeuronBody, store: Store
) -> dict[str, Any]:
    """The neuron's weights and bias, and with ``input`` (784 values 0..1) its weighted sum
    written out term by term."""
    x = _input(body.input)
    net = store.get(name)
    return await run_in_threadpool(_neuron, net, name, layer, index, x)


@router.get("/api/models/{name}/neurons/{layer}/{index}/features")
async def neuron_features(
    name: str, layer: int, index: int, request: Request, store: Store
) -> dict[str, Any]:
    """The test digits that excite the neuron most, its weights traced back to the pixels and
    the input that excites it most (computed once per model, then kept)."""
    net = store.get(name)
    _check_neuron(net, name, layer, index)
    features: NeuronFeatures = request.app.state.features
    return await run_in_threadpool(features.describe, net, name, layer, index)
