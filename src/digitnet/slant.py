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

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
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
_BLOCK = 2048  # images measured at a time (keeps the temporary arrays small)
_PIECE = 256  # images of a block read at their new places at a time


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
    return _in_blocks(images, np.float32, _deslant_block)


def _in_blocks(
    images: ArrayLike,
    dtype: type[np.generic],
    work: Callable[[NDArray[np.float32]], NDArray[Any]],
) -> NDArray[Any]:
    """``work`` done on every :data:`_BLOCK` images (as :func:`as_images` gives them), on
    every core at once: ``(n, 784)`` of ``dtype``. Converting block by block keeps the
    temporary arrays small (MNIST's 60,000 digits as float32 would be 188 MB)."""
    x = _checked_shape(images)
    out = np.empty((len(x), SIZE * SIZE), dtype)
    blocks = [slice(start, start + _BLOCK) for start in range(0, len(x), _BLOCK)]

    def stand_up(block: slice) -> None:
        out[block] = work(as_images(x[block]))

    # NumPy lets go of Python's lock while it computes, so the blocks go on all cores at once
    # (MNIST's 70,000 digits: about 3.5 s of CPU, under 2 s on two cores).
    workers = min(len(blocks), os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(workers, thread_name_prefix="digitnet-deslant") as pool:
            list(pool.map(stand_up, blocks))
    else:
        for block in blocks:
            stand_up(block)
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
    # x = cx + s (col - cx) + alpha (y - cy). y depends on the row only: (n, 28, 1).
    # A few hundred images at a time: the float64 coordinates then stay in the CPU's cache.
    out = np.empty((n, SIZE * SIZE), np.float32)
    for start in range(0, n, _PIECE):
        part = slice(start, start + _PIECE)
        s, a = scale[part, None, None], alpha[part, None, None]
        y0, x0 = cy[part, None, None], cx[part, None, None]
        y_in = y0 + s * (grid[None, :, None] - y0)
        x_in = x0 + s * (grid[None, None, :] - x0) + a * (y_in - y0)
        out[part] = _bilinear(x[part], x_in, y_in).reshape(-1, SIZE * SIZE)
    return out


def _bilinear(
    x: NDArray[np.float32], cols: NDArray[np.float64], rows: NDArray[np.float64]
) -> NDArray[np.float32]:
    """Images ``x`` (n, 28, 28) read at (cols, rows) by bilinear interpolation; points
    outside read as black. ``cols`` is (n, 28, 28); ``rows`` (n, 28, 1), one per row of the
    output (the fractions and indices of a row are worked out once, not 28 times)."""
    n = len(x)
    pad = 2
    side = SIZE + 2 * pad
    padded = np.zeros((n, side, side), np.float32)
    padded[:, pad:-pad, pad:-pad] = x
    c = np.clip(cols + pad, 0, side - 2)
    r = np.clip(rows + pad, 0, side - 2)
    c0, r0 = np.floor(c), np.floor(r)
    fc, fr = (c - c0).astype(np.float32), (r - r0).astype(np.float32)
    # The upper-left pixel's place in the flat padded batch; its neighbours are +1, +side.
    place = (np.arange(n)[:, None, None] * side + r0.astype(np.intp)) * side
    place = place + c0.astype(np.intp)
    flat = padded.reshape(-1)
    left_fc = 1 - fc
    top = flat.take(place) * left_fc + flat[1:].take(place) * fc
    bottom = flat[side:].take(place) * left_fc + flat[side + 1 :].take(place) * fc
    out = top * (1 - fr) + bottom * fr
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def as_images(images: ArrayLike) -> NDArray[np.float32]:
    """(n, 784) or (n, 28, 28), uint8 or float -> (n, 28, 28) float32 in 0..1 (may be a view);
    a DigitnetError for any other shape (used by :mod:`digitnet.augment` too)."""
    x = _checked_shape(images)
    if x.dtype == np.uint8:
        x = np.divide(x, np.float32(255), dtype=np.float32)
    return x.astype(np.float32, copy=False).reshape(len(x), SIZE, SIZE)


def _checked_shape(images: ArrayLike) -> NDArray[Any]:
    x = np.asarray(images)
    if x.ndim not in (2, 3) or x.shape[1:] not in ((SIZE * SIZE,), (SIZE, SIZE)):
        raise DigitnetError(f"expected images of shape (n, 784) or (n, 28, 28), got {x.shape}.")
    return x


def grey_levels(x: NDArray[np.float32]) -> NDArray[np.uint8]:
    """Deslanted pixels in 0..1 rounded to MNIST's 256 grey levels (uint8 0..255), as
    training's images and MNIST's test images are kept once deslanted."""
    return np.rint(x * np.float32(255.0)).astype(np.uint8)


def deslant_pixels(images: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """uint8 images (any shape ending in 784 or 28x28) deslanted and rounded back to uint8, in
    their shape: how training's images and MNIST's test images are prepared."""

    def rounded(x: NDArray[np.float32]) -> NDArray[np.uint8]:
        return grey_levels(_deslant_block(x))

    return _in_blocks(images, np.uint8, rounded).reshape(images.shape)


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


def input_for(metadata: Mapping[str, Any], image: ArrayLike) -> NDArray[Any]:
    """One image (784 or 28x28 values) as the network with this metadata learnt its digits:
    :func:`inputs_for` of a batch of one."""
    return np.asarray(inputs_for(metadata, np.asarray(image)[None]))[0]
