"""The video's diagram: the network reading one digit, layer by layer.

The picture is laid out in data units (:class:`_Layout`): the input picture is ``PICTURE``
units wide on the left, each later layer a column of circles ``GAP`` units to the right of
the previous one, neurons one unit apart vertically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch
from numpy.typing import ArrayLike

from digitnet.figures.style import BACKGROUND, DIGIT_CMAP, HIGHLIGHT, NEGATIVE, POSITIVE
from digitnet.inspection import FloatArray, IndexArray, image_side
from digitnet.network import Network

PICTURE = 9.0  # side of the input picture
GAP = 5.0  # between two columns of neurons
RADIUS = 0.38  # of a neuron
INCH = 0.42  # inches per data unit
LABEL_COLOUR = "#c0c4ca"


@dataclass
class _Layout:
    """Where the diagram's parts sit, for one input and its activations."""

    side: int  # pixels per side of the input picture
    acts: list[FloatArray]  # each layer's activations, float64
    shown: list[IndexArray]  # the neurons drawn in each layer (none for the input)
    ys: list[FloatArray]  # their heights
    column_x: list[float]  # x of the columns of layers 1, 2, ...
    height: float  # of the tallest column (or the picture)
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def last(self) -> int:
        return len(self.acts) - 1

    def positions(self, l: int) -> tuple[FloatArray, FloatArray]:
        """Centres of layer ``l``'s drawn neurons (for the input layer: of its pixels)."""
        if l == 0:
            cell = PICTURE / self.side
            rows, cols = np.divmod(np.arange(self.side * self.side), self.side)
            return (cols + 0.5) * cell, PICTURE / 2 - (rows + 0.5) * cell
        return np.full(len(self.shown[l]), self.column_x[l - 1]), self.ys[l]


def _layout(net: Network, x: FloatArray, max_shown: int) -> _Layout:
    """Lay out the diagram of ``net`` reading the one input ``x`` ``(1, n_in)``: layers wider
    than ``max_shown`` show their most active neurons."""
    acts = [a[0].astype(np.float64) for a in net.feedforward(x).activations]
    column_x = [PICTURE + 5.0 + GAP * (l - 1) for l in range(1, net.num_layers)]
    shown: list[IndexArray] = [np.arange(0)]
    ys: list[FloatArray] = [np.zeros(0)]
    for a in acts[1:]:
        if len(a) > max_shown:
            idx = np.sort(np.argsort(-a, kind="stable")[:max_shown]).astype(np.intp)
        else:
            idx = np.arange(len(a), dtype=np.intp)
        shown.append(idx)
        ys.append((len(idx) - 1) / 2.0 - np.arange(len(idx), dtype=np.float64))
    height = max(max(len(s) for s in shown) - 1 + 2 * RADIUS, PICTURE)
    any_more = any(len(shown[l]) < net.sizes[l] for l in range(1, net.num_layers))
    x_range = (-0.5, column_x[-1] + 4.3)
    y_range = (-height / 2 - (2.0 if any_more else 0.6), height / 2 + 4.3)
    side = image_side(net.sizes[0])
    return _Layout(side, acts, shown, ys, column_x, height, x_range, y_range)


def _canvas(layout: _Layout) -> tuple[Figure, Any]:
    """A dark figure with one Axes filling it, sized to the layout."""
    (x0, x1), (y0, y1) = layout.x_range, layout.y_range
    fig = Figure(figsize=(INCH * (x1 - x0), INCH * (y1 - y0)))
    fig.patch.set_facecolor(BACKGROUND)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_facecolor(BACKGROUND)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _column_label(ax: Any, x: float, layout: _Layout, text: str) -> None:
    ax.text(x, layout.height / 2 + 1.3, text, ha="center", va="bottom", color="white", fontsize=9)


