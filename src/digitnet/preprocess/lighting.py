"""Steps 2 and 3: divide out uneven lighting and make the digit white on black, like MNIST.

:func:`background_is_light` decides whether the paper is lighter than the ink,
:func:`estimate_background` estimates the paper's brightness without the ink (a grey closing on
a small copy, extended by a fitted quadratic surface), :func:`flatten_lighting` divides (or
subtracts) it out and :func:`to_white_on_black` inverts a light background.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitnet.preprocess.filters import box_blur, window_filter
from digitnet.preprocess.images import FloatImage, Mask
from digitnet.preprocess.loading import shrink

#: The lighting is estimated on a copy whose longer side is this many pixels ...
LIGHTING_SIZE = 32
#: ... with a grey closing (or opening) whose window is this fraction of that copy's longer side:
#: strokes narrower than the window vanish from the estimate, slow lighting changes stay.
LIGHTING_WINDOW = 0.5
#: Paper is *even* (a drawing made on a screen, a clean scan) when at least this share of its
#: pixels have exactly the grey level of its top-left corner: then that level is the paper's
#: brightness everywhere and no surface needs fitting. A drawing on the page's pad is 80-95%
#: background (a 112x112 pad, a pen a thirteenth of its width); a photo or a scanned sheet has
#: noise, so that no grey level covers even a tenth of it.
EVEN_PAPER_SHARE = 0.5


def even_paper(grey: FloatImage) -> float | None:
    """The paper's grey level if the paper of a grey ``(h, w)`` image is perfectly even (see
    :data:`EVEN_PAPER_SHARE`), else None: the shortcut that spares a drawing the fits below."""
    if grey.size == 0:
        return None
    level = grey.flat[0]
    if np.count_nonzero(grey == level) < EVEN_PAPER_SHARE * grey.size:
        return None
    return float(level)


def lighting_copy(grey: FloatImage) -> FloatImage:
    """The copy of a grey ``(h, w)`` image the lighting is estimated on: area-averaged down so
    that its longer side is at most ``LIGHTING_SIZE`` pixels."""
    return shrink(Image.fromarray(grey, "F"), LIGHTING_SIZE)


def background_is_light(grey: FloatImage, small: FloatImage | None = None) -> bool:
    """Whether the paper is lighter than the ink, from a grey ``(h, w)`` image.

    A plane fitted (least squares, on a copy shrunk to ``LIGHTING_SIZE``) to the grey levels
    takes out a lighting gradient; what is left is the background near 0 and the ink, a
    minority, far off on one side. The ink is dark (the background light) when the darkest 0.5%
    of the residual lies further from it than the lightest 0.5%. (A curved surface would bend
    around a large digit and blur this difference.) ``small`` is :func:`lighting_copy` of
    ``grey``, if already made.
    """
    paper = even_paper(grey)
    if paper is not None:  # the ink is what is not paper: on its darker or its lighter side
        return bool(paper - float(grey.min()) > float(grey.max()) - paper)
    small = lighting_copy(grey) if small is None else small
    coeffs = fit_surface(small, quadratic=False)
    h, w = grey.shape
    # Pixel centres of the full image in the units of the small copy's pixel indices.
    rows = ((np.arange(h)[:, None] + 0.5) * small.shape[0] / h - 0.5) / small.shape[0]
    cols = ((np.arange(w)[None, :] + 0.5) * small.shape[1] / w - 0.5) / small.shape[1]
    darkest, lightest = np.percentile(grey - surface(coeffs, rows, cols), [0.5, 99.5])
    return bool(-darkest > lightest)


def pixel_noise(grey: FloatImage) -> float:
    """Standard deviation of the pixel noise of a ``(h, w)`` image, from the differences
    between horizontal and vertical neighbours: 1.4826 * median |difference| / sqrt 2. Smooth
    lighting and the few pixels on ink edges hardly change this median."""
    if min(grey.shape) < 2:
        return 0.0
    diffs = np.concatenate([np.diff(grey, axis=0).ravel(), np.diff(grey, axis=1).ravel()])
    return 1.4826 * float(np.median(np.abs(diffs))) / math.sqrt(2.0)


def surface_terms(rows: NDArray[np.floating], cols: NDArray[np.floating]) -> list[NDArray[Any]]:
    """The terms 1, y, x, y^2, x y, x^2 of a quadratic surface at (rows, cols) given as
    fractions of the image's height and width (any broadcastable shapes)."""
    return [np.ones_like(rows * cols), rows, cols, rows * rows, rows * cols, cols * cols]


@lru_cache(maxsize=32)
def _design(h: int, w: int, quadratic: bool) -> NDArray[np.float64]:
    """The least-squares design matrix of :func:`fit_surface` for every pixel of an ``(h, w)``
    image, row by row: one row of terms per pixel (made once per size, never written to)."""
    rows, cols = np.nonzero(np.ones((h, w), np.bool_))
    terms = surface_terms(rows / h, cols / w)
    design = np.stack(terms if quadratic else terms[:3], axis=1)
    design.flags.writeable = False
    return design


