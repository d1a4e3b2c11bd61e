"""Weight pictures: the first layer's weights as 28x28 pictures, later layers as heat maps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from digitnet.errors import DigitnetError
from digitnet.figures.style import WEIGHT_CMAP, Target, bare
from digitnet.inspection import FloatArray, check_layer, image_side, significant_neurons
from digitnet.network import Network


def _draw_weight_grid(
    target: Target, net: Network, max_neurons: int, shared_scale: bool, cols: int | None = None
) -> int:
    side = image_side(net.sizes[0])
    weights = net.weights[0]
    shown = significant_neurons(net, 1, max_neurons)
    n = len(shown)
    cols = min(n, cols or math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    grid = target.add_gridspec(rows, cols)
    common = float(np.abs(weights[shown]).max(initial=0.0)) or 1.0
    for k, j in enumerate(shown):
        ax = target.add_subplot(grid[k // cols, k % cols])
        picture = weights[j].reshape(side, side)
        lim = common if shared_scale else (float(np.abs(picture).max()) or 1.0)
        ax.imshow(picture, cmap=WEIGHT_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(str(j), fontsize=8 if n > 36 else 9, pad=2)
        ax.set_label(f"neuron {j}")
        bare(ax)
    total = net.sizes[1]
    which = (
        f"all {total} neurons of layer 1"
        if n == total
        else f"{n} of layer 1's {total:,} neurons\n(those with the strongest outgoing weights)"
    )
    scale = "one scale for all" if shared_scale else "each on its own scale"
    target.suptitle(
        f"Weights into {which}\nblue: positive, red: negative, white: zero; {scale}",
        fontsize=10,
    )
    return n


def _grid_shape(n: int, width: float | None = None) -> tuple[int, int, float, float]:
    """(rows, columns, width, height) of a grid of ``n`` square pictures with titles."""
    cell = 1.1 if n <= 36 else 0.9
    cols = math.ceil(math.sqrt(n))
    if width is not None:  # as few rows as fit, then as few columns as those rows need
        widest = max(cols, min(n, int(width / cell + 1e-9)))
        cols = math.ceil(n / math.ceil(n / widest))
    rows = math.ceil(n / cols)
    width = max(cols * cell, 5.0) if width is None else width
    cell_w = width / cols
    return rows, cols, width, rows * (cell_w * 0.9 + 0.22) + 0.9


def weight_grid(net: Network, *, max_neurons: int = 64, shared_scale: bool = False) -> Figure:
    """Each first-layer neuron's incoming weights as a picture, in one grid.

    One Axes per neuron shown, titled with the neuron's index and labelled ``"neuron j"``.
    Layers wider than ``max_neurons`` show the ``max_neurons`` neurons with the strongest
    outgoing weights, and the title says so. The colour map diverges around zero (blue
    positive, red negative), each picture on its own symmetric scale unless ``shared_scale``.
    """
    if max_neurons < 1:
        raise ValueError("max_neurons must be at least 1")
    _, cols, width, height = _grid_shape(min(max_neurons, net.sizes[1]))
    fig = Figure(figsize=(width, height), layout="constrained")
    _draw_weight_grid(fig, net, max_neurons, shared_scale, cols)
    return fig


def _draw_matrix(fig: Target, ax: Any, w: FloatArray, layer: int) -> None:
    lim = float(np.abs(w).max(initial=0.0)) or 1.0
    n_out, n_in = w.shape
    aspect = "equal" if max(n_in, n_out) <= 4 * min(n_in, n_out) else "auto"
    image = ax.imshow(
        w, cmap=WEIGHT_CMAP, vmin=-lim, vmax=lim, interpolation="nearest", aspect=aspect
    )
    ax.set_title(f"layer {layer - 1} \u2192 layer {layer}  ({n_out}x{n_in})", fontsize=10)
    ax.set_xlabel(f"from neuron of layer {layer - 1}")
    ax.set_ylabel(f"to neuron of layer {layer}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
    ax.set_label(f"matrix {layer}")
    fig.colorbar(image, ax=ax, shrink=0.85, label="weight")


def _draw_weight_matrices(target: Target, net: Network, layers: Sequence[int]) -> int:
    ratios = [max(1.0, min(3.0, net.sizes[l - 1] / max(net.sizes[l], 1) / 2)) for l in layers]
    axes = target.subplots(1, len(layers), squeeze=False, width_ratios=ratios)[0]
    for ax, layer in zip(axes, layers, strict=True):
        _draw_matrix(target, ax, net.weights[layer - 1], layer)
    target.suptitle(
        "Weight matrices: row = receiving neuron, column = sending neuron; "
        "blue positive, red negative",
        fontsize=10,
    )
    return len(layers)


def weight_matrices(net: Network, layers: Sequence[int] | None = None) -> Figure:
    """Heat maps of weight matrices, by default all after the first layer.

    ``layers`` picks the receiving layers (2 = the weights between layers 1 and 2). One Axes
    per matrix (labelled ``"matrix l"``), each with its own colour bar centred on zero. Raises
    :class:`DigitnetError` when there is nothing to draw or a layer does not exist.
    """
    if layers is None:
        layers = list(range(2, net.num_layers))
        if not layers:
            raise DigitnetError(
                "this network has only one layer of weights: its pictures are the weight grid"
            )
    for layer in layers:
        check_layer(net, layer)
    fig = Figure(figsize=(max(4.6 * len(layers), 5.0), 4.2), layout="constrained")
    _draw_weight_matrices(fig, net, layers)
    return fig


def weights_overview(net: Network, *, max_neurons: int = 64) -> Figure:
    """The weight grid of the first layer and, below it, the later layers' weight matrices."""
    if max_neurons < 1:
        raise ValueError("max_neurons must be at least 1")
    if net.num_layers <= 2:
        return weight_grid(net, max_neurons=max_neurons)
    count = net.num_layers - 2
    width = max(4.6 * count, 9.0)
    _, cols, _, grid_height = _grid_shape(min(max_neurons, net.sizes[1]), width)
    fig = Figure(figsize=(width, grid_height + 4.4), layout="constrained")
    subfigures: Any = fig.subfigures(2, 1, height_ratios=[grid_height, 4.4])
    top, bottom = subfigures
    _draw_weight_grid(top, net, max_neurons, shared_scale=False, cols=cols)
    _draw_weight_matrices(bottom, net, list(range(2, net.num_layers)))
    return fig
