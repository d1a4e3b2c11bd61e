"""Replaying the learning as an animated GIF: one frame per snapshot (:mod:`digitnet.replay`),
each showing the first layer's weights, the answer for one digit and the accuracy curve up to
that epoch. ``digitnet show replay MODEL -o replay.gif`` writes it (a PNG or SVG name gives the
one-picture strip of :func:`digitnet.figures.replay.replay` instead).

Every frame has the same size (no tight bounding box), so the GIF does not jump; Pillow, which
matplotlib needs anyway, writes it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from digitnet.figures.replay import weight_mosaic
from digitnet.figures.style import WEIGHT_CMAP, bare
from digitnet.files import atomic_write, check_output
from digitnet.network import Network
from digitnet.replay import Snapshot

FRAME_SIZE = (7.2, 4.2)  # inches
FRAME_DPI = 80
FRAME_MS = 500  #: how long each epoch shows
LAST_FRAME_MS = 2000  #: the trained network shows longer before the loop starts again


def replay_frames(
    net: Network, snapshots: list[Snapshot], image: ArrayLike, *, label: int | None = None
) -> list[Figure]:
    """One figure per snapshot: the weights of 16 first-layer neurons then, the network's
    answer for ``image`` (784 pixels, 0..1) then, and the accuracy curve up to then."""
    if not snapshots:
        raise ValueError("no snapshots to draw")
    if net.sizes[0] != 784:
        raise ValueError("the weight pictures need a first layer of 784 inputs")
    x = np.asarray(image, dtype=np.float32).reshape(1, -1)
    history = net.metadata.get("history") or []
    epochs = [int(e.get("epoch", i + 1)) for i, e in enumerate(history)]
    last = max([s.epoch for s in snapshots] + epochs + [1])
    what = f"a test {label}" if label is not None else "the digit"
    frames = []
    for snap in snapshots:
        outputs = np.clip(snap.network(net).predict_proba(x)[0], 0.0, None)
        shares = outputs / max(float(outputs.sum()), 1e-12)
        digit = int(np.argmax(shares))
        fig = Figure(figsize=FRAME_SIZE, dpi=FRAME_DPI)
        grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3], height_ratios=[1.5, 1])
        fig.subplots_adjust(left=0.04, right=0.97, top=0.86, bottom=0.12, wspace=0.25, hspace=0.6)
        weights = fig.add_subplot(grid[:, 0])
        weights.imshow(weight_mosaic(snap.weights[0]), cmap=WEIGHT_CMAP, vmin=-1, vmax=1)
        weights.set_title("16 first-layer neurons' weights", fontsize=9)
        bare(weights)
        bars = fig.add_subplot(grid[0, 1])
        colours = ["#d4a017" if d == digit else "#8899aa" for d in range(10)]
        bars.bar(range(10), shares, color=colours)
        bars.set_xticks(range(10))
        bars.set_ylim(0, 1)
        bars.set_yticks([0, 0.5, 1], ["0", "50%", "100%"], fontsize=8)
        bars.tick_params(axis="x", labelsize=8)
        bars.set_title(f"it reads {digit} ({shares[digit]:.0%})", fontsize=9)
        curve = fig.add_subplot(grid[1, 1])
        for key, name in (("train_accuracy", "training"), ("validation_accuracy", "validation")):
            points = [
                (e, h.get(key))
                for e, h in zip(epochs, history, strict=True)
                if e <= snap.epoch and h.get(key) is not None
            ]
            if points:
                curve.plot(*zip(*points, strict=True), marker=".", label=name)
        curve.set_xlim(0, last)
        curve.set_ylim(0, 1)
        curve.axvline(snap.epoch, color="#999", lw=0.8, ls=":")
        curve.set_xlabel("epoch", fontsize=8)
        curve.set_ylabel("accuracy", fontsize=8)
        curve.tick_params(labelsize=8)
        if curve.get_legend_handles_labels()[0]:
            curve.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"Watching it learn {what}: epoch {snap.epoch}", fontsize=11)
        frames.append(fig)
    return frames


def save_animation(frames: list[Figure], path: str | Path, *, frame_ms: int = FRAME_MS) -> Path:
    """Write ``frames`` as a looping animated GIF (atomically); return the path."""
    from PIL import Image

    if not frames:
        raise ValueError("no frames to write")
    path = check_output(path, (".gif",), "animation")
    pictures = []
    for fig in frames:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=FRAME_DPI, metadata={"Software": None})
        buffer.seek(0)
        pictures.append(Image.open(buffer).convert("RGB"))
    durations = [frame_ms] * (len(pictures) - 1) + [max(frame_ms, LAST_FRAME_MS)]
    with atomic_write(path) as tmp, open(tmp, "wb") as out:
        pictures[0].save(
            out,
            format="GIF",
            save_all=True,
            append_images=pictures[1:],
            duration=durations,
            loop=0,
            disposal=1,
        )
    return path
