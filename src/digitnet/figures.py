"""Pictures of a network, drawn with matplotlib: look inside instead of reading numbers.

Every function returns a :class:`matplotlib.figure.Figure` made directly (never through
pyplot), so nothing opens a window and nothing stays in a global figure list; save one with
:func:`save_figure` or show it in a notebook by leaving it as a cell's last value.

- :func:`weight_grid`: each first-layer neuron's 784 incoming weights as a 28x28 picture.
- :func:`weight_matrices`: the later layers' weight matrices as heat maps.
- :func:`weights_overview`: both in one figure (what ``digitnet show weights`` draws).
- :func:`network_diagram`: the video's diagram for one input.
- :func:`curves`: loss and accuracy per epoch, from a model's training history.
- :func:`confusion`: the confusion matrix on the test set.
- :func:`mistakes`: a gallery of misread test digits.
- :func:`features`: for each hidden neuron, the input that excites it most
  (:func:`maximise_activation`), its weights and the test digits that excite it most
  (:func:`top_activating`).

Colours follow the video: in weight pictures and connections blue means a positive weight and
red a negative one; neurons glow from black (activation 0) to white (activation 1).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.ticker import MaxNLocator, PercentFormatter
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import DigitnetError
from digitnet.files import atomic_write, check_output
from digitnet.network import Network

WEIGHT_CMAP = "RdBu"  # low (negative) red, high (positive) blue, white at zero
POSITIVE = "#2f6eb5"
NEGATIVE = "#c8362f"
HIGHLIGHT = "#f2b632"
BACKGROUND = "#0e1116"  # the diagram's dark background, as in the video
DIGIT_CMAP = "gray"  # digits as in MNIST and the video: white ink on black
DEFAULT_DPI = 110
DEFAULT_NORM = 9.3  # L2 norm of an average MNIST test digit (pixels 0..1)
FORMATS = (".png", ".svg")

Target = Figure | SubFigure
FloatArray = NDArray[np.floating[Any]]
IndexArray = NDArray[np.intp]


# --------------------------------------------------------------------------- helpers
def _image_side(n_in: int) -> int:
    """Side of the square picture an input layer of ``n_in`` neurons makes (28 for 784)."""
    side = math.isqrt(n_in)
    if side * side != n_in:
        raise DigitnetError(
            f"pictures of the input need a square input layer, but this one has {n_in} neurons"
        )
    return side


def _check_layer(net: Network, layer: int) -> None:
    last = net.num_layers - 1
    if not 1 <= layer <= last:
        raise DigitnetError(
            f"layer {layer} does not exist: this network's layers after the input are "
            f"numbered 1 to {last}"
        )


def significant_neurons(net: Network, layer: int, count: int) -> IndexArray:
    """The indices of at most ``count`` neurons of ``layer`` worth showing, in index order.

    All of them if the layer is small enough; otherwise those whose outgoing weights are
    strongest (largest L2 norm), i.e. the neurons the next layer listens to most. Output
    neurons have no outgoing weights and are ranked by their incoming ones.
    """
    _check_layer(net, layer)
    n = net.sizes[layer]
    if n <= count:
        return np.arange(n, dtype=np.intp)
    if layer < net.num_layers - 1:
        score = np.linalg.norm(net.weights[layer], axis=0)
    else:
        score = np.linalg.norm(net.weights[layer - 1], axis=1)
    return np.sort(np.argsort(-score, kind="stable")[:count]).astype(np.intp)


def _as_pictures(images: ArrayLike, side: int) -> FloatArray:
    """Images as float pictures ``(n, side, side)`` in 0..1 (uint8 is divided by 255)."""
    arr = np.asarray(images)
    scaled = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    return scaled.reshape(-1, side, side)


def mnist_test_set() -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """MNIST's 10,000 test digits ``(n, 28, 28)`` uint8 and their labels."""
    from digitnet.data import load_mnist

    test = load_mnist().test
    return test.images, test.labels


