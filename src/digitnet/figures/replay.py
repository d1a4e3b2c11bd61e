"""Replaying the learning in one picture: the first layer's weights and the answer for one digit
as they were at several epochs, over the accuracy curve (snapshots from :mod:`digitnet.replay`)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from digitnet.figures.style import WEIGHT_CMAP, bare
from digitnet.network import Network
from digitnet.replay import Snapshot, answers_through_training

MOSAIC = 4  # a 4x4 mosaic of the first 16 neurons of the first layer


def weight_mosaic(weights: np.ndarray, side: int = 28) -> np.ndarray:
    """The first MOSAIC**2 neurons' incoming weights as one picture, each scaled to its own
    largest weight (-1..1), with a 1-pixel gap (NaN, drawn blank) between them."""
    n = min(len(weights), MOSAIC * MOSAIC)
    cell = side + 1
    out = np.full((MOSAIC * cell - 1, MOSAIC * cell - 1), np.nan)
    for k in range(n):
        w = weights[k].reshape(side, side)
        r, c = divmod(k, MOSAIC)
        out[r * cell : r * cell + side, c * cell : c * cell + side] = w / max(
            float(np.abs(w).max()), 1e-12
        )
    return out


def chosen(snapshots: list[Snapshot], columns: int) -> list[Snapshot]:
    """At most ``columns`` snapshots, evenly spread, the first and the last included."""
    if len(snapshots) <= columns:
        return snapshots
    picks = np.unique(np.round(np.linspace(0, len(snapshots) - 1, columns)).astype(int))
    return [snapshots[i] for i in picks]


def replay(
    net: Network,
    snapshots: list[Snapshot],
    image: ArrayLike,
    *,
    label: int | None = None,
    columns: int = 8,
) -> Figure:
    """Columns of epochs: the first layer's weights and the answer for ``image`` (784 pixels,
    0..1), above the accuracy per epoch from the model's history."""
    if not snapshots:
        raise ValueError("no snapshots to draw")
    if net.sizes[0] != 784:
        raise ValueError("the weight pictures need a first layer of 784 inputs")
    shown = chosen(snapshots, columns)
    x = np.asarray(image, dtype=np.float32).reshape(-1)
    answers = answers_through_training(net, shown, x)
    fig = Figure(figsize=(1.7 * len(shown) + 0.6, 4.6), layout="constrained")
    grid = fig.add_gridspec(2, len(shown), height_ratios=[1.25, 1])
    for k, (snap, (epoch, digit, share)) in enumerate(zip(shown, answers, strict=True)):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(weight_mosaic(snap.weights[0]), cmap=WEIGHT_CMAP, vmin=-1, vmax=1)
        ax.set_title(f"epoch {epoch}\nreads {digit} ({share:.0%})", fontsize=9)
        bare(ax)
    curve = fig.add_subplot(grid[1, :])
    history = net.metadata.get("history") or []
    epochs = [int(e.get("epoch", i + 1)) for i, e in enumerate(history)]
    for key, name in (("train_accuracy", "training"), ("validation_accuracy", "validation")):
        values = [e.get(key) for e in history]
        if any(v is not None for v in values):
            curve.plot(epochs, [np.nan if v is None else v for v in values], label=name)
    for snap in shown:
        curve.axvline(snap.epoch, color="#999", lw=0.8, ls=":")
    curve.set_xlabel("epoch")
    curve.set_ylabel("accuracy")
    curve.grid(alpha=0.3)
    if curve.get_legend_handles_labels()[0]:
        curve.legend(fontsize=8, loc="lower right")
    what = f"a test {label}" if label is not None else "the digit"
    fig.suptitle(
        f"Watching it learn: 16 first-layer neurons' weights and the answer for {what}",
        fontsize=10,
    )
    return fig
