"""Steps 6 and 7: MNIST's geometry. Measure and adjust the stroke width, scale the cropped
digit so that its longer side is 20 pixels, sharpen its edges, and paste it into 28x28 with its
centre of mass where MNIST's digits have theirs."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from digitnet.preprocess.filters import gaussian_blur, window_filter
from digitnet.preprocess.images import FloatImage, Mask
from digitnet.preprocess.ink import find_digit_box

#: Where MNIST's digits have their centre of mass, as (row, column) in a 28x28 image whose pixel
#: (r, c) sits at coordinates (r, c). Measured on the 60,000 training images: for each image the
#: intensity-weighted mean row and column, then the mean over all images (standard deviation
#: 0.29 pixels on each axis; the 10,000 test images give 13.993, 14.008). It is half a pixel below
#: and right of the geometric centre (13.5, 13.5), because MNIST's authors centred on pixel 14.
MNIST_CENTER_ROW = 13.996
MNIST_CENTER_COL = 14.007
MNIST_SIZE = 28
#: MNIST's digits are scaled so that the longer side of their bounding box is 20 pixels.
BOX_SIZE = 20
#: MNIST's typical stroke width in pixels of the 20x20 box: the median over the 60,000 training
#: images of :func:`stroke_width` (2 x ink / outline length). Half of the digits lie between
#: 2.08 and 2.91, 90% between 1.62 and 3.77.
MNIST_STROKE_WIDTH = 2.46
#: Strokes whose width after scaling would fall outside this range are thickened to
#: MNIST_STROKE_WIDTH or thinned to THIN_TARGET; inside it they are left alone, so that 95% of
#: MNIST's digits stay unchanged. (Thinning MNIST's few bold digits all the way to the median
#: cost the networks accuracy: they learnt bold digits too.)
STROKE_WIDTH_RANGE = (1.7, 5.0)
THIN_TARGET = 3.5
#: Upscale small crops to this many pixels before thickening or thinning their strokes.
THICKNESS_WORK_SIZE = 80
#: MNIST's edges are sharp: in the median training image, 10.2% of the ink (the sum of the
#: pixels) lies in pixels fainter than one half (:func:`faint_share`; measured on the 60,000
#: training images, half of them between 8.2% and 12.4%).
MNIST_FAINT_SHARE = 0.102
#: The scaled digit's edges are sharpened by an unsharp mask (:func:`sharpen`): SHARPEN_AMOUNT
#: x (the image less its Gaussian blur of SHARPEN_SIGMA pixels) is added. Scans and photos come
#: out of scaling blurrier than MNIST's digits: the median faint share is 14.1% for the real 8x8
#: scans enlarged, 16.6% for USPS's, 9.3% for photos of pen digits (7.0% for pen drawings,
#: sharper than MNIST's). 0.3 takes those to 11.7%, 13.4%, 7.4% (5.9%). Measured through the
#: whole reading path (3,000 pen drawings, 1,000 photos, black-and-white scans and handwriting
#: fonts, the 1,797 real 8x8 scans, 2,000 USPS digits), 0.3 read the real 8x8 scans 0.7 points
#: better with the video's network and the other kinds within 0.2 points; 0.5 read the real 8x8
#: scans better still (+1.3) but photos 0.5 points worse. See the README's "Sharper edges".
SHARPEN_SIGMA = 1.0
SHARPEN_AMOUNT = 0.3


def perimeter(mask: Mask) -> float:
    """Length of the outline of a boolean ``(h, w)`` mask, in pixels.

    Cauchy-Crofton estimate: count how often lines in four directions (along rows, columns and
    both diagonals) cross the outline; P = pi/8 * (rows + columns + diagonals / sqrt 2). Unlike
    counting pixel edges it does not overcount diagonal outlines by up to sqrt 2.
    """
    m = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.bool_)
    m[1:-1, 1:-1] = mask
    straight = np.count_nonzero(m[1:] != m[:-1]) + np.count_nonzero(m[:, 1:] != m[:, :-1])
    diagonal = np.count_nonzero(m[1:, 1:] != m[:-1, :-1]) + np.count_nonzero(
        m[1:, :-1] != m[:-1, 1:]
    )
    return math.pi / 8.0 * (straight + diagonal / math.sqrt(2.0))


def stroke_width(image: FloatImage) -> float:
    """Typical stroke width in pixels of a white-on-black ``(h, w)`` image: a stroke of length L
    and width w has area w L and outline 2 L, so w = 2 * (sum of intensities) / (perimeter of
    the pixels above 0.5)."""
    outline = perimeter(image > 0.5)
    if outline == 0.0:
        return 0.0
    return 2.0 * float(image.sum()) / outline


def resize(image: FloatImage, height: int, width: int) -> FloatImage:
    """``(h, w)`` resampled to ``(height, width)``: area-averaged when shrinking (anti-aliased
    like MNIST), bicubic when enlarging; clipped to 0..1."""
    if image.shape == (height, width):
        return image
    shrinking = height <= image.shape[0] and width <= image.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    out = Image.fromarray(image, "F").resize((width, height), method)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def crop_to_ink(image: FloatImage) -> FloatImage:
    """The part of ``(h, w)`` inside the bounding box of its non-zero pixels."""
    box = find_digit_box(image)
    if box is None:
        return image
    top, left, bottom, right = box
    return image[top:bottom, left:right]


def adjust_thickness(crop: FloatImage, size: int = BOX_SIZE) -> tuple[FloatImage, float, float]:
    """Thicken or thin the strokes of a cropped digit ``(h, w)`` so that, once its longer side is
    scaled to ``size``, they are about ``MNIST_STROKE_WIDTH`` wide.

    Returns ``(new crop, width before, width after)``, widths in pixels of the ``size`` box.
    Nothing changes when the expected width is within ``STROKE_WIDTH_RANGE``. Otherwise small
    crops are first enlarged (bicubic) to ``THICKNESS_WORK_SIZE`` pixels, then grown by a grey
    dilation (max filter) or shrunk by a grey erosion (min filter) of radius k, where k solves
    ``(w + 2k) * size / (L + 2k) = target`` (the box grows or shrinks with the strokes).
    """
    long_side = max(crop.shape)
    before = stroke_width(crop) * size / long_side
    low, high = STROKE_WIDTH_RANGE
    if before == 0.0 or low <= before <= high:
        return crop, before, before
    if long_side < THICKNESS_WORK_SIZE:
        factor = math.ceil(THICKNESS_WORK_SIZE / long_side)
        crop = resize(crop, crop.shape[0] * factor, crop.shape[1] * factor)
        long_side = max(crop.shape)
    width = before * long_side / size
    target = MNIST_STROKE_WIDTH if before < low else THIN_TARGET
    k = round((target * long_side - size * width) / (2 * size - 2 * target))
    k = max(k, -int(width / 2 - 1)) if k < 0 else k  # never erode a stroke away
    if k > 0:  # grey dilation: every pixel takes the brightest value within k pixels
        crop = crop_to_ink(window_filter(np.pad(crop, 2 * k), 2 * k + 1, "max"))
    elif k < 0:  # grey erosion: the darkest value within -k pixels (outside counts as black)
        crop = crop_to_ink(window_filter(np.pad(crop, -k), -2 * k + 1, "min"))
    after = stroke_width(crop) * size / max(crop.shape)
    return crop, before, after


def fit_in_box(crop: FloatImage, size: int = BOX_SIZE) -> FloatImage:
    """A cropped digit ``(h, w)`` scaled so that its longer side is ``size`` pixels, aspect ratio
    kept: float32 ``(size, round(w * size / h))`` or the transpose; at least one pixel wide."""
    h, w = crop.shape
    scale = size / max(h, w)
    height, width = max(1, round(h * scale)), max(1, round(w * scale))
    fitted = resize(crop, height, width)
    peak = float(fitted.max())
    if 0.0 < peak < 1.0:
        fitted = fitted / np.float32(peak)
    return fitted.astype(np.float32)


def faint_share(image: FloatImage) -> float:
    """The share of the ink (the sum of the pixels) that lies in pixels fainter than one half:
    the blurrier the edges, the larger it is. 0 for an image without ink."""
    ink = float(image.sum())
    return float(image[image < 0.5].sum()) / ink if ink > 0 else 0.0


def sharpen(fitted: FloatImage, amount: float = SHARPEN_AMOUNT) -> FloatImage:
    """``fitted`` with sharper edges: an unsharp mask, ``fitted + amount x (fitted - its
    Gaussian blur of SHARPEN_SIGMA pixels)``, clipped to 0..1 (outside counts as black)."""
    if amount <= 0:
        return fitted
    blurred = gaussian_blur(fitted, SHARPEN_SIGMA)
    return np.clip(fitted + np.float32(amount) * (fitted - blurred), 0.0, 1.0).astype(np.float32)


def center_of_mass(image: FloatImage) -> tuple[float, float]:
    """Intensity-weighted mean (row, column) of ``(h, w)``; pixel (r, c) is at (r, c)."""
    total = float(image.sum())
    if total <= 0.0:
        return (image.shape[0] - 1) / 2.0, (image.shape[1] - 1) / 2.0
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total


def shift_fraction(image: FloatImage, fraction: float, axis: int) -> FloatImage:
    """Move ``(h, w)`` by ``fraction`` (0 <= fraction < 1) of a pixel along ``axis`` with linear
    interpolation; the result is one pixel longer on that axis."""
    shape = list(image.shape)
    shape[axis] += 1
    out = np.zeros(shape, np.float32)
    head = [slice(None), slice(None)]
    tail = [slice(None), slice(None)]
    head[axis], tail[axis] = slice(0, -1), slice(1, None)
    out[tuple(head)] += np.float32(1.0 - fraction) * image
    out[tuple(tail)] += np.float32(fraction) * image
    return out


def paste(canvas: FloatImage, image: FloatImage, top: int, left: int) -> None:
    """Copy ``image`` into ``canvas`` with its corner at (top, left), cutting what falls out."""
    h, w = image.shape
    ch, cw = canvas.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, ch), min(left + w, cw)
    if t0 < t1 and l0 < l1:
        canvas[t0:t1, l0:l1] = image[t0 - top : t1 - top, l0 - left : l1 - left]


def center_by_mass(
    fitted: FloatImage,
    size: int = MNIST_SIZE,
    center: tuple[float, float] = (MNIST_CENTER_ROW, MNIST_CENTER_COL),
) -> FloatImage:
    """Paste ``(h, w)`` into a black ``(size, size)`` image so that its centre of mass lands on
    ``center`` (MNIST's, measured), with sub-pixel precision (bilinear interpolation)."""
    row, col = center_of_mass(fitted)
    top, left = center[0] - row, center[1] - col
    whole_top, whole_left = math.floor(top), math.floor(left)
    shifted = shift_fraction(fitted, top - whole_top, axis=0)
    shifted = shift_fraction(shifted, left - whole_left, axis=1)
    canvas = np.zeros((size, size), np.float32)
    paste(canvas, shifted, whole_top, whole_left)
    return canvas
