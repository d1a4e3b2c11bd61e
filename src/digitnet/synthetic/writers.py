"""Digits written like people write them: writer styles, pen trajectories, mouse sampling.

A person's digit differs from a template in many ways at once, and each of them costs a small
network accuracy. :func:`pen_digit` draws one digit with all of them:

* **styles**: each digit has several ways of being written (:data:`STYLES`): open and closed
  4, 4 and 9 with an open top, crossed 7, 1 with a flag and a base, looped 2, 6 and 0 that do
  not close, a figure-of-eight 8 in one stroke, ...
* **the writer's hand**: a slant (most often to the right), a width from narrow to broad, a
  small rotation, smooth wobbles of the strokes (curvature), tremor, ends that overshoot or
  stop short;
* **speed**: the pen moves faster on straight parts and slower in bends, and a mouse reports
  where it is only every so often (60 times a second), so fast strokes become polygons;
* **a stroke gone over twice**: now and then a stroke is drawn again, slightly off;
* **pens and places**: thin to fat pens; digits small or large, off-centre, touching an edge
  of the canvas.

The canvas is 280x280 by default, like the web page's drawing area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from digitnet.synthetic.strokes import Point, Stroke, arc

#: The web page's drawing canvas: 280x280 pixels.
CANVAS = 280


def _line(*points: Point) -> Stroke:
    return list(points)


def _bezier(start: Point, control: Point, end: Point) -> Stroke:
    """Points along the quadratic Bezier curve from ``start`` to ``end`` pulled by ``control``."""
    t = np.linspace(0.0, 1.0, 16)[:, None]
    pts = (
        (1 - t) ** 2 * np.array(start) + 2 * t * (1 - t) * np.array(control) + t**2 * np.array(end)
    )
    return [(float(a), float(b)) for a, b in pts]


def _figure_eight(top: float = 0.25) -> Stroke:
    """One continuous figure-of-eight path from the top right, ``top`` the waist's height
    above 0.5 (0.25: loops of equal size)."""
    t = np.linspace(-0.25 * math.pi, 1.8 * math.pi, 48)
    x = 0.5 + 0.3 * np.sin(2 * t) * np.where(np.cos(t) > 0, 0.8, 1.0)
    y = 0.5 - top * 2 * np.cos(t) * np.where(np.cos(t) > 0, 1.0, 1.0)
    y = (y - y.min()) / (y.max() - y.min())
    return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]


#: Ways people write each digit: style name -> strokes in a unit box (x right, y down).
STYLES: dict[int, dict[str, list[Stroke]]] = {
    0: {
        "closed": [arc(0.5, 0.5, 0.3, 0.48, -90, 280)],
        "open": [arc(0.5, 0.5, 0.3, 0.48, -70, 235)],
        "overlap": [arc(0.5, 0.5, 0.3, 0.48, -120, 300)],
        "narrow": [arc(0.5, 0.5, 0.17, 0.48, -90, 275)],
    },
    1: {
        "stick": [_line((0.52, 0.0), (0.48, 1.0))],
        "flag": [_line((0.25, 0.25), (0.55, 0.0), (0.55, 1.0))],
        "flag_base": [
            _line((0.25, 0.22), (0.55, 0.0), (0.55, 1.0)),
            _line((0.25, 1.0), (0.85, 1.0)),
        ],
    },
    2: {
        "plain": [arc(0.5, 0.28, 0.28, 0.27, 200, 380) + [(0.18, 1.0), (0.85, 1.0)]],
        "looped": [
            arc(0.5, 0.28, 0.3, 0.27, 195, 380)
            + [(0.35, 0.75), (0.2, 0.93)]
            + arc(0.28, 0.88, 0.1, 0.1, 150, -150)
            + [(0.55, 0.98), (0.9, 0.95)]
        ],
        "curly": [
            arc(0.5, 0.3, 0.3, 0.3, 190, 390) + [(0.15, 0.97)] + arc(0.5, 0.9, 0.35, 0.1, 180, 0)
        ],
        "z": [_line((0.15, 0.05), (0.85, 0.05), (0.15, 1.0), (0.88, 1.0))],
    },
    3: {
        "round": [arc(0.48, 0.26, 0.26, 0.24, 205, 450) + arc(0.48, 0.74, 0.3, 0.26, 270, 515)],
        "flat_top": [
            _line((0.15, 0.0), (0.8, 0.0), (0.42, 0.42)) + arc(0.45, 0.7, 0.32, 0.29, 275, 510)
        ],
        "pointed": [arc(0.45, 0.25, 0.3, 0.25, 200, 440) + arc(0.45, 0.75, 0.33, 0.25, 280, 520)],
    },
    4: {
        "closed": [_line((0.65, 0.0), (0.1, 0.68), (0.9, 0.68)), _line((0.65, 0.0), (0.65, 1.0))],
        "open": [_line((0.3, 0.0), (0.15, 0.62), (0.88, 0.62)), _line((0.7, 0.12), (0.7, 1.0))],
        "open_top": [_line((0.2, 0.0), (0.2, 0.55), (0.9, 0.55)), _line((0.72, 0.0), (0.72, 1.0))],
        "one_stroke": [
            _line((0.6, 0.0), (0.12, 0.65), (0.88, 0.65)),
            _line((0.66, 0.35), (0.64, 1.0)),
        ],
    },
    5: {
        "plain": [_line((0.8, 0.0), (0.3, 0.0), (0.25, 0.45)) + arc(0.5, 0.7, 0.3, 0.29, 225, 500)],
        "flag_last": [
            _line((0.3, 0.0), (0.25, 0.45)) + arc(0.5, 0.7, 0.3, 0.29, 225, 500),
            _line((0.3, 0.0), (0.85, 0.02)),
        ],
        "round_belly": [
            _line((0.8, 0.0), (0.25, 0.0), (0.2, 0.4)) + arc(0.48, 0.68, 0.33, 0.32, 230, 490)
        ],
    },
    6: {
        "closed": [
            _line((0.72, 0.0), (0.45, 0.2), (0.28, 0.48)) + arc(0.5, 0.73, 0.27, 0.26, 180, -180)
        ],
        "open": [
            _line((0.7, 0.0), (0.42, 0.22), (0.25, 0.55)) + arc(0.5, 0.74, 0.27, 0.25, 175, -110)
        ],
        "straight": [_line((0.45, 0.0), (0.25, 0.65)) + arc(0.5, 0.75, 0.26, 0.24, 170, -190)],
    },
    7: {
        "plain": [_line((0.15, 0.0), (0.85, 0.0), (0.42, 1.0))],
        "crossed": [
            _line((0.15, 0.0), (0.85, 0.0), (0.42, 1.0)),
            _line((0.35, 0.52), (0.85, 0.48)),
        ],
        "hooked": [_line((0.12, 0.18), (0.18, 0.0), (0.85, 0.0), (0.45, 1.0))],
        "curved": [_line((0.12, 0.02)) + _bezier((0.88, 0.0), (0.5, 0.35), (0.42, 1.0))],
    },
    8: {
        "two_loops": [arc(0.5, 0.25, 0.22, 0.24, 0, 360), arc(0.5, 0.73, 0.28, 0.26, 0, 360)],
        "figure": [_figure_eight()],
        "small_top": [arc(0.5, 0.2, 0.17, 0.2, 90, 450), arc(0.5, 0.68, 0.3, 0.3, -90, 270)],
    },
    9: {
        "closed": [arc(0.45, 0.3, 0.25, 0.28, 10, 370), _line((0.7, 0.3), (0.65, 1.0))],
        "open_top": [arc(0.45, 0.3, 0.26, 0.28, -20, 300) + [(0.72, 0.1), (0.7, 1.0)]],
        "one_stroke": [arc(0.45, 0.28, 0.26, 0.27, 0, -360) + [(0.68, 0.6), (0.55, 1.0)]],
        "curved_stem": [arc(0.45, 0.28, 0.25, 0.27, 10, 370) + arc(0.4, 0.3, 0.3, 0.7, 0, 90)],
    },
}


def style_names(digit: int) -> tuple[str, ...]:
    """The styles :data:`STYLES` knows for ``digit``."""
    if digit not in STYLES:
        raise ValueError(f"digit must be 0..9, got {digit!r}")
    return tuple(STYLES[digit])


def hand(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """The strokes as one writer's hand makes them, around (0, 0), about 1 high: slant, width,
    rotation, smooth wobbles, tremor and ends that overshoot or stop short."""
    slant = rng.normal(-0.18, 0.18)  # columns per row up: most people lean right
    width = rng.uniform(0.55, 1.25)
    angle = math.radians(rng.normal(0.0, 5.0))
    cos, sin = math.cos(angle), math.sin(angle)
    amp = rng.normal(0.0, 0.045, (2, 3))
    freq = rng.uniform(0.7, 3.5, (2, 3))
    phase = rng.uniform(0, 2 * math.pi, (2, 3))
    tremor = rng.uniform(0.0, 0.008)
    out: list[Stroke] = []
    for stroke in strokes:
        pts = _ends(np.asarray(stroke, np.float64), rng)
        for axis in (0, 1):
            for k in range(3):
                wave = np.sin(freq[axis, k] * math.pi * pts[:, 1 - axis] + phase[axis, k])
                pts[:, axis] += amp[axis, k] * wave
        pts = pts - 0.5 + rng.normal(0.0, tremor, pts.shape)
        x = pts[:, 0] * width - slant * pts[:, 1]
        y = pts[:, 1]
        out.append([(cos * a - sin * b, sin * a + cos * b) for a, b in zip(x, y, strict=True)])
    return out


def _ends(pts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A stroke whose ends go on a little further or stop a little short (up to 8% of its
    first and last segments' direction)."""
    if len(pts) < 2:
        return pts.copy()
    pts = pts.copy()
    for end, inner in ((0, 1), (-1, -2)):
        direction = pts[end] - pts[inner]
        length = float(np.hypot(*direction))
        if length > 1e-9:
            pts[end] = pts[end] + direction / length * rng.uniform(-0.06, 0.08)
    return pts


