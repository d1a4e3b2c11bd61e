"""Digit pictures that do not come from MNIST, to test how well the network reads real input.

Three kinds, each drawn from a seeded numpy ``Generator`` so that a set can be made again:

* ``strokes`` (:func:`stroke_digit`): a digit drawn with a round pen along hand-designed,
  randomly jittered strokes on a large canvas, like a person drawing with a mouse; black on
  white or white on black.
* ``fonts`` (:func:`font_digit`): a digit typeset in one of the machine's TrueType fonts
  (DejaVu, Liberation, ...), at a random size, position and slight rotation.
* ``photos`` (:func:`photo_digit`): dark ink on light paper as a phone would see it: uneven
  lighting, blur, sensor noise, a colour cast and JPEG compression.

:func:`make_set` makes ``n`` pictures of one kind with balanced labels. A :class:`Writer` is
one person's consistent hand (a slant, a turn, a width, a pen); :func:`writer_set` draws
digits in it, to test teaching the network someone's handwriting.
"""

from __future__ import annotations

import glob
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

KINDS = ("strokes", "fonts", "photos")
FONT_GLOBS = (
    "/usr/share/fonts/truetype/dejavu/*.ttf",
    "/usr/share/fonts/truetype/liberation/*.ttf",
    "/usr/share/fonts/truetype/*/*.ttf",
)
# Fonts whose digits look nothing like handwriting (symbol and maths fonts).
SKIP_FONTS = ("Math", "Symbol", "Emoji")
# Glyphs are drawn at this many points, then scaled to the size wanted.
GLYPH_POINTS = 200

Point = tuple[float, float]
Stroke = list[Point]


# ----------------------------------------------------------------------------------- strokes
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


# ----------------------------------------------------------------------------------- fonts
@lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """The TrueType fonts found on the machine (empty if none), sorted, symbol fonts left out."""
    found: set[str] = set()
    for pattern in FONT_GLOBS:
        found.update(glob.glob(pattern))
    return tuple(sorted(f for f in found if not any(s in f for s in SKIP_FONTS)))


@cache
def font_at(path: str) -> ImageFont.FreeTypeFont:
    """The TrueType font file ``path`` at ``GLYPH_POINTS`` points (loaded once)."""
    return ImageFont.truetype(path, GLYPH_POINTS)


def load_font(rng: np.random.Generator) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A random machine font at ``GLYPH_POINTS`` points, or Pillow's built-in font if there is
    none."""
    files = font_files()
    if files:
        return font_at(files[int(rng.integers(len(files)))])
    return ImageFont.load_default(size=GLYPH_POINTS)


def font_digit(
    digit: int,
    rng: np.random.Generator,
    size: int | None = None,
    invert: bool | None = None,
) -> Image.Image:
    """A typeset digit: greyscale ("L") ``size`` x ``size`` canvas (random 120-400 pixels),
    random font, glyph 35-80% of the canvas high, random place, rotated up to 8 degrees;
    black on white unless ``invert`` (random, one in four). The glyph is drawn large and then
    scaled to its size (anti-aliased)."""
    size = int(size if size is not None else rng.integers(120, 401))
    invert = bool(rng.random() < 0.25) if invert is None else invert
    font = load_font(rng)
    glyph = Image.new("L", (GLYPH_POINTS * 2, GLYPH_POINTS * 2), 0)
    ImageDraw.Draw(glyph).text(
        (GLYPH_POINTS, GLYPH_POINTS), str(digit), fill=255, font=font, anchor="mm"
    )
    glyph = glyph.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC)
    glyph = glyph.crop(glyph.getbbox() or (0, 0, 1, 1))
    factor = size * rng.uniform(0.35, 0.8) / glyph.height
    factor = min(factor, 0.85 * size / max(glyph.size))  # must fit on the canvas
    new = (max(1, round(glyph.width * factor)), max(1, round(glyph.height * factor)))
    glyph = glyph.resize(new, Image.Resampling.LANCZOS)
    background, ink = (0, 255) if invert else (255, 0)
    image = Image.new("L", (size, size), background)
    left = int(rng.integers(0, size - glyph.width + 1))
    top = int(rng.integers(0, size - glyph.height + 1))
    image.paste(Image.new("L", glyph.size, ink), (left, top), glyph)
    return image


# ----------------------------------------------------------------------------------- photos
def lighting(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """An uneven illumination field (h, w) in about 0.3..1: a linear gradient in a random
    direction times a vignette whose centre is somewhere in the picture, and in half of the
    pictures a soft-edged shadow (of the phone or a hand) over one side."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = math.cos(angle) * x + math.sin(angle) * y
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-9)
    field = 1.0 - rng.uniform(0.2, 0.45) * ramp
    cx, cy = rng.uniform(0.2, 0.8, 2) * (w / max(w, h), h / max(w, h))
    vignette = 1.0 - rng.uniform(0.0, 0.35) * ((x - cx) ** 2 + (y - cy) ** 2)
    field = field * vignette
    if rng.random() < 0.5:
        side = rng.uniform(0, 2 * math.pi)
        distance = math.cos(side) * (x - cx) + math.sin(side) * (y - cy) - rng.uniform(0.1, 0.4)
        softness = rng.uniform(0.12, 0.25)
        shade = 1.0 / (1.0 + np.exp(-distance / softness))  # 0 in the light, 1 in the shadow
        field = field * (1.0 - rng.uniform(0.1, 0.3) * shade)
    return np.asarray(field)


