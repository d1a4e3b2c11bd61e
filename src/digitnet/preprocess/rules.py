"""The rules that refuse a picture holding no digit (blank, noise, a speck, a scribble, a blob)
with a reason, instead of letting the network give it a confident guess."""

from __future__ import annotations

import numpy as np

from digitnet.preprocess.geometry import BOX_SIZE, stroke_width
from digitnet.preprocess.images import FloatImage
from digitnet.preprocess.ink import Cleaned

# Rules for "this is not a digit" (see check_ink and check_shape), set with wide margins around
# what MNIST's 60,000 training digits and the synthetic digits of digitnet.synthetic measure:
#: ink at most this much brighter than the background (after flattening) is no ink at all;
#: MNIST's and the synthetic digits measure 0.48 or more, photos of blank paper under uneven
#: light 0.07 or less.
MIN_CONTRAST = 0.2
#: ink must stand out from the background by this many times the pixel noise (see pixel_noise).
MIN_SIGNAL_TO_NOISE = 5.0
#: fewer ink pixels (above half the ink level) than this, or a box shorter than MIN_BOX_SIDE
#: pixels, is a speck.
MIN_INK_PIXELS = 6
MIN_BOX_SIDE = 6
#: this many blobs of ink or more, of at least a tenth of the largest's size, away from the
#: digit's own (see keep_digit_parts) are noise or other marks. The digit's own blobs do not
#: count: a dotted or dashed stroke, or a thin binary scan enlarged (its diagonal steps come
#: apart), is one digit in many blobs.
MAX_STRAY = 6
#: strokes wider than this (pixels of the 20x20 box) are a blob; MNIST's widest digit measures
#: 8.2, 99.9% of them less than 5.7.
MAX_STROKE_WIDTH = 7.0
#: total stroke length (ink area / stroke width) at most this many times the box's longer side;
#: MNIST's digits measure 0.9 to 3.6, scribbles of 15-40 random lines 3 to 10 (median 6; 195
#: of 200 of the tests' scribbles above 5.0). People's digits with a stroke gone over twice
#: beside itself measure up to 4.7 (0.2-0.3% of digitnet.synthetic's pen drawings were
#: refused at 4.2).
MAX_LENGTH = 5.0
#: fraction of the fitted digit's box covered with ink (see coverage); MNIST's maximum is 0.76
#: before thinning fat strokes, 99.9% of the digits measure less than 0.64; small digits in a
#: fat pen and bold typefaces reach 0.78 (1.7% of digitnet.synthetic's typeset digits were
#: refused at 0.7, none measure more than 0.8). Scribbles are refused by their length.
MAX_COVERAGE = 0.8


def coverage(fitted: FloatImage) -> float:
    """Fraction of the digit's box that is ink (pixels above 0.5) in a fitted ``(h, w)``
    digit; a narrow box counts as at least half as wide as it is long, so that a "1" which
    fills its thin box is not mistaken for a blob."""
    h, w = fitted.shape
    area = max(h, w) * max(min(h, w), max(h, w) / 2.0)
    return float(np.count_nonzero(fitted > 0.5)) / area


def stroke_length(crop: FloatImage) -> float:
    """Total stroke length of a cropped digit ``(h, w)`` in units of its longer side: the ink's
    area divided by its stroke width (so it does not depend on the resolution)."""
    width = stroke_width(crop)
    if width == 0.0:
        return 0.0
    return float(crop.sum()) / width / max(crop.shape)


def check_ink(cleaned: Cleaned, box: tuple[int, int, int, int] | None, noise: float) -> str | None:
    """Why a cleaned picture holds no digit, or None when it may. The rules: too little
    contrast (blank, or a photo of nothing), ink hardly brighter than the ``noise`` (see
    :func:`pixel_noise`, in the units of the flattened image), too little ink, many
    blobs away from the digit (noise, other marks)."""
    contrast = cleaned.levels.contrast
    if contrast < MIN_CONTRAST:
        return "the picture is blank (too little contrast between ink and background)"
    if contrast < MIN_SIGNAL_TO_NOISE * noise:
        return (
            f"the picture is noise (the marks stand out only {contrast / noise:.1f} times "
            "the noise level)"
        )
    if box is None or cleaned.ink_pixels < MIN_INK_PIXELS:
        return "there is too little ink to be a digit"
    if max(box[2] - box[0], box[3] - box[1]) < MIN_BOX_SIDE:
        return "the marks are too small to be a digit"
    if cleaned.stray >= MAX_STRAY:
        return (
            f"the ink is scattered in {cleaned.stray + 1} separate blobs (noise or many marks, "
            "not one digit)"
        )
    return None


def check_shape(crop: FloatImage, fitted: FloatImage) -> str | None:
    """Why a cropped digit ``(h, w)`` (before any thickness change) and its fitted version are
    not a digit, or None: strokes as wide as a blob, strokes far longer than any digit's (a
    scribble), or ink covering most of the box."""
    width = stroke_width(crop) * BOX_SIZE / max(crop.shape)
    if width > MAX_STROKE_WIDTH:
        return f"the ink is a blob, not pen strokes ({width:.1f} pixels wide in the 20x20 box)"
    length = stroke_length(crop)
    if length > MAX_LENGTH:
        return f"the strokes are {length:.1f} times as long as the box (a scribble, not a digit)"
    cover = coverage(fitted)
    if cover > MAX_COVERAGE:
        return f"the ink covers {cover:.0%} of its box (a blob or scribble, not a digit)"
    return None
