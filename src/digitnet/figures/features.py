"""What the neurons of a layer look for: for each, the input that excites it most, its
weights and the test digits that excite it most. The numbers come from
:mod:`digitnet.inspection` and :mod:`digitnet.maximise`; this module only draws them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from digitnet.figures.style import DIGIT_CMAP, WEIGHT_CMAP, as_pictures, bare
from digitnet.inspection import (
    FloatArray,
    IndexArray,
    check_layer,
    image_side,
    is_softmax,
    layer_values,
    mnist_test_set,
    neuron_indices,
    significant_neurons,
    top_indices,
    traced_weights,
)
from digitnet.maximise import DEFAULT_NORM, maximise_activations
from digitnet.network import Network
from digitnet.slant import inputs_for


@dataclass
class _Evidence:
    """The numbers the figure draws, for the ``n`` neurons shown."""

    neurons: IndexArray  # (n,) the neurons shown
    best_inputs: FloatArray  # (n, side, side) the input exciting each most
    best_scores: FloatArray  # (n,) each one's score and activation for it
    best_acts: FloatArray
    weights: FloatArray  # (n, n_in) the weights, traced back to the pixels
    top: IndexArray  # (k, n) the images exciting each most, most first
    scores: FloatArray  # (images, n) every image's score and activation for each
    acts: FloatArray


def _evidence(
    net: Network, layer: int, idx: IndexArray, data: NDArray[Any], k: int, steps: int, norm: float
) -> _Evidence:
    best_inputs = maximise_activations(net, layer, idx, steps=steps, norm=norm)
    best_scores, best_acts = layer_values(net, best_inputs, layer)
    rows = np.arange(len(idx))
    scores, acts = layer_values(net, data, layer)
    scores, acts = scores[:, idx], acts[:, idx]
    return _Evidence(
        idx,
        best_inputs,
        best_scores[rows, idx],
        best_acts[rows, idx],
        traced_weights(net, layer)[idx],
        top_indices(scores, k),
        scores,
        acts,
    )


def _figure(n: int, k_shown: int) -> tuple[Figure, Any, int, int]:
    """The figure and its grid: neurons in one block of rows, or two blocks side by side when
    there are more than 8; returns (figure, grid, rows, columns per block)."""
    blocks = 2 if n > 8 else 1
    rows = math.ceil(n / blocks)
    per_block = 2 + k_shown
    cols = blocks * per_block + (blocks - 1)
    widths = ([1.0] * per_block + [0.35]) * (blocks - 1) + [1.0] * per_block
    fig = Figure(figsize=(cols * 0.95, rows * 1.1 + 1.3))
    grid = fig.add_gridspec(
        rows,
        cols,
        width_ratios=widths,
        left=0.04,
        right=0.99,
        bottom=0.02,
        top=1 - 1.2 / (rows * 1.1 + 1.3),
        wspace=0.08,
        hspace=0.35,
    )
    return fig, grid, rows, per_block


def _draw_neuron(
    fig: Figure, cells: list[Any], ev: _Evidence, pos: int, data: NDArray[Any], softmax: bool
) -> None:
    """One neuron's row of panels: its maximising input, its weights, its top images."""

    def caption(score: float, activation: float) -> str:
        return f"p={activation:.4f}" if softmax else f"a={activation:.2f} z={score:.1f}"

    j = ev.neurons[pos]
    side = ev.best_inputs.shape[-1]
    ax = fig.add_subplot(cells[0])
    ax.imshow(ev.best_inputs[pos], cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
    ax.set_ylabel(f"{j}", rotation=0, ha="right", va="center", fontsize=10, labelpad=4)
    ax.set_xlabel(caption(ev.best_scores[pos], ev.best_acts[pos]), fontsize=6, labelpad=1)
    ax.set_label(f"maximised {j}")
    ax = fig.add_subplot(cells[1])
    picture = ev.weights[pos].reshape(side, side)
    lim = float(np.abs(picture).max()) or 1.0
    ax.imshow(picture, cmap=WEIGHT_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
    ax.set_label(f"weights {j}")
    for t, cell in enumerate(cells[2:]):
        i = ev.top[t, pos]
        ax = fig.add_subplot(cell)
        image = as_pictures(data[i], side)[0]
        ax.imshow(image, cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
        ax.set_xlabel(caption(ev.scores[i, pos], ev.acts[i, pos]), fontsize=6, labelpad=1)
        ax.set_label(f"top {j}")
    for a in fig.axes[-len(cells) :]:
        bare(a)


def _head_columns(axes: list[Any], weight_name: str) -> None:
    """Titles over the first row's panels."""
    heads = ["most\nexciting input", weight_name.replace(" ", "\n")] + (
        ["most exciting test digits \u2192"] + [""] * (len(axes) - 3)
    )
    for t, (ax, head) in enumerate(zip(axes, heads, strict=False)):
        ax.set_title(head, fontsize=8, loc="left" if t == 2 else "center")


def features(
    net: Network,
    layer: int = 1,
    *,
    neurons: ArrayLike | None = None,
    max_neurons: int = 16,
    k: int = 5,
    images: ArrayLike | None = None,
    steps: int = 200,
    norm: float = DEFAULT_NORM,
) -> Figure:
    """What each neuron of ``layer`` looks for, with evidence.

    One row per neuron: the input that excites it most (:func:`maximise_activations`, an
    Axes labelled ``"maximised j"``), its weights as a picture (traced back through the
    earlier layers for deeper layers, see :func:`traced_weights`; labelled ``"weights j"``)
    and the ``k`` images (by default the MNIST test digits) that excite it most (labelled
    ``"top j"``), as the network reads them (stood upright if it learnt deslanted digits).
    Layers wider than ``max_neurons`` show the most significant neurons.
    """
    check_layer(net, layer)
    image_side(net.sizes[0])
    if neurons is None:
        idx = significant_neurons(net, layer, max_neurons)
    else:
        idx = neuron_indices(net, layer, neurons)
    if images is None:
        images, _ = mnist_test_set()
    data = np.asarray(inputs_for(net.metadata, images))
    ev = _evidence(net, layer, idx, data, k, steps, norm)
    n = len(idx)
    fig, grid, rows, per_block = _figure(n, ev.top.shape[0])
    weight_name = "weights" if layer == 1 else "traced weights"
    for pos in range(n):
        row, c0 = pos % rows, (pos // rows) * (per_block + 1)
        cells = [grid[row, c0 + c] for c in range(per_block)]
        _draw_neuron(fig, cells, ev, pos, data, is_softmax(net, layer))
        if row == 0:
            _head_columns(fig.axes[-per_block:], weight_name)
    kind = "the output layer" if layer == net.num_layers - 1 else f"hidden layer {layer}"
    shown = "" if n == net.sizes[layer] else f" ({n} of {net.sizes[layer]:,} shown)"
    fig.suptitle(
        f"What the neurons of {kind} look for{shown}: the input that excites each most "
        f"(pixels 0..1, ink norm {norm:g}), its {weight_name} (blue +, red \u2212) and the "
        "digits that excite it most",
        fontsize=10,
        y=1 - 0.25 / (rows * 1.1 + 1.3),
        wrap=True,
    )
    return fig