def mouse_samples(stroke: Stroke, rng: np.random.Generator, speed: float) -> Stroke:
    """Where a mouse reports a pen moving along ``stroke``: points every ``speed`` units of
    length on straight parts, more closely in bends (the hand slows down there), so a fast
    stroke becomes a polygon. The first and last points are kept."""
    pts = np.asarray(stroke, np.float64)
    if len(pts) < 2:
        return [(float(p[0]), float(p[1])) for p in pts]
    # Densify, then walk along with a step that shrinks where the direction turns.
    seg = np.hypot(*np.diff(pts, axis=0).T)
    n = max(2, int(seg.sum() / 0.004))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], n)
    dense = np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], axis=1)
    heading = np.unwrap(np.arctan2(*np.diff(dense, axis=0).T[::-1]))
    turn = np.abs(np.gradient(heading)) / 0.004 if len(heading) > 1 else np.zeros(1)
    turn = np.concatenate([turn, turn[-1:]])
    out = [dense[0]]
    travelled = 0.0
    for i in range(1, n):
        step = speed * rng.uniform(0.7, 1.3) / (1.0 + 0.15 * turn[i])
        travelled += float(np.hypot(*(dense[i] - dense[i - 1])))
        if travelled >= step:
            out.append(dense[i])
            travelled = 0.0
    out.append(dense[-1])
    return [(float(a), float(b)) for a, b in out]


