"""How well a network reads the test set: the confusion matrix and a gallery of mistakes."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from digitnet.figures.style import DIGIT_CMAP, NEGATIVE, as_pictures, bare
from digitnet.inspection import evaluate, find_mistakes, image_side, images_and_labels
from digitnet.network import Network
from digitnet.slant import inputs_for, wants_deslant


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


def mistakes(
    net: Network,
    images: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    n: int = 36,
) -> Figure:
    """A gallery of the ``n`` misread digits the network was most sure about.

    Each panel (an Axes labelled ``"mistake i"``, ``i`` the example's index) shows the digit
    as the network read it (stood upright if it learnt deslanted digits), "true -> answer" and
    the answer's output activation. By default the MNIST test set.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    x, y = images_and_labels(images, labels)
    side = image_side(net.sizes[0])
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
    pictures = as_pictures(inputs_for(net.metadata, x[pick]), side)
    grid = fig.add_gridspec(rows, cols)
    for k, i in enumerate(pick):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        ax.imshow(pictures[k], cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{y[i]} \u2192 {answers[k]}", fontsize=10, color=NEGATIVE, pad=2)
        ax.set_xlabel(f"{conf[k]:.0%}   #{i}", fontsize=7, labelpad=2)
        ax.set_label(f"mistake {i}")
        bare(ax)
    fig.suptitle(
        f"{len(index):,} of {len(y):,} digits misread ({len(index) / max(len(y), 1):.2%}); "
        f"the {count} the network was surest about\n"
        "true digit \u2192 answer; below: the answer's output and the example's index"
        + ("; shown upright, as the network reads them" if wants_deslant(net.metadata) else ""),
        fontsize=10,
    )
    return fig