def _draw_input(ax: Any, layout: _Layout, x: FloatArray) -> None:
    """Layer 0: the input picture, framed, labelled ``"layer 0"``."""
    half = PICTURE / 2
    img = ax.imshow(
        x[0].reshape(layout.side, layout.side),
        cmap=DIGIT_CMAP,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0.0, PICTURE, -half, half),
        zorder=1,
    )
    img.set_label("layer 0")
    ax.add_patch(
        FancyBboxPatch(
            (0, -half),
            PICTURE,
            PICTURE,
            boxstyle="square,pad=0",
            fill=False,
            edgecolor="#8a8f98",
            linewidth=0.8,
            zorder=2,
        )
    )
    _column_label(ax, PICTURE / 2, layout, f"input\n{layout.side * layout.side} pixels")


def _draw_connections(ax: Any, net: Network, layout: _Layout, l: int, count: int) -> None:
    """The ``count`` connections into layer ``l`` that carry the most signal
    (``|weight x activation|``), labelled ``"connections l"``; the first layer's start at
    their pixels, over the picture."""
    src = np.arange(net.sizes[0], dtype=np.intp) if l == 1 else layout.shown[l - 1]
    tgt = layout.shown[l]
    w = net.weights[l - 1][np.ix_(tgt, src)].astype(np.float64)
    flow = w * layout.acts[l - 1][src][None, :]
    k = min(count, flow.size)
    if k <= 0:
        return
    flat = np.argsort(-np.abs(flow), axis=None, kind="stable")[:k]
    ti, si = np.unravel_index(flat, flow.shape)
    strength = np.abs(flow[ti, si])
    rel = strength / (strength.max() or 1.0)
    sx, sy = layout.positions(l - 1)
    tx, ty = layout.positions(l)
    x0 = sx[si] + (0.0 if l == 1 else RADIUS)
    segments = np.stack(
        [np.stack([x0, sy[si]], axis=1), np.stack([tx[ti] - RADIUS, ty[ti]], axis=1)],
        axis=1,
    )
    colors = [POSITIVE if v > 0 else NEGATIVE for v in w[ti, si]]
    lines = LineCollection(
        list(segments), colors=colors, linewidths=0.4 + 2.6 * rel, zorder=2 if l == 1 else 0
    )
    lines.set_alpha(list(0.3 + 0.65 * rel))
    lines.set_label(f"connections {l}")
    ax.add_collection(lines)
    if l == 1:
        ax.scatter(x0, sy[si], s=6, c=colors, zorder=2, linewidths=0)


def _activation_range(net: Network, layer: int, values: FloatArray) -> tuple[float, float]:
    """Colour range for a layer's activations: 0..1 for sigmoid/softmax, -1..1 for tanh,
    0..largest for ReLU-like activations (which have no upper bound)."""
    name = net.activation_of(layer).name
    if name in ("sigmoid", "softmax"):
        return 0.0, 1.0
    if name == "tanh":
        return -1.0, 1.0
    return 0.0, max(float(np.max(values, initial=0.0)), 1e-6)


def _draw_neurons(ax: Any, net: Network, layout: _Layout, l: int) -> None:
    """Layer ``l``: a column of circles shaded by activation, labelled ``"layer l"``, with its
    name above and, for a wide layer, a note on the neurons left out below."""
    cx, cy = layout.positions(l)
    shown = layout.shown[l]
    circles = PatchCollection(
        [Circle((float(px), float(py)), RADIUS) for px, py in zip(cx, cy, strict=True)],
        cmap="gray",
        norm=Normalize(*_activation_range(net, l, layout.acts[l])),
        edgecolors="#9aa0a8",
        linewidths=0.8,
        zorder=3,
    )
    circles.set_array(layout.acts[l][shown])
    circles.set_label(f"layer {l}")
    ax.add_collection(circles)
    n = net.sizes[l]
    name = "output" if l == layout.last else f"hidden {l}"
    unit = "digits" if l == layout.last and n == 10 else "neurons"
    _column_label(ax, cx[0], layout, f"{name}\n{n:,} {unit}")
    if len(shown) < n:
        ax.text(
            cx[0],
            cy[-1] - 0.7,
            f"+{n - len(shown):,} more\n(the {len(shown)} most active shown)",
            ha="center",
            va="top",
            color=LABEL_COLOUR,
            fontsize=7,
        )


