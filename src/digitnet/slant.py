"""Deslanting: stand a leaning 28x28 digit upright, the same way in training and in reading.

People's handwriting leans (most often to the right); MNIST's digits lean too, each its own way.
A small network spends neurons on telling a leaning 1 from a 7. Deslanting removes the lean
before the network sees a digit, using the image's moments (as in LeCun et al. 1998's
"deskewing"): with the ink's centre of mass (cx, cy) and its central moments

    mu11 = sum I (x - cx)(y - cy),    mu02 = sum I (y - cy)^2,

the slant is ``alpha = mu11 / mu02`` (columns moved per row down), and the shear
``x' = x - alpha (y - cy)`` makes mu11 zero: the digit's main axis stands vertical. If the
sheared digit gets wider than MNIST's 20-pixel box it is scaled down to fit, about its centre of
mass, which stays where it was. Every pixel reads the input by bilinear interpolation; a batch is
done at once with NumPy.

A network trained on deslanted digits must read deslanted digits: the recipe option
``preprocessing = "deslant"`` records ``{"deslant": true}`` under the model file's
``preprocessing`` metadata, and :func:`inputs_for` (training, test accuracy, evaluation) and
:mod:`digitnet.prediction` read it from there. A model file without it is read as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import DigitnetError

SIZE = 28
#: MNIST's digits fit in a 20x20 box; deslanting keeps them inside it.
BOX = 20
#: The steepest lean undone, in columns per row (45 degrees); steeper is not handwriting.
MAX_SLANT = 1.0
#: Pixels brighter than this count as ink when measuring the sheared digit's width.
INK = 0.2
#: The choices of the recipe option ``preprocessing``.
PREPROCESSING = ("none", "deslant")
_BLOCK = 2048  # images sheared at a time (keeps the temporary arrays small)


def slant(images: ArrayLike) -> NDArray[np.float64]:
    """The slant ``mu11 / mu02`` of each white-on-black image of ``(n, 784)`` or
    ``(n, 28, 28)``: how many columns the ink moves right per row down (positive: the top
    leans left, like ``\\``; handwriting leaning right gives negative values). 0 for blank
    images."""
    x = as_images(images).astype(np.float64)
    rows = np.arange(SIZE, dtype=np.float64)
    total = x.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    cy = (x.sum(axis=2) @ rows) / safe
    cx = (x.sum(axis=1) @ rows) / safe
    dy = rows[None, :] - cy[:, None]
    dx = rows[None, :] - cx[:, None]
    mu02 = np.einsum("nr,nr->n", x.sum(axis=2), dy * dy)
    mu11 = np.einsum("nrc,nr,nc->n", x, dy, dx)
    out: NDArray[np.float64] = np.where(mu02 > 1e-9, mu11 / np.where(mu02 > 1e-9, mu02, 1.0), 0.0)
    return out


def deslant(images: ArrayLike) -> NDArray[np.float32]:
    """Each image of ``images`` (``(n, 784)`` or ``(n, 28, 28)``, uint8 0..255 or floats 0..1,
    white digit on black) stood upright: float32 ``(n, 784)`` in 0..1. The same images always
    give the same result."""
    x = as_images(images)
    out = np.empty((len(x), SIZE * SIZE), np.float32)
    for start in range(0, len(x), _BLOCK):
        block = slice(start, start + _BLOCK)
        out[block] = _deslant_block(x[block])
    return out


def _deslant_block(x: NDArray[np.float32]) -> NDArray[np.float32]:
    n = len(x)
    if n == 0:
        return np.zeros((0, SIZE * SIZE), np.float32)
    x64 = x.astype(np.float64)
    grid = np.arange(SIZE, dtype=np.float64)
    total = x64.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    cy = np.where(total > 0, (x64.sum(axis=2) @ grid) / safe, (SIZE - 1) / 2)
    cx = np.where(total > 0, (x64.sum(axis=1) @ grid) / safe, (SIZE - 1) / 2)
    alpha = np.clip(slant(x), -MAX_SLANT, MAX_SLANT)
    # The width of the sheared ink (pixels above INK): x - alpha (y - cy) over the ink.
    ink: NDArray[np.bool_] = np.asarray(x > INK)
    sheared = grid[None, None, :] - alpha[:, None, None] * (grid[None, :, None] - cy[:, None, None])
    left = np.where(ink, sheared, np.inf).min(axis=(1, 2))
    right = np.where(ink, sheared, -np.inf).max(axis=(1, 2))
    rows_with_ink: NDArray[np.bool_] = np.asarray(ink.any(axis=2))
    first = np.argmax(rows_with_ink, axis=1)
    last = SIZE - 1 - np.argmax(rows_with_ink[:, ::-1], axis=1)
    width = np.where(np.isfinite(left), right - left + 1, 0.0)
    height = np.where(rows_with_ink.any(axis=1), last - first + 1, 0).astype(np.float64)
    # Scale down (about the centre of mass) only when the sheared digit outgrows the box.
    scale = np.maximum(1.0, np.maximum(width, height) / BOX)
    # Output pixel (col, row) reads the input at  y = cy + s (row - cy),
    # x = cx + s (col - cx) + alpha (y - cy).
    s, a = scale[:, None, None], alpha[:, None, None]
    y_in = cy[:, None, None] + s * (grid[None, :, None] - cy[:, None, None])
    x_in = (
        cx[:, None, None]
        + s * (grid[None, None, :] - cx[:, None, None])
        + a * (y_in - cy[:, None, None])
    )
    y_in = np.broadcast_to(y_in, (n, SIZE, SIZE))
    return _bilinear(x, x_in, y_in).reshape(n, SIZE * SIZE)


def _bilinear(
    x: NDArray[np.float32], cols: NDArray[np.float64], rows: NDArray[np.float64]
) -> NDArray[np.float32]:
    """Images ``x`` (n, 28, 28) read at (cols, rows) (n, 28, 28) by bilinear interpolation;
    points outside read as black."""
    n = len(x)
    pad = 2
    padded = np.zeros((n, SIZE + 2 * pad, SIZE + 2 * pad), np.float32)
    padded[:, pad:-pad, pad:-pad] = x
    c = np.clip(cols + pad, 0, SIZE + 2 * pad - 2)
    r = np.clip(rows + pad, 0, SIZE + 2 * pad - 2)
    c0, r0 = np.floor(c), np.floor(r)
    fc, fr = (c - c0).astype(np.float32), (r - r0).astype(np.float32)
    c0i, r0i = c0.astype(np.intp), r0.astype(np.intp)
    k = np.arange(n)[:, None, None]
    top = padded[k, r0i, c0i] * (1 - fc) + padded[k, r0i, c0i + 1] * fc
    bottom = padded[k, r0i + 1, c0i] * (1 - fc) + padded[k, r0i + 1, c0i + 1] * fc
    out = top * (1 - fr) + bottom * fr
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def as_images(images: ArrayLike) -> NDArray[np.float32]:
    """(n, 784) or (n, 28, 28), uint8 or float -> (n, 28, 28) float32 in 0..1 (may be a view);
    a DigitnetError for any other shape (used by :mod:`digitnet.augment` too)."""
    x = np.asarray(images)
    if x.ndim not in (2, 3) or x.shape[1:] not in ((SIZE * SIZE,), (SIZE, SIZE)):
        raise DigitnetError(f"expected images of shape (n, 784) or (n, 28, 28), got {x.shape}.")
    if x.dtype == np.uint8:
        x = np.divide(x, np.float32(255), dtype=np.float32)
    return x.astype(np.float32, copy=False).reshape(len(x), SIZE, SIZE)


def deslant_pixels(images: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """uint8 images (any shape ending in 784 or 28x28) deslanted and rounded back to uint8, in
    their shape: how training's images and MNIST's test images are prepared."""
    pixels = deslant(images) * np.float32(255.0)
    return np.rint(pixels).astype(np.uint8).reshape(images.shape)


def wants_deslant(metadata: Mapping[str, Any]) -> bool:
    """Whether a model file's metadata says its network learnt deslanted digits."""
    setting = metadata.get("preprocessing")
    return isinstance(setting, Mapping) and setting.get("deslant") is True


def preprocessing_record(name: str) -> dict[str, bool]:
    """What the model file records for the recipe option ``preprocessing = name``."""
    return {"deslant": name == "deslant"}


def inputs_for(metadata: Mapping[str, Any], images: ArrayLike) -> ArrayLike:
    """``images`` as the network with this metadata learnt them: deslanted if it says so
    (uint8 pixels stay uint8, rounded as in training), else unchanged."""
    if not wants_deslant(metadata):
        return images
    x = np.asarray(images)
    return deslant_pixels(x) if x.dtype == np.uint8 else deslant(x)