def draw_pen(
    draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], width: float, fill: int
) -> None:
    """A polyline with a round pen ``width`` pixels wide (round caps and joints)."""
    w = max(1, round(width))
    r = w / 2.0
    if len(points) > 1:
        draw.line(points, fill=fill, width=w, joint="curve")
    for x, y in points:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)


@dataclass(frozen=True)
class PenDrawing:
    """A digit as a mouse draws it: each stroke's points in canvas pixels (in the order the
    mouse reported them), the pen's width in pixels, the canvas side, and whether the ink is
    black on white. :meth:`render` paints it; a browser can replay the strokes instead."""

    strokes: list[list[tuple[float, float]]]
    pen: float
    size: int
    invert: bool

    def render(self) -> Image.Image:
        """The drawing on a greyscale ("L") canvas, with its own pen."""
        background, ink = (255, 0) if self.invert else (0, 255)
        image = Image.new("L", (self.size, self.size), background)
        draw = ImageDraw.Draw(image)
        for stroke in self.strokes:
            draw_pen(draw, stroke, self.pen, ink)
        return image


def pen_drawing(
    digit: int,
    rng: np.random.Generator,
    size: int = CANVAS,
    invert: bool | None = None,
    style: str | None = None,
) -> PenDrawing:
    """The strokes of :func:`pen_digit` (the same random draws), before they are painted."""
    names = style_names(digit)
    style = style if style is not None else names[int(rng.integers(len(names)))]
    if style not in STYLES[digit]:
        raise ValueError(f"digit {digit} has no style {style!r}; it has {', '.join(names)}")
    invert = bool(rng.random() < 1 / 3) if invert is None else invert
    strokes = hand(STYLES[digit][style], rng)
    height = size * rng.uniform(0.25, 0.95)
    pen = size * float(np.exp(rng.uniform(math.log(0.015), math.log(0.13))))
    pen = min(pen, 0.22 * height)
    speed = float(np.exp(rng.uniform(math.log(0.01), math.log(0.12))))
    sampled = [mouse_samples(s, rng, speed) for s in strokes]
    if rng.random() < 0.2:  # a stroke gone over again, slightly off
        again = sampled[int(rng.integers(len(sampled)))]
        off = rng.normal(0.0, 0.025, 2)
        sampled.append([(x + off[0], y + off[1]) for x, y in again])
    pts = np.concatenate([np.asarray(s) for s in sampled]) * height
    lo, hi = pts.min(axis=0) - pen / 2, pts.max(axis=0) + pen / 2
    if float((hi - lo).max()) > size:  # too wide for the canvas: shrink it
        factor = 0.98 * size / float((hi - lo).max())
        height, pen = height * factor, pen * factor
        pts, lo, hi = pts * factor, lo * factor, hi * factor
    x0 = rng.uniform(-lo[0], size - hi[0])
    y0 = rng.uniform(-lo[1], size - hi[1])
    if rng.random() < 0.2:  # touching an edge
        side = int(rng.integers(4))
        if side == 0:
            x0 = -lo[0]
        elif side == 1:
            x0 = size - hi[0]
        elif side == 2:
            y0 = -lo[1]
        else:
            y0 = size - hi[1]
    placed = [[(x0 + x * height, y0 + y * height) for x, y in stroke] for stroke in sampled]
    return PenDrawing(placed, pen, size, invert)


def pen_digit(
    digit: int,
    rng: np.random.Generator,
    size: int = CANVAS,
    invert: bool | None = None,
    style: str | None = None,
) -> Image.Image:
    """A digit as a person draws it with a mouse on a greyscale ("L") ``size`` x ``size``
    canvas: a random style of ``digit`` (or ``style``), in a random writer's hand, sampled at
    a random pen speed, with a pen 1.5-13% of the canvas wide (thin to fat), 25-95% of the
    canvas high, anywhere on it (one in five touches an edge), one stroke gone over twice now
    and then. White on black like the web page, unless ``invert`` (random: one in three is
    black on white). Its strokes alone: :func:`pen_drawing`."""
    return pen_drawing(digit, rng, size, invert, style).render()
