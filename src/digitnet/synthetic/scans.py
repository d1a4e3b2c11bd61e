"""Low-resolution scans: a written digit scanned at 8x8, 16x16 grey or 16x16 black-and-white,
then enlarged (and blurred) into a picture as a user would send it.

Three well-known sets of real scans look like this: NIST's 8x8 digit bitmaps (32x32 binary
scans counted in 4x4 blocks: 17 grey levels), the US Postal Service's 16x16 grey envelope scans
(the digit fills the box, its aspect ratio kept) and Semeion's 16x16 black-and-white scans (the
digit stretched to fill the whole box, then thresholded). :func:`scan_digit` makes one of each
from a :func:`~digitnet.synthetic.writers.pen_digit`, and :func:`enlarge` turns the small scan
into a picture: dark ink on light paper (sometimes the other way), scaled up with nearest
neighbours, bilinear or bicubic interpolation, a margin around it and a little blur.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from digitnet.synthetic.writers import pen_digit

#: The resolutions: name -> (side in pixels, grey levels (2 = binary), fill the box?).
SCANS = {"scan8": (8, 17, False), "scan16": (16, 256, False), "binary16": (16, 2, True)}


def small_scan(digit: int, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A ``kind`` scan (see :data:`SCANS`) of a written digit: float ``(side, side)`` in 0..1,
    ink bright."""
    side, levels, stretch = SCANS[kind]
    ink = np.asarray(pen_digit(digit, rng, size=160, invert=False), np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.5), np.flatnonzero(ink.max(axis=0) > 0.5)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] if len(rows) else ink
    h, w = crop.shape
    if stretch:  # Semeion: stretched to fill the box (a narrow 1 at most 2.5 times)
        box_w = side if w * 2.5 >= h else max(2, round(side * w * 2.5 / h))
        box_h = side
    else:  # aspect ratio kept, longer side fills the box (the 8x8 set leaves a margin)
        fill = side if side > 8 else 7
        scale = fill / max(h, w)
        box_h, box_w = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(
        Image.fromarray(crop, "F").resize((box_w, box_h), Image.Resampling.BOX), np.float32
    )
    out = np.zeros((side, side), np.float32)
    top, left = (side - box_h) // 2, (side - box_w) // 2
    out[top : top + box_h, left : left + box_w] = small
    peak = float(out.max()) or 1.0
    out = out / peak
    if levels == 2:
        return (out > rng.uniform(0.3, 0.5)).astype(np.float32)
    return np.round(out * (levels - 1)) / (levels - 1)


def enlarge(
    scan: np.ndarray, rng: np.random.Generator, light_paper: bool | None = None
) -> Image.Image:
    """A small scan (float ``(s, s)`` in 0..1, ink bright) as a picture: greyscale ("L"),
    enlarged 6 to 24 times with nearest, bilinear or bicubic resampling, a margin of 10-60% of
    the scan's side, slightly blurred; dark ink on light paper unless ``light_paper`` is False
    (random: four in five are light)."""
    light_paper = bool(rng.random() < 0.8) if light_paper is None else light_paper
    side = scan.shape[0]
    margin = max(1, round(side * rng.uniform(0.1, 0.6)))
    padded = np.pad(scan, margin)
    factor = int(rng.integers(6, 25))
    methods = (Image.Resampling.NEAREST, Image.Resampling.BILINEAR, Image.Resampling.BICUBIC)
    method = methods[int(rng.integers(len(methods)))]
    grey = (255.0 * (1.0 - padded if light_paper else padded)).astype(np.uint8)
    size = padded.shape[0] * factor
    picture = Image.fromarray(grey, "L").resize((size, size), method)
    radius = rng.uniform(0.0, 0.25) * factor
    return picture.filter(ImageFilter.GaussianBlur(radius)) if radius > 0.3 else picture


def scan_digit(digit: int, rng: np.random.Generator, kind: str = "scan16") -> Image.Image:
    """A written digit scanned as ``kind`` (``scan8``, ``scan16`` or ``binary16``) and
    enlarged into a picture (see :func:`enlarge`)."""
    if kind not in SCANS:
        raise ValueError(f"kind must be one of {', '.join(SCANS)}, not {kind!r}")
    return enlarge(small_scan(digit, rng, kind), rng)
