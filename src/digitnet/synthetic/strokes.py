"""Easy pen strokes: one hand-designed template per digit, jittered a little, drawn with a
round pen on a large canvas like a person drawing with a mouse (the first synthetic digits;
tests use them as clean, readable drawings). :mod:`digitnet.synthetic.writers` draws harder,
more human ones."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = list[Point]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Points along an elliptic arc centred on (cx, cy) with radii (rx, ry), from angle
    ``start`` to ``end`` in degrees (0 = right, 90 = down: y grows downwards), every 10 deg."""
    steps = max(2, math.ceil(abs(end - start) / 10.0) + 1)
    angles = np.radians(np.linspace(start, end, steps))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def digit_strokes(digit: int) -> list[Stroke]:
    """The pen strokes of a digit in a unit box (x right, y down, both 0..1)."""
    templates: dict[int, list[Stroke]] = {
        0: [arc(0.5, 0.5, 0.3, 0.48, -90, 275)],
        1: [[(0.35, 0.18), (0.55, 0.0), (0.55, 1.0)]],
        2: [arc(0.5, 0.28, 0.28, 0.27, 200, 380) + [(0.18, 1.0), (0.85, 1.0)]],
        3: [arc(0.48, 0.26, 0.26, 0.24, 205, 450) + arc(0.48, 0.74, 0.3, 0.26, 270, 515)],
        4: [[(0.6, 0.0), (0.15, 0.68), (0.88, 0.68)], [(0.68, 0.3), (0.68, 1.0)]],
        5: [[(0.8, 0.0), (0.3, 0.0), (0.25, 0.45)] + arc(0.5, 0.7, 0.3, 0.29, 225, 500)],
        6: [[(0.72, 0.0), (0.45, 0.2), (0.28, 0.48)] + arc(0.5, 0.73, 0.27, 0.26, 180, -180)],
        7: [[(0.15, 0.0), (0.85, 0.0), (0.42, 1.0)]],
        8: [arc(0.5, 0.25, 0.22, 0.24, 0, 360), arc(0.5, 0.73, 0.28, 0.26, 0, 360)],
        9: [arc(0.45, 0.3, 0.25, 0.28, 10, 370), [(0.7, 0.3), (0.65, 1.0)]],
    }
    if digit not in templates:
        raise ValueError(f"digit must be 0..9, got {digit!r}")
    return templates[digit]


def jitter_strokes(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """The strokes through a random affine map (rotation up to 10 deg, shear, width 70-120% of
    the height), bent by a smooth random warp (waves of about 3% of the box) and with every
    point nudged by about 0.5%; centred on (0, 0)."""
    angle = math.radians(rng.uniform(-10, 10))
    shear = rng.uniform(-0.25, 0.1)  # handwriting leans right more often than left
    stretch = rng.uniform(0.7, 1.2)
    cos, sin = math.cos(angle), math.sin(angle)
    amp = rng.normal(0.0, 0.03, (2, 2))
    freq = rng.uniform(1.0, 3.0, (2, 2))
    phase = rng.uniform(0, 2 * math.pi, (2, 2))
    out: list[Stroke] = []
    for stroke in strokes:
        pts = np.asarray(stroke, np.float64)
        for axis in (0, 1):
            for k in (0, 1):
                wave = np.sin(freq[axis, k] * math.pi * pts[:, 1 - axis] + phase[axis, k])
                pts[:, axis] += amp[axis, k] * wave
        pts = pts - 0.5 + rng.normal(0.0, 0.005, pts.shape)
        x = pts[:, 0] * stretch + shear * pts[:, 1]
        y = pts[:, 1]
        out.append([(cos * a - sin * b, sin * a + cos * b) for a, b in zip(x, y, strict=True)])
    return out


def draw_strokes(
    draw: ImageDraw.ImageDraw,
    strokes: list[Stroke],
    origin: Point,
    scale: float,
    width: int,
    fill: int,
) -> None:
    """Draw strokes given around (0, 0) in units of ``scale`` pixels, centred on ``origin``,
    with a round pen ``width`` pixels wide (round caps and joints)."""
    radius = width / 2.0
    for stroke in strokes:
        pts = [(origin[0] + x * scale, origin[1] + y * scale) for x, y in stroke]
        draw.line(pts, fill=fill, width=width, joint="curve")
        for x, y in pts:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)


def render_strokes(
    strokes: list[Stroke],
    size: int,
    center: Point,
    height: float,
    pen: float,
    invert: bool = False,
) -> Image.Image:
    """Strokes (from :func:`jitter_strokes`, around (0, 0)) drawn on a greyscale ("L") ``size``
    x ``size`` canvas: the digit ``height`` pixels high with its (0, 0) at pixel ``center``,
    round pen ``pen`` times the height wide; black on white, or white on black if ``invert``."""
    background, ink = (0, 255) if invert else (255, 0)
    image = Image.new("L", (size, size), background)
    width = max(1, round(pen * height))
    draw_strokes(ImageDraw.Draw(image), strokes, center, height, width, ink)
    return image


def stroke_digit(
    digit: int,
    rng: np.random.Generator,
    size: int | None = None,
    pen: float | None = None,
    invert: bool | None = None,
) -> Image.Image:
    """A digit drawn like with a mouse: a greyscale ("L") ``size`` x ``size`` canvas (random
    280-560 pixels), digit 30-80% of the canvas high at a random place, round pen ``pen`` times
    the digit's height wide (random 5-14%), black on white unless ``invert`` (random)."""
    size = int(size if size is not None else rng.integers(280, 561))
    invert = bool(rng.random() < 0.5) if invert is None else invert
    pen = float(pen if pen is not None else rng.uniform(0.05, 0.14))
    height = size * rng.uniform(0.3, 0.8)
    strokes = jitter_strokes(digit_strokes(digit), rng)
    pts = np.concatenate([np.asarray(s) for s in strokes])
    lo, hi = pts.min(axis=0) * height, pts.max(axis=0) * height
    margin = pen * height
    cx = rng.uniform(margin - lo[0], max(margin - lo[0], size - margin - hi[0]))
    cy = rng.uniform(margin - lo[1], max(margin - lo[1], size - margin - hi[1]))
    return render_strokes(strokes, size, (cx, cy), height, pen, invert)
