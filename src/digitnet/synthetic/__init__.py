"""Digit pictures that do not come from MNIST, to measure how well a network reads real input.

Every kind is drawn from a seeded numpy ``Generator``, so a set can be made again exactly.
The kinds that measure (:data:`KINDS`, hard, like people's digits and scans):

* ``pen`` (:func:`~digitnet.synthetic.writers.pen_digit`): mouse strokes on a 280x280 canvas
  in many writers' hands and styles (open and closed 4, crossed 7, 1 with a flag and a base,
  looped 2, open-top 4 and 9, 6 and 0 that do not close, ...), thin and fat pens, small,
  large, off-centre and edge-touching digits, strokes gone over twice;
* ``photos`` (:func:`pen_photo`): such digits in dark ink on paper, photographed by a phone;
* ``scan8``, ``scan16``, ``binary16`` (:func:`~digitnet.synthetic.scans.scan_digit`): written
  digits scanned at 8x8 (17 grey levels, like NIST's), 16x16 grey (like USPS's) and 16x16
  black-and-white stretched to fill the box (like Semeion's), enlarged and blurred;
* ``fonts`` (:func:`~digitnet.synthetic.fonts.hard_font_digit`): typeset digits, slanted,
  rotated, thickened or thinned, in both polarities;
* ``handwriting fonts`` (:func:`~digitnet.synthetic.fonts.handwriting_digit`): digits in 24
  handwriting fonts from Debian's packages (installed apart: the kind raises
  ``FileNotFoundError`` naming them when they are missing), rotated, some thickened, in both
  polarities.

And the easy kinds of the first benchmark (:data:`EASY_KINDS`; tests use them as clean
digits): ``strokes`` (one template per digit, a little jitter), ``upright fonts`` and
``easy photos``.

:func:`make_set` makes ``n`` pictures of one kind with balanced labels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from PIL import Image

from digitnet.synthetic.fonts import (
    FONT_GLOBS,
    GLYPH_POINTS,
    HANDWRITING_FONTS,
    HANDWRITING_PACKAGES,
    SKIP_FONTS,
    font_at,
    font_digit,
    font_files,
    handwriting_digit,
    handwriting_font_files,
    hard_font_digit,
    load_font,
)
from digitnet.synthetic.hands import WRITERS, Writer, writer_digit, writer_set, writer_strokes
from digitnet.synthetic.photos import jpeg_round_trip, lighting, photo_digit, photograph
from digitnet.synthetic.scans import SCANS, enlarge, scan_digit, small_scan
from digitnet.synthetic.strokes import (
    Point,
    Stroke,
    arc,
    digit_strokes,
    draw_strokes,
    jitter_strokes,
    render_strokes,
    stroke_digit,
)
from digitnet.synthetic.writers import (
    CANVAS,
    STYLES,
    PenDrawing,
    hand,
    mouse_samples,
    pen_digit,
    pen_drawing,
    style_names,
)


def pen_photo(digit: int, rng: np.random.Generator) -> Image.Image:
    """A phone photo (RGB, 320-640 x 240-480 pixels) of a digit written in dark ink on paper
    by a random writer (:func:`pen_digit`'s hands, styles and pens)."""
    w, h = int(rng.integers(320, 641)), int(rng.integers(240, 481))
    side = min(w, h)
    return photograph(pen_digit(digit, rng, size=side, invert=False), (w, h), rng)


#: The hard kinds, like people's digits and scans: what the benchmark measures.
KINDS = ("pen", "photos", "scan8", "scan16", "binary16", "fonts", "handwriting fonts")
#: The first benchmark's easy kinds.
EASY_KINDS = ("strokes", "upright fonts", "easy photos")

GENERATORS: dict[str, Callable[[int, np.random.Generator], Image.Image]] = {
    "pen": pen_digit,
    "photos": pen_photo,
    "scan8": partial(scan_digit, kind="scan8"),
    "scan16": partial(scan_digit, kind="scan16"),
    "binary16": partial(scan_digit, kind="binary16"),
    "fonts": hard_font_digit,
    "handwriting fonts": handwriting_digit,
    "strokes": stroke_digit,
    "upright fonts": font_digit,
    "easy photos": photo_digit,
}


def make_set(kind: str, n: int, seed: int = 0) -> tuple[list[Image.Image], np.ndarray]:
    """``n`` pictures of one kind (see :data:`KINDS` and :data:`EASY_KINDS`) and their labels
    (int64 (n,)), each digit equally often in a shuffled order; the same seed gives the same
    set."""
    if kind not in GENERATORS:
        raise ValueError(f"kind must be one of {', '.join(GENERATORS)}, not {kind!r}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    make = GENERATORS[kind]
    return [make(int(d), rng) for d in labels], labels


__all__ = [
    "WRITERS",
    "Writer",
    "writer_digit",
    "writer_set",
    "writer_strokes",
    "CANVAS",
    "EASY_KINDS",
    "FONT_GLOBS",
    "HANDWRITING_FONTS",
    "HANDWRITING_PACKAGES",
    "GENERATORS",
    "GLYPH_POINTS",
    "KINDS",
    "SCANS",
    "SKIP_FONTS",
    "STYLES",
    "Point",
    "Stroke",
    "arc",
    "digit_strokes",
    "draw_strokes",
    "enlarge",
    "font_at",
    "font_digit",
    "font_files",
    "handwriting_digit",
    "handwriting_font_files",
    "hand",
    "hard_font_digit",
    "jitter_strokes",
    "jpeg_round_trip",
    "lighting",
    "load_font",
    "make_set",
    "mouse_samples",
    "pen_digit",
    "pen_drawing",
    "PenDrawing",
    "pen_photo",
    "photo_digit",
    "photograph",
    "render_strokes",
    "scan_digit",
    "small_scan",
    "stroke_digit",
    "style_names",
]