def _images_and_labels(
    images: ArrayLike | None, labels: ArrayLike | None
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    if (images is None) != (labels is None):
        raise ValueError("give both images and labels, or neither (the MNIST test set)")
    if images is None or labels is None:
        images, labels = mnist_test_set()
    x = np.asarray(images)
    y = np.asarray(labels).astype(np.int64)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    return x, y


def _probabilities(net: Network, images: ArrayLike, batch: int = 10_000) -> FloatArray:
    x = net.as_input(images)
    parts = [net.predict_proba(x[i : i + batch]) for i in range(0, len(x), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, net.sizes[-1]), np.float32)


def _activation_range(net: Network, layer: int, values: FloatArray) -> tuple[float, float]:
    """Colour range for a layer's activations: 0..1 for sigmoid/softmax, -1..1 for tanh,
    0..largest for ReLU-like activations (which have no upper bound)."""
    name = net.activation_of(layer).name
    if name in ("sigmoid", "softmax"):
        return 0.0, 1.0
    if name == "tanh":
        return -1.0, 1.0
    return 0.0, max(float(np.max(values, initial=0.0)), 1e-6)


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


# --------------------------------------------------------------------------- weights
def _draw_weight_grid(
    target: Target, net: Network, max_neurons: int, shared_scale: bool, cols: int | None = None
) -> int:
    side = _image_side(net.sizes[0])
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
        _bare(ax)
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
        _check_layer(net, layer)
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


# --------------------------------------------------------------------------- the diagram
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

    Every layer is one artist labelled ``"layer l"`` (the picture for layer 0, a collection of
    circles for the others); the connections into layer ``l`` are labelled ``"connections l"``.
    """
    side = _image_side(net.sizes[0])
    x = net.as_input(pixels)
    if len(x) != 1:
        raise ValueError(f"network_diagram draws one input, got {len(x)}")
    fp = net.feedforward(x)
    acts = [a[0].astype(np.float64) for a in fp.activations]
    last = net.num_layers - 1
    answer = int(np.argmax(acts[-1]))

    # Layout in data units: the picture is size x size, columns are `gap` apart, neurons
    # one unit apart vertically.
    size, gap, radius = 9.0, 5.0, 0.38
    column_x = [size + 5.0 + gap * (l - 1) for l in range(1, net.num_layers)]
    shown: list[IndexArray] = [np.arange(0)]
    ys: list[FloatArray] = [np.zeros(0)]
    for l in range(1, net.num_layers):
        a = acts[l]
        if len(a) > max_shown:
            idx = np.sort(np.argsort(-a, kind="stable")[:max_shown]).astype(np.intp)
        else:
            idx = np.arange(len(a), dtype=np.intp)
        shown.append(idx)
        ys.append((len(idx) - 1) / 2.0 - np.arange(len(idx), dtype=np.float64))
    height = max(max(len(s) for s in shown) - 1 + 2 * radius, size)

    any_more = any(len(shown[l]) < net.sizes[l] for l in range(1, net.num_layers))
    x_range = (-0.5, column_x[-1] + 4.3)
    y_range = (-height / 2 - (2.0 if any_more else 0.6), height / 2 + 4.3)
    inch = 0.42  # inches per data unit
    fig = Figure(figsize=(inch * (x_range[1] - x_range[0]), inch * (y_range[1] - y_range[0])))
    fig.patch.set_facecolor(BACKGROUND)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_facecolor(BACKGROUND)
    ax.set_aspect("equal")
    ax.axis("off")

    # Layer 0: the input picture.
    picture = x[0].reshape(side, side)
    half = size / 2
    img = ax.imshow(
        picture,
        cmap=DIGIT_CMAP,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0.0, size, -half, half),
        zorder=1,
    )
    img.set_label("layer 0")
    ax.add_patch(
        FancyBboxPatch(
            (0, -half),
            size,
            size,
            boxstyle="square,pad=0",
            fill=False,
            edgecolor="#8a8f98",
            linewidth=0.8,
            zorder=2,
        )
    )
    ax.text(
        size / 2,
        height / 2 + 1.3,
        f"input\n{net.sizes[0]} pixels",
        ha="center",
        va="bottom",
        color="white",
        fontsize=9,
    )

    def positions(l: int) -> tuple[FloatArray, FloatArray]:
        if l == 0:
            cell = size / side
            rows, cols = np.divmod(np.arange(net.sizes[0]), side)
            return (cols + 0.5) * cell, half - (rows + 0.5) * cell
        return np.full(len(shown[l]), column_x[l - 1]), ys[l]

    # Connections, drawn first so the circles cover their ends.
    for l in range(1, net.num_layers):
        src = np.arange(net.sizes[0], dtype=np.intp) if l == 1 else shown[l - 1]
        tgt = shown[l]
        w = net.weights[l - 1][np.ix_(tgt, src)].astype(np.float64)
        flow = w * acts[l - 1][src][None, :]
        k = min(top_connections, flow.size)
        if k <= 0:
            continue
        flat = np.argsort(-np.abs(flow), axis=None, kind="stable")[:k]
        ti, si = np.unravel_index(flat, flow.shape)
        strength = np.abs(flow[ti, si])
        rel = strength / (strength.max() or 1.0)
        sx, sy = positions(l - 1)
        tx, ty = positions(l)
        x0 = sx[si] + (0.0 if l == 1 else radius)
        segments = np.stack(
            [np.stack([x0, sy[si]], axis=1), np.stack([tx[ti] - radius, ty[ti]], axis=1)],
            axis=1,
        )
        colors = [POSITIVE if v > 0 else NEGATIVE for v in w[ti, si]]
        # The first layer's connections start at their pixels, over the picture.
        lines = LineCollection(
            list(segments), colors=colors, linewidths=0.4 + 2.6 * rel, zorder=2 if l == 1 else 0
        )
        lines.set_alpha(list(0.3 + 0.65 * rel))
        lines.set_label(f"connections {l}")
        ax.add_collection(lines)
        if l == 1:
            ax.scatter(x0, sy[si], s=6, c=colors, zorder=2, linewidths=0)

    # Layers 1..L: columns of circles shaded by activation.
    for l in range(1, net.num_layers):
        cx, cy = positions(l)
        values = acts[l][shown[l]]
        vmin, vmax = _activation_range(net, l, acts[l])
        circles = PatchCollection(
            [Circle((float(px), float(py)), radius) for px, py in zip(cx, cy, strict=True)],
            cmap="gray",
            norm=Normalize(vmin, vmax),
            edgecolors="#9aa0a8",
            linewidths=0.8,
            zorder=3,
        )
        circles.set_array(values)
        circles.set_label(f"layer {l}")
        ax.add_collection(circles)
        n = net.sizes[l]
        name = "output" if l == last else f"hidden {l}"
        unit = "digits" if l == last and n == 10 else "neurons"
        ax.text(
            cx[0],
            height / 2 + 1.3,
            f"{name}\n{n:,} {unit}",
            ha="center",
            va="bottom",
            color="white",
            fontsize=9,
        )
        if len(shown[l]) < n:
            ax.text(
                cx[0],
                cy[-1] - 0.7,
                f"+{n - len(shown[l]):,} more\n(the {len(shown[l])} most active shown)",
                ha="center",
                va="top",
                color="#c0c4ca",
                fontsize=7,
            )

    # Output labels and the answer.
    ox, oy = positions(last)
    for k, j in enumerate(shown[last]):
        is_answer = int(j) == answer
        color = HIGHLIGHT if is_answer else "white"
        weight = "bold" if is_answer else "normal"
        ax.text(
            ox[k] + 0.8,
            oy[k],
            f"{j}",
            ha="left",
            va="center",
            color=color,
            fontsize=11,
            fontweight=weight,
        )
        ax.text(
            ox[k] + 1.7,
            oy[k],
            f"{acts[last][j]:.2f}",
            ha="left",
            va="center",
            color=color,
            fontsize=8,
        )
        if is_answer:
            ax.add_patch(
                FancyBboxPatch(
                    (ox[k] - radius - 0.2, oy[k] - 0.48),
                    2 * radius + 3.6,
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

    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    confidence = acts[last][answer]
    title = f"The network's answer: {answer}  (output {confidence:.2f})"
    if label is not None:
        title += f"   \u2014   true digit: {label}"
    middle = (x_range[0] + x_range[1]) / 2
    ax.text(middle, y_range[1] - 0.5, title, ha="center", va="top", color="white", fontsize=12)
    ax.text(
        middle,
        y_range[1] - 1.4,
        f"neurons: black = 0, white = 1; the {top_connections} "
        "strongest connections into each layer: blue positive, red negative weight",
        ha="center",
        va="top",
        color="#c0c4ca",
        fontsize=8,
    )
    return fig


# --------------------------------------------------------------------------- training curves
def _history_of(source: Network | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(source, Network):
        return list(source.metadata.get("history") or [])
    return list(source)


def curves(history: Network | Sequence[Mapping[str, Any]]) -> Figure:
    """Loss and accuracy per epoch, training and validation, side by side.

    ``history`` is a network (its ``metadata["history"]``) or that list of dicts. The best
    validation epoch is marked. Raises :class:`DigitnetError` if there is no history.
    """
    rows = _history_of(history)
    if not rows:
        raise DigitnetError("this model has no training history, so there are no curves to draw")
    epochs = np.array([int(h["epoch"]) for h in rows])

    def series(key: str) -> FloatArray | None:
        values = [h.get(key) for h in rows]
        if all(v is None for v in values):
            return None
        return np.array([np.nan if v is None else float(v) for v in values])

    marker = "o" if len(rows) <= 40 else None
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, keys, title in (
        (ax_loss, ("loss", "validation_loss"), "Loss (the cost)"),
        (ax_acc, ("train_accuracy", "validation_accuracy"), "Accuracy"),
    ):
        for key, name, color in zip(
            keys, ("training", "validation"), (POSITIVE, "#e07b24"), strict=True
        ):
            values = series(key)
            if values is not None:
                ax.plot(epochs, values, marker=marker, markersize=3.5, color=color, label=name)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax_acc.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax_loss.set_ylabel("mean cost per image")
    validation = series("validation_accuracy")
    if validation is not None and np.any(np.isfinite(validation)):
        best = int(np.nanargmax(validation))
        for ax in (ax_loss, ax_acc):
            ax.axvline(epochs[best], color="#888888", linestyle=":", linewidth=1)
        ax_acc.plot(
            [epochs[best]],
            [validation[best]],
            marker="*",
            markersize=11,
            linestyle="none",
            color="#e07b24",
            markeredgecolor="black",
            markeredgewidth=0.6,
            label=f"best validation {validation[best]:.2%} (epoch {epochs[best]})",
        )
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle(f"Training over {len(rows)} epoch{'s' if len(rows) != 1 else ''}")
    return fig


# --------------------------------------------------------------------------- confusion
def evaluate(
    net: Network, images: ArrayLike | None = None, labels: ArrayLike | None = None
) -> dict[str, Any]:
    """Accuracy, accuracy per digit and confusion matrix (rows: truth) on the test set or the
    given images; the same numbers as ``digitnet evaluate``."""
    from digitnet.metrics import evaluation

    x, y = _images_and_labels(images, labels)
    return evaluation(net, x, y)


def confusion(
    source: Network | ArrayLike,
    images: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> Figure:
    """The confusion matrix: how often each true digit (row) got each answer (column).

    ``source`` is a network (evaluated on ``images``/``labels``, by default the MNIST test set)
    or a square matrix of counts. Cells show counts; correct answers are shaded blue by the
    digit's accuracy, mistakes red by their share of the digit's examples.
    """
    if isinstance(source, Network):
        matrix = np.asarray(evaluate(source, images, labels)["confusion"], dtype=np.int64)
    else:
        matrix = np.asarray(source, dtype=np.int64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"a confusion matrix must be square, got shape {matrix.shape}")
    n = matrix.shape[0]
    totals = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    share = matrix / totals
    diagonal = np.eye(n, dtype=bool)
    off = np.where(diagonal, np.nan, share)
    on = np.where(diagonal, share, np.nan)

    fig = Figure(figsize=(7.2, 6.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_label("confusion matrix")
    worst = float(np.nanmax(off)) if n > 1 and np.any(np.nan_to_num(off) > 0) else 1.0
    ax.imshow(off, cmap="Reds", vmin=0, vmax=worst, interpolation="nearest")
    ax.imshow(on, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    small = n > 12
    for (r, c), count in np.ndenumerate(matrix):
        if count == 0 and r != c:
            continue
        dark = (share[r, c] > 0.6) if r == c else (share[r, c] > 0.6 * worst)
        ax.text(
            c,
            r,
            f"{count}",
            ha="center",
            va="center",
            fontsize=6 if small else 8,
            color="white" if dark else "#222222",
        )
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("the network's answer")
    ax.set_ylabel("true digit")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    per_digit = matrix.diagonal() / totals[:, 0]
    for r in range(n):
        ax.text(
            n - 0.3, r, f"{per_digit[r]:.1%}", ha="left", va="center", fontsize=8, color="#333333"
        )
    ax.text(n - 0.3, -0.9, "correct", ha="left", va="center", fontsize=8, color="#333333")
    total = int(matrix.sum())
    accuracy = matrix.trace() / max(total, 1)
    ax.set_title(
        f"Confusion matrix on {total:,} digits: {accuracy:.2%} correct\n"
        "blue: right answers, red: mistakes (shade = share of that digit's examples)",
        fontsize=10,
        pad=28,
    )
    ax.set_xlim(-0.5, n + 0.9)
    return fig


# --------------------------------------------------------------------------- mistakes
def find_mistakes(
    net: Network, images: ArrayLike, labels: ArrayLike
) -> tuple[IndexArray, NDArray[np.int64], FloatArray]:
    """The misread examples, most confident first: (indices, answers, confidences).

    The confidence is the answer's output activation (a probability for a softmax output).
    """
    y = np.asarray(labels).astype(np.int64)
    proba = _probabilities(net, images)
    answers = np.argmax(proba, axis=1)
    wrong = np.flatnonzero(answers != y)
    conf = proba[wrong, answers[wrong]]
    order = np.argsort(-conf, kind="stable")
    return wrong[order].astype(np.intp), answers[wrong[order]], conf[order]


def mistakes(
    net: Network,
    images: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    n: int = 36,
) -> Figure:
    """A gallery of the ``n`` misread digits the network was most sure about.

    Each panel (an Axes labelled ``"mistake i"``, ``i`` the example's index) shows the digit,
    "true -> answer" and the answer's output activation. By default the MNIST test set.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    x, y = _images_and_labels(images, labels)
    side = _image_side(net.sizes[0])
    index, answers, conf = find_mistakes(net, x, y)
    pick = index[:n]
    count = len(pick)
    cols = min(max(count, 1), 9)
    rows = max(math.ceil(count / cols), 1)
    fig = Figure(figsize=(max(cols * 1.1, 5.0), rows * 1.35 + 0.9), layout="constrained")
    if count == 0:
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, f"No mistakes on these {len(y):,} digits.", ha="center", va="center")
        return fig
    pictures = _as_pictures(x[pick], side)
    grid = fig.add_gridspec(rows, cols)
    for k, i in enumerate(pick):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        ax.imshow(pictures[k], cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{y[i]} \u2192 {answers[k]}", fontsize=10, color=NEGATIVE, pad=2)
        ax.set_xlabel(f"{conf[k]:.0%}   #{i}", fontsize=7, labelpad=2)
        ax.set_label(f"mistake {i}")
        _bare(ax)
    fig.suptitle(
        f"{len(index):,} of {len(y):,} digits misread ({len(index) / max(len(y), 1):.2%}); "
        f"the {count} the network was surest about\n"
        "true digit \u2192 answer; below: the answer's output and the example's index",
        fontsize=10,
    )
    return fig


# --------------------------------------------------------------------------- features
def _project(x: FloatArray, norm: float, clip: bool) -> FloatArray:
    """Keep inputs feasible: pixels in 0..1 (if ``clip``) and L2 norm at most ``norm``."""
    if clip:
        np.clip(x, 0.0, 1.0, out=x)
    lengths = np.linalg.norm(x, axis=1, keepdims=True)
    return x * np.minimum(1.0, norm / np.maximum(lengths, 1e-12))


def _is_softmax(net: Network, layer: int) -> bool:
    return net.activation_of(layer).name == "softmax"


def _scores(net: Network, layer: int, z: FloatArray) -> FloatArray:
    """What ranks a layer's neurons' excitement: the weighted sum z (every hidden activation
    grows with z, and z does not saturate like a sigmoid), or log-probability for softmax."""
    if _is_softmax(net, layer):
        top = z.max(axis=-1, keepdims=True)
        return z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
    return z


def _neuron_indices(net: Network, layer: int, neurons: ArrayLike | None) -> IndexArray:
    _check_layer(net, layer)
    if neurons is None:
        return np.arange(net.sizes[layer], dtype=np.intp)
    idx = np.atleast_1d(np.asarray(neurons, dtype=np.intp))
    if idx.size and (idx.min() < 0 or idx.max() >= net.sizes[layer]):
        raise DigitnetError(
            f"layer {layer} has neurons 0 to {net.sizes[layer] - 1}; got {idx.tolist()}"
        )
    return idx


def input_gradients(
    net: Network, x: ArrayLike, layer: int, neurons: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Each row's score for its own neuron, and that score's gradient with respect to the row.

    ``x`` is ``(n, 784)`` and ``neurons`` ``(n,)``: row ``i`` asks about neuron ``neurons[i]``
    of ``layer``. The score is the neuron's weighted sum z (for a softmax layer the
    log-probability); the gradient comes from backpropagating a one-hot gradient down to the
    input, through each activation's vector-Jacobian product, in float64. Returns
    ``(scores (n,), gradients (n, 784))``.
    """
    _check_layer(net, layer)
    return _Ascent(net, layer)(np.asarray(x, dtype=np.float64), np.asarray(neurons, np.intp))


class _Ascent:
    """The layers up to ``layer`` in float64, for many gradient evaluations."""

    def __init__(self, net: Network, layer: int) -> None:
        self.net = net
        self.layer = layer
        self.weights = [w.astype(np.float64) for w in net.weights[:layer]]
        self.biases = [b.astype(np.float64) for b in net.biases[:layer]]
        self.functions = [net.activation_of(l) for l in range(1, layer + 1)]
        self.softmax = _is_softmax(net, layer)

    def __call__(self, x: FloatArray, idx: IndexArray) -> tuple[FloatArray, FloatArray]:
        rows = np.arange(len(idx))
        zs: list[FloatArray] = []
        acts: list[FloatArray] = [x]
        for w, b, f in zip(self.weights, self.biases, self.functions, strict=True):
            zs.append(acts[-1] @ w.T + b)
            acts.append(f(zs[-1]))
        scores = _scores(self.net, self.layer, zs[-1])[rows, idx]
        grad_z = np.zeros_like(zs[-1])
        grad_z[rows, idx] = 1.0
        if self.softmax:  # d log(a_j) / dz = onehot_j - a
            grad_z -= acts[-1]
        grad = grad_z @ self.weights[-1]
        for l in range(self.layer - 1, 0, -1):
            grad = self.functions[l - 1].backward(zs[l - 1], acts[l], grad) @ self.weights[l - 1]
        return scores, grad


def maximise_activations(
    net: Network,
    layer: int,
    neurons: ArrayLike | None = None,
    *,
    steps: int = 200,
    step_size: float = 0.2,
    norm: float = DEFAULT_NORM,
    clip: bool = True,
    restarts: int = 8,
    seed: int = 0,
) -> FloatArray:
    """The inputs that excite each of ``neurons`` of ``layer`` most: ``(n, 28, 28)``.

    Projected gradient ascent on the input, for all neurons (and all restarts) at once, one
    batch row each: start from random pixels, and at every step move each input
    ``step_size * norm`` along its normalised gradient (:func:`input_gradients`), then put it
    back into the allowed set: pixels in 0..1 (unless ``clip`` is false) and L2 norm at most
    ``norm`` (about the ink of an average digit). The step shrinks linearly to zero. Deeper
    layers have local maxima, so each neuron climbs from ``restarts`` random starts and keeps
    the best input seen.

    What climbs is the neuron's weighted sum z, which every hidden activation function
    increases with (a sigmoid's output stalls at 1.0 where z keeps growing); for a softmax
    layer it is the log-probability. Each start depends only on ``seed``, the neuron and the
    restart, so asking for one neuron or for the whole layer gives the same picture.
    """
    from threadpoolctl import threadpool_limits

    idx = _neuron_indices(net, layer, neurons)
    side = _image_side(net.sizes[0])
    if steps < 0 or restarts < 1 or not step_size > 0 or not norm > 0:
        raise ValueError("steps must be >= 0, restarts >= 1, step_size and norm positive")
    n_in = net.sizes[0]
    rows = np.repeat(idx, restarts)  # neuron of each batch row
    start = [
        np.random.default_rng((seed, int(j), r)).uniform(0.0, 1.0, n_in)
        for j in idx
        for r in range(restarts)
    ]
    x = _project(np.array(start).reshape(len(rows), n_in), norm, clip)
    ascent = _Ascent(net, layer)
    best = x.copy()
    best_value = np.full(len(rows), -np.inf)
    # Small matrices: one BLAS thread is much faster than several fighting over them.
    threads = 1 if len(rows) * max(net.sizes[: layer + 1]) < 400_000 else None
    with threadpool_limits(limits=threads, user_api="blas"):
        for step in range(steps + 1):
            value, grad = ascent(x, rows)
            better = value > best_value
            best[better] = x[better]
            best_value = np.where(better, value, best_value)
            if step == steps:
                break
            length = np.linalg.norm(grad, axis=1, keepdims=True)
            rate = step_size * norm * (1.0 - step / steps)
            x = _project(x + rate * grad / np.maximum(length, 1e-30), norm, clip)
    winner = np.argmax(best_value.reshape(len(idx), restarts), axis=1)
    chosen = best.reshape(len(idx), restarts, n_in)[np.arange(len(idx)), winner]
    return chosen.reshape(len(idx), side, side)


def maximise_activation(
    net: Network,
    layer: int,
    neuron: int,
    steps: int = 200,
    step_size: float = 0.2,
    norm: float = DEFAULT_NORM,
    *,
    clip: bool = True,
    restarts: int = 8,
    seed: int = 0,
) -> FloatArray:
    """The input (28x28) that excites one neuron most; see :func:`maximise_activations`."""
    return maximise_activations(
        net,
        layer,
        [neuron],
        steps=steps,
        step_size=step_size,
        norm=norm,
        clip=clip,
        restarts=restarts,
        seed=seed,
    )[0]


def layer_values(net: Network, images: ArrayLike, layer: int) -> tuple[FloatArray, FloatArray]:
    """(scores, activations) of ``layer`` for every image, each ``(n, neurons)``.

    The score ranks how excited a neuron is: its weighted sum z, or for a softmax layer the
    log-probability (see :func:`maximise_activations`)."""
    _check_layer(net, layer)
    x = net.as_input(images)
    scores: list[FloatArray] = []
    acts: list[FloatArray] = []
    for i in range(0, len(x), 10_000):
        fp = net.feedforward(x[i : i + 10_000])
        scores.append(_scores(net, layer, fp.weighted_sums[layer - 1].astype(np.float64)))
        acts.append(fp.activations[layer])
    if not scores:
        empty = np.zeros((0, net.sizes[layer]))
        return empty, empty
    return np.concatenate(scores), np.concatenate(acts)


def _top_indices(values: FloatArray, k: int) -> IndexArray:
    """For each column, the rows of its ``k`` largest values, largest first: ``(k, columns)``."""
    k = min(k, len(values))
    order = np.argsort(-values, axis=0, kind="stable")
    return order[:k].astype(np.intp)


def top_activating(
    net: Network, images: ArrayLike, layer: int, neuron: int, k: int = 5
) -> IndexArray:
    """Indices of the ``k`` images that excite ``neuron`` of ``layer`` most, most first.

    Ranked by the weighted sum z (or log-probability for softmax), so that images which all
    drive a sigmoid neuron to 1.00 are still told apart."""
    scores, _ = layer_values(net, images, layer)
    if not 0 <= neuron < scores.shape[1]:
        raise DigitnetError(f"layer {layer} has neurons 0 to {scores.shape[1] - 1}, not {neuron}")
    return _top_indices(scores[:, [neuron]], k)[:, 0]


def traced_weights(net: Network, layer: int) -> FloatArray:
    """Each neuron's weights traced back to the pixels, ignoring the activation functions:
    ``W_layer @ ... @ W_1``, shape ``(neurons, 784)``. For layer 1 these are its weights."""
    _check_layer(net, layer)
    product = net.weights[layer - 1].astype(np.float64)
    for l in range(layer - 1, 0, -1):
        product = product @ net.weights[l - 1].astype(np.float64)
    return product


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
    ``"top j"``). Layers wider than ``max_neurons`` show the most significant neurons.
    """
    _check_layer(net, layer)
    side = _image_side(net.sizes[0])
    if neurons is None:
        idx = significant_neurons(net, layer, max_neurons)
    else:
        idx = _neuron_indices(net, layer, neurons)
    if images is None:
        images, _ = mnist_test_set()
    data = np.asarray(images)
    best_inputs = maximise_activations(net, layer, idx, steps=steps, norm=norm)
    best_scores, best_acts = layer_values(net, best_inputs, layer)
    rows_ = np.arange(len(idx))
    best_scores, best_acts = best_scores[rows_, idx], best_acts[rows_, idx]
    scores, acts = layer_values(net, data, layer)
    scores, acts = scores[:, idx], acts[:, idx]
    top = _top_indices(scores, k)
    softmax = _is_softmax(net, layer)

    def caption(score: float, activation: float) -> str:
        return f"p={activation:.4f}" if softmax else f"a={activation:.2f} z={score:.1f}"

    pictures = traced_weights(net, layer)[idx]

    n = len(idx)
    blocks = 2 if n > 8 else 1
    rows = math.ceil(n / blocks)
    k_shown = top.shape[0]
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
    weight_name = "weights" if layer == 1 else "traced weights"
    for pos, j in enumerate(idx):
        row, block = pos % rows, pos // rows
        c0 = block * (per_block + 1)
        ax = fig.add_subplot(grid[row, c0])
        ax.imshow(best_inputs[pos], cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(f"{j}", rotation=0, ha="right", va="center", fontsize=10, labelpad=4)
        ax.set_xlabel(caption(best_scores[pos], best_acts[pos]), fontsize=6, labelpad=1)
        ax.set_label(f"maximised {j}")
        ax = fig.add_subplot(grid[row, c0 + 1])
        picture = pictures[pos].reshape(side, side)
        lim = float(np.abs(picture).max()) or 1.0
        ax.imshow(picture, cmap=WEIGHT_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_label(f"weights {j}")
        for t in range(k_shown):
            ax = fig.add_subplot(grid[row, c0 + 2 + t])
            ax.imshow(
                _as_pictures(data[top[t, pos]], side)[0],
                cmap=DIGIT_CMAP,
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            i = top[t, pos]
            ax.set_xlabel(caption(scores[i, pos], acts[i, pos]), fontsize=6, labelpad=1)
            ax.set_label(f"top {j}")
        for a in fig.axes[-(2 + k_shown) :]:
            _bare(a)
        if row == 0:
            heads = ["most\nexciting input", weight_name.replace(" ", "\n")] + (
                ["most exciting test digits \u2192"] + [""] * (k_shown - 1)
            )
            for t, head in enumerate(heads):
                fig.axes[-(2 + k_shown) + t].set_title(
                    head, fontsize=8, loc="left" if t == 2 else "center"
                )
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


# --------------------------------------------------------------------------- saving
def save_figure(fig: Figure, path: str | Path, *, dpi: int = DEFAULT_DPI) -> Path:
    """Write ``fig`` as PNG or SVG (chosen by the extension) atomically; return the path.

    The image goes to a temporary file beside ``path`` and is renamed over it, so the file
    is either complete or untouched. Raises :class:`DigitnetError` for another extension or
    a missing folder.
    """
    path = check_output(path, FORMATS, "picture")
    with atomic_write(path) as tmp, open(tmp, "wb") as out:
        _render(fig, out, path.suffix.lower()[1:], dpi)
    return path


def _render(fig: Figure, out: Any, fmt: str, dpi: int) -> None:
    from matplotlib import rc_context

    # No dates or random ids in the files, so the same figure gives the same bytes.
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    with rc_context({"svg.hashsalt": "digitnet", "svg.fonttype": "path"}):
        fig.savefig(
            out,
            format=fmt,
            dpi=dpi,
            metadata=metadata,
            facecolor=fig.get_facecolor(),
            bbox_inches="tight",
            pad_inches=0.1,
        )


def figure_png(fig: Figure, *, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    _render(fig, buffer, "png", dpi)
    return buffer.getvalue()


def png_data_url(fig: Figure, *, dpi: int = DEFAULT_DPI) -> str:
    """The figure as a ``data:image/png;base64,...`` URL, for self-contained HTML."""
    return "data:image/png;base64," + base64.b64encode(figure_png(fig, dpi=dpi)).decode("ascii")


# --------------------------------------------------------------------------- notebooks
def summary_rows(net: Network) -> list[dict[str, Any]]:
    """One dict per layer: name, neurons, activation, weights and biases into it."""
    rows: list[dict[str, Any]] = [
        {
            "layer": "input",
            "neurons": net.sizes[0],
            "activation": "pixels",
            "weights": 0,
            "biases": 0,
        }
    ]
    for l, (w, b) in enumerate(net.parameter_counts(), start=1):
        name = "output" if l == net.num_layers - 1 else f"hidden {l}"
        rows.append(
            {
                "layer": name,
                "neurons": net.sizes[l],
                "activation": net.activation_of(l).name,
                "weights": w,
                "biases": b,
            }
        )
    return rows


def summary_table_html(net: Network) -> str:
    """The layer table of :func:`summary_rows` as an HTML table."""
    head = "".join(f"<th>{h}</th>" for h in ("layer", "neurons", "activation", "weights", "biases"))
    body = "".join(
        f"<tr><td>{html.escape(r['layer'])}</td><td>{r['neurons']:,}</td>"
        f"<td>{html.escape(r['activation'])}</td><td>{r['weights']:,}</td>"
        f"<td>{r['biases']:,}</td></tr>"
        for r in summary_rows(net)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def facts(net: Network) -> list[str]:
    """Short sentences about a model: parameters, test accuracy, training."""
    meta = net.metadata
    out = [f"{net.num_parameters:,} parameters"]
    if meta.get("test_accuracy") is not None:
        out.append(f"test accuracy {float(meta['test_accuracy']):.2%}")
    history = meta.get("history") or []
    training = meta.get("training") or {}
    if history:
        recipe = ", ".join(
            f"{key.replace('_', ' ')} {training[key]}"
            for key in ("cost", "optimizer", "learning_rate", "batch_size", "schedule")
            if key in training
        )
        out.append(f"trained {len(history)} epochs" + (f" ({recipe})" if recipe else ""))
    else:
        out.append("no training history")
    return out


def network_html(net: Network, *, max_neurons: int = 36) -> str:
    """A compact HTML summary for Jupyter: the layer table, key facts and the weight grid."""
    layers = "-".join(str(s) for s in net.sizes)
    parts = [
        '<div class="digitnet-network" style="font-family: sans-serif">',
        f"<strong>Network {layers}</strong> ({html.escape(net.hidden_activation)} hidden, "
        f"{html.escape(net.output_activation)} output)",
        summary_table_html(net),
        f"<p>{html.escape('; '.join(facts(net)))}</p>",
    ]
    try:
        url = png_data_url(weight_grid(net, max_neurons=max_neurons), dpi=60)
    except DigitnetError:  # an input layer that is not a square picture
        url = ""
    if url:
        parts.append(
            f'<img src="{url}" alt="weights of the first layer as pictures" '
            'style="max-width: 480px">'
        )
    parts.append("</div>")
    return "\n".join(parts)
