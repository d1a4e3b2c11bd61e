"""A fooled digit: the original, the change and the fooled digit, with what the network reads.

The numbers come from :func:`digitnet.fooling.fool`; this module only draws them. The change
is drawn blue where a pixel got brighter and red where it got darker, full colour at the
largest change of the figure; a person still reads the original digit in the fooled one.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from digitnet.figures.style import DIGIT_CMAP, WEIGHT_CMAP, bare
from digitnet.fooling import BUDGET, Fooled
from digitnet.network import Network


def fooled_digits(net: Network, fooled: Fooled, *, budget: float = BUDGET) -> Figure:
    """One column per digit of ``fooled``: the original with the network's answer, the
    change with its size, and the fooled digit with the new answer and its share."""
    n = len(fooled.original)
    scale = max(float(fooled.linf.max(initial=0.0)), 1.0 / 255.0)  # the change, made visible
    if n == 0:
        raise ValueError("no digits to draw")
    outputs = np.clip(fooled.outputs, 0.0, None)
    shares = outputs / np.maximum(outputs.sum(axis=1, keepdims=True), 1e-12)
    fig = Figure(figsize=(1.6 * n + 0.9, 5.4), layout="constrained")
    axes = fig.subplots(3, n, squeeze=False)
    for i in range(n):
        top, middle, bottom = axes[0][i], axes[1][i], axes[2][i]
        top.imshow(fooled.original[i].reshape(28, 28), cmap=DIGIT_CMAP, vmin=0, vmax=1)
        top.set_title(f"reads {fooled.before[i]}", fontsize=10)
        middle.imshow(fooled.change[i].reshape(28, 28), cmap=WEIGHT_CMAP, vmin=-scale, vmax=scale)
        middle.set_title(
            f"L∞ {fooled.linf[i]:.3f}\nL2 {fooled.l2[i]:.2f}", fontsize=9, linespacing=1.1
        )
        bottom.imshow(fooled.fooled[i].reshape(28, 28), cmap=DIGIT_CMAP, vmin=0, vmax=1)
        answer = int(fooled.after[i])
        word = "reads" if fooled.success[i] else "still reads"
        bottom.set_title(f"{word} {answer} ({shares[i, answer]:.0%})", fontsize=10)
        for ax in (top, middle, bottom):
            bare(ax)
    axes[0][0].set_ylabel("original", fontsize=10)
    axes[1][0].set_ylabel("change", fontsize=10)
    axes[2][0].set_ylabel("fooled", fontsize=10)
    fig.suptitle(
        "The smallest changes that make the network read another digit "
        f"(budget {budget}; change: blue brighter, red darker, full colour at ±{scale:.3f})",
        fontsize=10,
    )
    return fig
