"""A network's weights and biases as views of one array, so an optimizer steps in a few
big operations instead of a few per layer.

Adam, for instance, does about ten operations per parameter array: on the video's network
(three weight matrices, three bias vectors) that is sixty small NumPy calls per mini-batch,
most of their time spent calling rather than computing. With every weight and bias (and every
gradient) a view of one array, it is ten calls. Each number is computed exactly as before, so
training gives the same weights bit for bit.

An optimizer then sees one array and keeps one array of memory (e.g. Adam's ``m.0``); a
checkpoint keeps that memory per layer (``m.0`` ... ``m.5``) as it always has:
:meth:`FlatParameters.per_layer` and :meth:`FlatParameters.joined` translate.
"""

from __future__ import annotations

import numpy as np

from digitnet.activations import Array
from digitnet.network import Gradients, Network


class FlatParameters:
    """``net``'s weights and biases moved into one array ``values`` (the network's lists now
    hold views of it), and a gradient array ``gradient`` of the same layout whose views
    ``grads`` backprop fills in."""

    def __init__(self, net: Network) -> None:
        arrays = net.weights + net.biases
        self.shapes = [a.shape for a in arrays]
        self.bounds = np.cumsum([0, *(a.size for a in arrays)]).tolist()
        dtype = np.result_type(*arrays)
        self.values: Array = np.empty(self.bounds[-1], dtype)
        self.gradient: Array = np.empty(self.bounds[-1], dtype)
        views = self._views(self.values)
        for view, array in zip(views, arrays, strict=True):
            view[...] = array
        layers = len(net.weights)
        net.weights, net.biases = views[:layers], views[layers:]
        grads = self._views(self.gradient)
        self.grads = Gradients(grads[:layers], grads[layers:], 0.0)
        self.net = net

    def _views(self, flat: Array) -> list[Array]:
        pieces = zip(self.bounds[:-1], self.bounds[1:], self.shapes, strict=True)
        return [flat[start:end].reshape(shape) for start, end, shape in pieces]

    def hold(self) -> None:
        """Make the network's parameters this array's views again, if code outside training
        (e.g. a callback) has given the network new arrays: their values are copied in."""
        net, mine = self.net, self.values
        arrays = net.weights + net.biases
        if all(p.base is mine for p in arrays):
            return
        if [a.shape for a in arrays] != self.shapes:
            raise ValueError("the network's layers changed during training")
        views = self._views(mine)
        for view, array in zip(views, arrays, strict=True):
            view[...] = array
        layers = len(net.weights)
        net.weights, net.biases = views[:layers], views[layers:]

    def per_layer(self, arrays: dict[str, Array]) -> dict[str, Array]:
        """An optimizer's memory of the one array (``name.0``) as one array per weight and
        bias array (``name.0``, ``name.1``, ...), as checkpoints keep it."""
        out: dict[str, Array] = {}
        for name, flat in arrays.items():
            prefix = name.rsplit(".", 1)[0]
            for i, view in enumerate(self._views(flat.reshape(-1))):
                out[f"{prefix}.{i}"] = view.copy()
        return out

    def joined(self, arrays: dict[str, Array]) -> dict[str, Array]:
        """The inverse of :meth:`per_layer`: a checkpoint's per-layer memory as one array."""
        prefixes = sorted({name.rsplit(".", 1)[0] for name in arrays})
        count = len(self.shapes)
        out: dict[str, Array] = {}
        for prefix in prefixes:
            parts = [arrays.get(f"{prefix}.{i}") for i in range(count)]
            if any(p is None or p.shape != s for p, s in zip(parts, self.shapes, strict=True)):
                raise ValueError(f"the optimizer's {prefix!r} does not fit the network's layers")
            out[f"{prefix}.0"] = np.concatenate([np.ravel(p) for p in parts if p is not None])
        return out