def fit_surface(
    values: FloatImage, mask: Mask | None = None, quadratic: bool = True
) -> NDArray[np.float64]:
    """Least-squares quadratic surface (see :func:`surface_terms`), or plane if not
    ``quadratic``, through the pixels of ``values`` (h, w), only those where ``mask`` is True if
    given; its 6 (or 3) coefficients."""
    h, w = values.shape
    design = _design(h, w, quadratic)
    target = values.reshape(-1)
    if mask is not None:  # the rows of the pixels kept, in the same order as np.nonzero's
        keep = np.asarray(mask, dtype=np.bool_).reshape(-1)
        design, target = design[keep], target[keep]
    coeffs = np.linalg.lstsq(design, target.astype(np.float64), rcond=None)[0]
    return np.asarray(coeffs, dtype=np.float64)


def surface(coeffs: NDArray[np.float64], rows: NDArray[Any], cols: NDArray[Any]) -> FloatImage:
    """A fitted surface (or plane) evaluated at (rows, cols), fractions of the height and
    width."""
    terms = surface_terms(rows, cols)[: len(coeffs)]
    return sum((c * t for c, t in zip(coeffs, terms, strict=True)), np.zeros(())).astype(np.float32)


def fit_paper(small: FloatImage, light: bool, rounds: int = 3) -> NDArray[np.float64]:
    """A quadratic surface (see :func:`fit_surface`) through the paper of ``small`` (h, w),
    ignoring the ink: fitted to all pixels, then ``rounds`` times again to the pixels that are
    not on the ink's side of the last fit by more than 2.5 robust standard deviations (ink is
    darker than the fit on light paper, brighter on a dark background)."""
    h, w = small.shape
    rows, cols = np.arange(h)[:, None] / h, np.arange(w)[None, :] / w
    coeffs = fit_surface(small)
    for _ in range(rounds):
        residual = small - surface(coeffs, rows, cols)
        spread = max(1.4826 * float(np.median(np.abs(residual))), 0.01)
        paper = residual >= -2.5 * spread if light else residual <= 2.5 * spread
        if paper.sum() < 6:
            break
        coeffs = fit_surface(small, paper)
    return coeffs


def extend_with_surface(small: FloatImage, pad: int, light: bool) -> FloatImage:
    """``small`` (h, w) surrounded by ``pad`` pixels on every side that continue the lighting:
    the paper's quadratic surface (see :func:`fit_paper`). Shape ``(h + 2 pad, w + 2 pad)``."""
    h, w = small.shape
    coeffs = fit_paper(small, light)
    rows = np.arange(-pad, h + pad)[:, None] / h
    cols = np.arange(-pad, w + pad)[None, :] / w
    out = surface(coeffs, rows, cols)
    out[pad : pad + h, pad : pad + w] = small
    return out


def estimate_background(
    grey: FloatImage, light: bool, small: FloatImage | None = None
) -> FloatImage:
    """The paper's brightness without the ink, float32 with the shape of ``grey``.

    On a copy shrunk to ``LIGHTING_SIZE`` pixels, a grey closing (dilate then erode, for a light
    background) or opening (for a dark one) with a window half as wide as the copy erases every
    stroke narrower than that; a box blur smooths the result, which is scaled back up. The copy
    is first extended beyond its borders by the lighting's quadratic surface (see
    :func:`extend_with_surface`): repeating the border pixels instead would make the closing
    overestimate the paper along a dark border or in a dark corner. The estimate is kept
    within the copy's range of grey levels. ``small`` is :func:`lighting_copy` of ``grey``, if
    already made.
    """
    h, w = grey.shape
    paper = even_paper(grey)
    if paper is not None:
        return np.full((h, w), paper, np.float32)
    small = lighting_copy(grey) if small is None else small
    size = max(3, round(LIGHTING_WINDOW * max(small.shape)) | 1)
    radius = size // 2
    # Each of the two filters eats `radius` pixels on every side, the blur another `radius`.
    padded = extend_with_surface(small, 3 * radius, light)
    first, second = ("max", "min") if light else ("min", "max")
    estimate = window_filter(window_filter(padded, size, first), size, second)
    estimate = box_blur(estimate, radius)[radius:-radius, radius:-radius]
    estimate = np.clip(estimate, small.min(), small.max())
    if estimate.shape != grey.shape:
        up = Image.fromarray(estimate, "F").resize((w, h), Image.Resampling.BILINEAR)
        estimate = np.asarray(up, dtype=np.float32)
    return estimate


def flatten_lighting(
    grey: FloatImage, light: bool | None = None, small: FloatImage | None = None
) -> FloatImage:
    """Grey ``(h, w)`` with uneven lighting removed: float32 ``(h, w)`` in 0..1.

    On light paper the image is divided by the background estimate (the paper becomes white and
    ink keeps its darkness relative to the paper around it, however dim the light there); on
    a dark background the estimate is subtracted (the background becomes black). ``small`` is
    :func:`lighting_copy` of ``grey``, if already made.
    """
    small = lighting_copy(grey) if small is None else small
    if light is None:
        light = background_is_light(grey, small)
    background = estimate_background(grey, light, small)
    if light:
        return np.clip(grey / np.maximum(background, np.float32(1e-3)), 0.0, 1.0)
    return np.clip(grey - background, 0.0, 1.0)


def to_white_on_black(flat: FloatImage, light: bool | None = None) -> FloatImage:
    """The digit bright on a dark background, like MNIST: ``1 - flat`` when the background is
    light (see :func:`background_is_light`), else ``flat`` unchanged. Shape ``(h, w)``."""
    if light is None:
        light = background_is_light(flat)
    return (np.float32(1.0) - flat) if light else flat
