"""Robustness curves: test accuracy against each distortion, networks side by side.

The numbers come from :func:`digitnet.robustness.robustness_curves`; one panel per
distortion (rotation, shift, scale, stroke thickness, noise), one line per network.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from digitnet.robustness import Curve


def robustness(curves: dict[str, list[Curve]]) -> Figure:
    """``curves``: each network's name and its curves (the same distortions for all)."""
    if not curves:
        raise ValueError("no networks to draw")
    first = next(iter(curves.values()))
    fig = Figure(figsize=(3.0 * len(first) + 0.5, 3.3), layout="constrained")
    axes = fig.subplots(1, len(first), squeeze=False)[0]
    for i, ax in enumerate(axes):
        for name, network_curves in curves.items():
            curve = network_curves[i]
            ax.plot(curve.amounts, curve.accuracies, marker="o", markersize=3, label=name)
        curve = first[i]
        ax.set_title(curve.distortion, fontsize=10)
        ax.set_xlabel(curve.unit, fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("test accuracy")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Accuracy on MNIST's test digits as they are distorted more and more", fontsize=10)
    return fig
