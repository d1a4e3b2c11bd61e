"""What a neuron responds to, for the page's neuron panel: the MNIST test digits that excite it
most, its weights traced back to the pixels, and the input that excites it most (activation
maximisation). The numbers come from :mod:`digitnet.inspection` and :mod:`digitnet.maximise`,
the same as ``digitnet show features``, on the test digits as the network reads them (stood
upright if it learnt deslanted digits); this module only caches them per model, because a
wide layer takes a second or two."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from digitnet.inspection import layer_values, mnist_test_set, top_indices, traced_weights
from digitnet.maximise import maximise_activation
from digitnet.network import Network
from digitnet.slant import inputs_for
from digitnet.web.errors import ApiError
from digitnet.web.payload import floats

TOP_DIGITS = 6  # test digits shown per neuron


class NeuronFeatures:
    """Computes and keeps, per network and layer, each neuron's top test digits, and per neuron
    its favourite input. Keyed by the network object, so a model saved again is new."""

    def __init__(self) -> None:
        self._top: dict[tuple[int, int], tuple[Network, np.ndarray]] = {}
        self._favourite: dict[tuple[int, int, int], tuple[Network, np.ndarray]] = {}
        self._read: dict[int, tuple[Network, np.ndarray]] = {}
        self._lock = threading.RLock()

    def test_digits(self, net: Network) -> np.ndarray:
        """MNIST's test digits ``(10000, 28, 28)`` uint8 as ``net`` reads them."""
        key = id(net)
        with self._lock:
            if key not in self._read:
                self._read[key] = (net, np.asarray(inputs_for(net.metadata, mnist_test_set()[0])))
            return self._read[key][1]

    def top_digits(self, net: Network, layer: int) -> np.ndarray:
        """``(TOP_DIGITS, neurons)`` test-digit indices, most exciting first."""
        key = (id(net), layer)
        with self._lock:
            if key not in self._top:
                scores, _ = layer_values(net, self.test_digits(net), layer)
                self._top[key] = (net, top_indices(scores, TOP_DIGITS))
            return self._top[key][1]

    def favourite(self, net: Network, layer: int, index: int) -> np.ndarray:
        """The 28x28 input that excites the neuron most (gradient ascent on the pixels)."""
        key = (id(net), layer, index)
        with self._lock:
            if key not in self._favourite:
                self._favourite[key] = (net, maximise_activation(net, layer, index))
            return self._favourite[key][1]

    def describe(self, net: Network, name: str, layer: int, index: int) -> dict[str, Any]:
        """The neuron's features as JSON (422 for an input neuron or a non-MNIST network)."""
        if layer == 0:
            raise ApiError(422, "an input neuron holds a pixel; it has no features to look for")
        if net.sizes[0] != 784:
            raise ApiError(422, f"model {name!r} does not take 28x28 images")
        images, labels = self.test_digits(net), mnist_test_set()[1]
        top = self.top_digits(net, layer)[:, index]
        traced = traced_weights(net, layer)[index]
        return {
            "model": name,
            "layer": layer,
            "index": index,
            "top_digits": [
                {
                    "index": int(i),
                    "label": int(labels[i]),
                    "pixels": images[i].reshape(-1).tolist(),
                }
                for i in top
            ],
            "traced_weights": floats(traced, 5),
            "traced_max_abs": float(np.max(np.abs(traced))),
            "favourite_input": floats(self.favourite(net, layer, index).reshape(-1), 3),
        }