def jpeg_round_trip(image: Image.Image, quality: int) -> Image.Image:
    """The image after saving it as JPEG at ``quality`` and reading it back, in memory."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        decoded.load()
        return decoded.copy()


def photo_digit(digit: int, rng: np.random.Generator) -> Image.Image:
    """A photographed digit: an RGB picture (random 320-640 x 240-480 pixels) of dark ink (a
    pen stroke digit, sometimes a typeset one) on light paper, with uneven lighting, slight
    blur, sensor noise, a colour cast and JPEG compression (quality 35-85)."""
    w, h = int(rng.integers(320, 641)), int(rng.integers(240, 481))
    side = min(w, h)
    if rng.random() < 0.75:
        mark = stroke_digit(digit, rng, size=side, pen=rng.uniform(0.04, 0.1), invert=True)
    else:
        mark = font_digit(digit, rng, size=side, invert=True)
    ink_mask = np.zeros((h, w), np.float32)
    left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    ink_mask[top : top + side, left : left + side] = np.asarray(mark, np.float32) / 255.0
    paper = rng.uniform(0.75, 0.95)
    ink = rng.uniform(0.05, 0.3)
    reflectance = paper + (ink - paper) * ink_mask
    scene = reflectance * lighting((w, h), rng).astype(np.float32)
    tint = np.array([1.0, rng.uniform(0.93, 1.0), rng.uniform(0.8, 0.97)], np.float32)
    rgb = scene[:, :, None] * (tint * 255.0)[None, None, :]
    picture = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    noise = rng.standard_normal((h, w, 3), dtype=np.float32) * np.float32(rng.uniform(2.0, 8.0))
    noisy = np.asarray(picture, np.float32) + noise
    picture = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    return jpeg_round_trip(picture, int(rng.integers(35, 86)))


# ----------------------------------------------------------------------------------- sets
GENERATORS: dict[str, Callable[[int, np.random.Generator], Image.Image]] = {
    "strokes": stroke_digit,
    "fonts": font_digit,
    "photos": photo_digit,
}


def make_set(kind: str, n: int, seed: int = 0) -> tuple[list[Image.Image], np.ndarray]:
    """``n`` pictures of one kind (``strokes``, ``fonts`` or ``photos``) and their labels
    (int64 (n,)), each digit equally often in a shuffled order; the same seed gives the same
    set."""
    if kind not in GENERATORS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    make = GENERATORS[kind]
    return [make(int(d), rng) for d in labels], labels


# ----------------------------------------------------------------------------------- writers
@dataclass(frozen=True)
class Writer:
    """One person's consistent hand: every digit drawn with the same slant (a shear, x moved
    by ``slant`` times y), turned by ``turn`` degrees (clockwise), ``width`` times as wide as
    the templates, with a round pen ``pen`` times the digit's height wide; each digit wobbles
    a little (waves of about ``wobble`` of the box), as a hand never draws the same digit
    twice. :data:`WRITERS` names a few such hands."""

    slant: float = 0.0
    turn: float = 0.0
    width: float = 1.0
    pen: float = 0.08
    wobble: float = 0.02


#: Hands unlike MNIST's writers (heavy slants, turned and wide digits), for teaching tests.
WRITERS: dict[str, Writer] = {
    "slanted": Writer(slant=0.9),
    "back-slanted": Writer(slant=-0.9),
    "turned-wide": Writer(turn=30.0, width=1.4),
    "back-turned-wide": Writer(turn=-30.0, width=1.4),
}


def writer_strokes(digit: int, writer: Writer, rng: np.random.Generator) -> list[Stroke]:
    """The strokes of ``digit`` in ``writer``'s hand, centred on (0, 0) (see :class:`Writer`)."""
    angle = math.radians(writer.turn)
    cos, sin = math.cos(angle), math.sin(angle)
    amp = rng.normal(0.0, writer.wobble, (2, 2))
    freq = rng.uniform(1.0, 3.0, (2, 2))
    phase = rng.uniform(0, 2 * math.pi, (2, 2))
    out: list[Stroke] = []
    for stroke in digit_strokes(digit):
        pts = np.asarray(stroke, np.float64)
        for axis in (0, 1):
            for k in (0, 1):
                wave = np.sin(freq[axis, k] * math.pi * pts[:, 1 - axis] + phase[axis, k])
                pts[:, axis] += amp[axis, k] * wave
        pts = pts - 0.5 + rng.normal(0.0, 0.004, pts.shape)
        x = pts[:, 0] * writer.width + writer.slant * pts[:, 1]
        y = pts[:, 1]
        out.append([(cos * a - sin * b, sin * a + cos * b) for a, b in zip(x, y, strict=True)])
    return out


def writer_digit(
    digit: int, writer: Writer, rng: np.random.Generator, size: int = 280
) -> Image.Image:
    """``digit`` in ``writer``'s hand: white ink on a black ``size`` x ``size`` canvas (like
    the page's drawing pad), the digit 60% of the canvas high in its middle."""
    strokes = writer_strokes(digit, writer, rng)
    height = 0.6 * size
    return render_strokes(strokes, size, (size / 2, size / 2), height, writer.pen, invert=True)


def writer_set(writer: Writer, n: int, seed: int = 0) -> tuple[list[Image.Image], np.ndarray]:
    """``n`` digits in ``writer``'s hand and their labels (int64 (n,)), each digit equally often
    in order 0, 1, ..., 9, 0, ...; the same seed gives the same set."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.int64)
    return [writer_digit(int(d), writer, rng) for d in labels], labels
