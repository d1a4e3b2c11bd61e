"""Maps of the layers: the test digits placed by each layer's two principal directions.

The numbers come from :mod:`digitnet.embedding`; here every digit is a dot coloured by its
label, one map per layer, with the layer's nearest-centre accuracy in its title: the share of
digits closer to their own digit's centre than to any other's, which grows from the input to
the output as the network pulls the digits apart.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from digitnet.embedding import LayerMap
from digitnet.figures.style import bare

DIGIT_COLOURS = "tab10"


def layer_name(layer: int, last: int) -> str:
    """``input``, ``hidden layer 1``, ... or ``output``."""
    if layer == 0:
        return "input"
    return "output" if layer == last else f"hidden layer {layer}"


#: How each kind of map is called on the pictures.
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE"}


def embedding(maps: list[LayerMap], labels: ArrayLike, *, last: int, title: str = "") -> Figure:
    """One scatter map per layer in ``maps``, the digits coloured by ``labels``; ``last`` is
    the index of the network's output layer."""
    if not maps:
        raise ValueError("no layers to draw")
    y = np.asarray(labels)
    fig = Figure(figsize=(3.3 * len(maps) + 0.8, 3.9), layout="constrained")
    axes = fig.subplots(1, len(maps), squeeze=False)[0]
    scatter = None
    order = np.random.default_rng(0).permutation(len(y))  # no digit painted over the rest
    for ax, m in zip(axes, maps, strict=True):
        points = m.points[order]
        scatter = ax.scatter(
            points[:, 0],
            points[:, 1],
            c=y[order],
            cmap=DIGIT_COLOURS,
            vmin=-0.5,
            vmax=9.5,
            s=2,
            alpha=0.6,
            linewidths=0,
        )
        ax.set_title(
            f"{layer_name(m.layer, last)} ({m.size} neurons)\n"
            f"separation {m.separation:.1%} (map {m.map_separation:.1%})",
            fontsize=9,
        )
        if m.method == "pca":
            ax.set_xlabel(f"PC1 {m.explained[0]:.0%}", fontsize=8)
            ax.set_ylabel(f"PC2 {m.explained[1]:.0%}", fontsize=8)
        else:
            ax.set_xlabel(f"{METHOD_NAMES.get(m.method, m.method)} 1", fontsize=8)
            ax.set_ylabel(f"{METHOD_NAMES.get(m.method, m.method)} 2", fontsize=8)
        bare(ax)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=list(axes), ticks=range(10), shrink=0.8, pad=0.01)
        bar.set_label("digit")
    method = METHOD_NAMES.get(maps[0].method, maps[0].method)
    fig.suptitle(
        title
        or f"The test digits on each layer's map ({method}); separation: nearest-centre accuracy",
        fontsize=10,
    )
    return fig
