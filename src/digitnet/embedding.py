"""Maps of the layers: where the 10,000 test digits lie, layer by layer, in two dimensions.

Each layer turns a digit into a list of numbers, its activations: 784 pixels at the input,
16 numbers in each hidden layer of the video's network, 10 at the output. Principal component
analysis (PCA) finds the two directions along which a layer's activations vary most, over
all the test digits; projecting every digit on them gives a flat map of that layer, where
digits the layer sees alike lie close together. At the input the digits of different classes
overlap; layer after layer they gather into separate clusters, one per digit: the network
untangles them until the output can read the answer off.

How well the clusters separate is measured by the **nearest-centre accuracy**: the share of
digits that lie closer to the centre (the mean) of their own digit's cluster than to any
other's, in the layer itself (all its dimensions) and on the 2-D map.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.network import Network
from digitnet.slant import inputs_for

FloatArray = NDArray[np.float64]


@dataclass
class LayerMap:
    """The 2-D map of one layer: ``points`` ``(n, 2)`` for the digits, the PCA that made it
    (``mean`` and ``components`` ``(2, size)``, so that any activations can be placed on it
    with :meth:`place`), the share of the layer's variance each axis shows (``explained``),
    and the nearest-centre accuracy in the layer (``separation``) and on the map
    (``map_separation``). ``method`` says how ``points`` were made: ``pca``, or ``tsne``
    (see :func:`with_points`; :meth:`place` is always the PCA's)."""

    layer: int
    size: int
    mean: FloatArray
    components: FloatArray
    explained: FloatArray
    points: FloatArray
    separation: float
    map_separation: float
    method: str = "pca"

    def place(self, activations: ArrayLike) -> FloatArray:
        """Where activations ``(k, size)`` of this layer lie on the map: ``(k, 2)``."""
        a = np.asarray(activations, dtype=np.float64).reshape(-1, self.size)
        return np.asarray((a - self.mean) @ self.components.T)


def pca(x: ArrayLike, k: int = 2) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The mean ``(d,)``, the ``k`` principal directions ``(k, d)`` (unit length, the largest
    loading of each positive, so the map does not flip from run to run) and the share of the
    variance along each ``(k,)``, of the rows of ``x`` ``(n, d)``."""
    data = np.asarray(x, dtype=np.float64)
    mean = data.mean(axis=0)
    centred = data - mean
    covariance = centred.T @ centred / max(len(data) - 1, 1)
    values, vectors = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(values)[::-1][:k]
    components = vectors[:, order].T.copy()
    if components.shape[0] < k:  # a layer narrower than k: pad with zero directions
        components = np.vstack([components, np.zeros((k - len(components), data.shape[1]))])
    for row in components:
        if row.size and row[np.argmax(np.abs(row))] < 0:
            row *= -1
    total = float(values.sum())
    explained = np.zeros(k)
    kept = np.clip(values[order], 0.0, None)
    explained[: len(kept)] = kept / total if total > 0 else 0.0
    return mean, components, explained


def nearest_centre_accuracy(x: ArrayLike, labels: ArrayLike) -> float:
    """The share of rows of ``x`` closer to their own label's mean than to any other's."""
    data = np.asarray(x, dtype=np.float64)
    y = np.asarray(labels)
    classes = np.unique(y)
    centres = np.stack([data[y == c].mean(axis=0) for c in classes])
    distances = (
        (data**2).sum(axis=1)[:, None] - 2 * data @ centres.T + (centres**2).sum(axis=1)[None, :]
    )
    return float(np.mean(classes[np.argmin(distances, axis=1)] == y))


def layer_map(net: Network, images: ArrayLike, labels: ArrayLike, layer: int) -> LayerMap:
    """The map of layer ``layer`` (0 = the input pixels) for ``images`` and their labels."""
    x = inputs_for(net.metadata, images)  # as the network learnt: deslanted if it says so
    activations = np.asarray(net.layer_outputs(x, layer), dtype=np.float64)
    mean, components, explained = pca(activations)
    points = (activations - mean) @ components.T
    return LayerMap(
        layer=layer,
        size=net.sizes[layer],
        mean=mean,
        components=components,
        explained=explained,
        points=points,
        separation=nearest_centre_accuracy(activations, labels),
        map_separation=nearest_centre_accuracy(points, labels),
    )


def layer_maps(
    net: Network, images: ArrayLike, labels: ArrayLike, layers: list[int] | None = None
) -> list[LayerMap]:
    """The maps of ``layers`` (default: every layer, input to output)."""
    chosen = list(range(net.num_layers)) if layers is None else layers
    for layer in chosen:
        if not 0 <= layer < net.num_layers:
            raise ValueError(f"layer must lie in 0..{net.num_layers - 1}, not {layer}")
    return [layer_map(net, images, labels, layer) for layer in chosen]


def with_points(m: LayerMap, points: ArrayLike, labels: ArrayLike, method: str) -> LayerMap:
    """``m`` with another 2-D placement of its digits (e.g. t-SNE's), its map separation
    measured again."""
    xy = np.asarray(points, dtype=np.float64)
    if xy.shape != m.points.shape:
        raise ValueError(f"points must have shape {m.points.shape}, not {xy.shape}")
    return replace(m, points=xy, map_separation=nearest_centre_accuracy(xy, labels), method=method)
