"""Photographed digits: dark ink on light paper as a phone sees it (uneven lighting, blur,
sensor noise, a colour cast, JPEG compression)."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageFilter

from digitnet.synthetic.fonts import font_digit
from digitnet.synthetic.strokes import stroke_digit


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
    return photograph(mark, (w, h), rng)


def photograph(mark: Image.Image, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A photo (RGB, ``size`` = (w, h)) of the square greyscale ``mark`` (white = ink, its side
    at most min(w, h)) written in dark ink at a random place on light paper: uneven lighting,
    blur, sensor noise, a colour cast and JPEG compression (quality 35-85)."""
    w, h = size
    side = mark.width
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