def _draw_output_labels(ax: Any, layout: _Layout, answer: int, label: int | None) -> None:
    """Each output neuron's digit and activation; the answer in bold and framed, the true
    digit marked when it differs."""
    last = layout.last
    ox, oy = layout.positions(last)
    for k, j in enumerate(layout.shown[last]):
        is_answer = int(j) == answer
        color = HIGHLIGHT if is_answer else "white"
        weight = "bold" if is_answer else "normal"
        text: dict[str, Any] = {"ha": "left", "va": "center", "color": color}
        ax.text(ox[k] + 0.8, oy[k], f"{j}", fontsize=11, fontweight=weight, **text)
        ax.text(ox[k] + 1.7, oy[k], f"{layout.acts[last][j]:.2f}", fontsize=8, **text)
        if is_answer:
            ax.add_patch(
                FancyBboxPatch(
                    (ox[k] - RADIUS - 0.2, oy[k] - 0.48),
                    2 * RADIUS + 3.6,
                    0.96,
                    boxstyle="round,pad=0.05",
                    fill=False,
                    edgecolor=HIGHLIGHT,
                    linewidth=1.6,
                    zorder=4,
                )
            )
        if label is not None and int(j) == label and label != answer:
            ax.text(
                ox[k] + 3.0,
                oy[k],
                "\u2190 true",
                ha="left",
                va="center",
                color="#7fd17f",
                fontsize=8,
            )


def _draw_titles(
    ax: Any, layout: _Layout, answer: int, label: int | None, top_connections: int
) -> None:
    """The answer (and the true digit) on top, and what the colours mean."""
    confidence = layout.acts[layout.last][answer]
    title = f"The network's answer: {answer}  (output {confidence:.2f})"
    if label is not None:
        title += f"   \u2014   true digit: {label}"
    middle = (layout.x_range[0] + layout.x_range[1]) / 2
    top = layout.y_range[1]
    ax.text(middle, top - 0.5, title, ha="center", va="top", color="white", fontsize=12)
    ax.text(
        middle,
        top - 1.4,
        f"neurons: black = 0, white = 1; the {top_connections} "
        "strongest connections into each layer: blue positive, red negative weight",
        ha="center",
        va="top",
        color=LABEL_COLOUR,
        fontsize=8,
    )


def network_diagram(
    net: Network,
    pixels: ArrayLike,
    *,
    top_connections: int = 30,
    label: int | None = None,
    max_shown: int = 16,
) -> Figure:
    """The video's picture of the network reading one digit.

    The input picture sits on the left; each later layer is a column of circles shaded by
    activation (black 0, white 1). Between layers, the ``top_connections`` connections that
    carry the most signal (largest ``|weight x activation|``) are drawn, blue for a positive
    weight and red for a negative one, thicker when stronger; the first layer's start at their
    pixels. Layers wider than ``max_shown`` show their ``max_shown`` most active neurons and
    a "+N more" note. The output column is labelled with the digits, the answer marked, and
    the true digit too when ``label`` is given and differs.

    ``pixels`` is the input as the network reads it (e.g. an MNIST digit, or a photo prepared
    by :mod:`digitnet.preprocess` beforehand).

    Every layer is one artist labelled ``"layer l"`` (the picture for layer 0, a collection of
    circles for the others); the connections into layer ``l`` are labelled ``"connections l"``.
    """
    image_side(net.sizes[0])
    x = net.as_input(pixels)
    if len(x) != 1:
        raise ValueError(f"network_diagram draws one input, got {len(x)}")
    layout = _layout(net, x, max_shown)
    answer = int(np.argmax(layout.acts[-1]))
    fig, ax = _canvas(layout)
    _draw_input(ax, layout, x)
    # Connections first, so the circles cover their ends.
    for l in range(1, net.num_layers):
        _draw_connections(ax, net, layout, l, top_connections)
    for l in range(1, net.num_layers):
        _draw_neurons(ax, net, layout, l)
    _draw_output_labels(ax, layout, answer, label)
    ax.set_xlim(*layout.x_range)
    ax.set_ylim(*layout.y_range)
    _draw_titles(ax, layout, answer, label, top_connections)
    return fig
