"""Grey-level window filters on float32 ``(h, w)`` images: the max/min filter behind grey
dilation, erosion, closing and opening (:func:`window_filter`), a box blur and a Gaussian blur."""

from __future__ import annotations

import math

import numpy as np

from digitnet.preprocess.images import FloatImage


def window_filter(image: FloatImage, size: int, reduce: str) -> FloatImage:
    """Grey dilation (``reduce="max"``) or erosion (``"min"``) of ``(h, w)`` with a size x size
    square window, without padding: the result is ``(h - size + 1, w - size + 1)``.

    Done separably (down the columns, then along the rows), and along each axis by doubling:
    the extreme over windows of 1, 2, 4, ... pixels, until two overlapping windows of the
    largest such length p cover ``size`` pixels (the extreme over [i, i + size) is the extreme
    of the windows starting at i and at i + size - p).
    """
    pick = np.maximum if reduce == "max" else np.minimum
    out = image
    for _ in range(2):
        span = 1
        while span * 2 <= size:
            out = pick(out[:-span], out[span:])
            span *= 2
        n = out.shape[0]
        out = pick(out[: n - (size - span)], out[size - span :]).T
    return out.astype(np.float32)


def box_blur(image: FloatImage, radius: int) -> FloatImage:
    """Mean over a (2 radius + 1)^2 window, separably, for a ``(h, w)`` image (edges repeated)."""
    if radius < 1:
        return image
    size = 2 * radius + 1
    out = image
    for _ in range(2):  # down the columns, then (transposed) along the rows
        n = out.shape[0]
        padded = np.concatenate([out[:1].repeat(radius, 0), out, out[-1:].repeat(radius, 0)])
        csum = np.zeros((n + size, out.shape[1]), np.float64)
        np.cumsum(padded, axis=0, out=csum[1:])
        out = ((csum[size:] - csum[:n]) / size).astype(np.float32).T
    return out


def gaussian_blur(image: FloatImage, sigma: float) -> FloatImage:
    """``(h, w)`` blurred by a Gaussian of ``sigma`` pixels (taps out to 3 sigma), separably;
    outside the image counts as black, as around a digit."""
    radius = max(1, math.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = (taps / taps.sum()).astype(np.float32)
    out = np.asarray(image, np.float32)
    for _ in range(2):  # down the columns, then (transposed) along the rows
        padded = np.pad(out, ((radius, radius), (0, 0)))
        n = out.shape[0]
        out = sum(t * padded[i : i + n] for i, t in enumerate(taps)).T
    return np.asarray(out, np.float32)
