"""The figures' look: the video's colours, and small helpers every picture shares.

In weight pictures and connections blue means a positive weight and red a negative one;
digits are white ink on black, as in MNIST and the video.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure, SubFigure
from numpy.typing import ArrayLike

from digitnet.inspection import FloatArray

WEIGHT_CMAP = "RdBu"  # low (negative) red, high (positive) blue, white at zero
POSITIVE = "#2f6eb5"
NEGATIVE = "#c8362f"
HIGHLIGHT = "#f2b632"
BACKGROUND = "#0e1116"  # the diagram's dark background, as in the video
DIGIT_CMAP = "gray"  # digits as in MNIST and the video: white ink on black

Target = Figure | SubFigure


def bare(ax: Any) -> None:
    """Remove an Axes' ticks (for pictures)."""
    ax.set_xticks([])
    ax.set_yticks([])


def as_pictures(images: ArrayLike, side: int) -> FloatArray:
    """Images as float pictures ``(n, side, side)`` in 0..1 (uint8 is divided by 255)."""
    arr = np.asarray(images)
    scaled = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    return scaled.reshape(-1, side, side)
