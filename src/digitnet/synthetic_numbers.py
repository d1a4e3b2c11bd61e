"""Pictures of whole numbers made of separate digit pictures, to test :mod:`digitnet.numbers`.

:func:`compose` lays digit pictures (dark ink on light paper) side by side like a person
writes a number: heights varying by up to a quarter, baselines wandering, gaps from a slight
overlap to wide; :func:`photograph` makes it look like a phone's photo (uneven light, blur,
noise, JPEG). :func:`make_numbers` draws numbers with the easy pen strokes of
:mod:`digitnet.synthetic` or its people's pen drawings (``hand="pen"``), and
:func:`make_boxed_numbers` also gives each digit's true box; :func:`usps_digits` reads real
handwritten digits (the USPS scans, see ``../shared/usps/README.md``) to compose numbers from.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from digitnet import synthetic as sy

#: Where the USPS scans are (a checkout's sibling folder ``shared/usps``), if anywhere.
USPS_FILE = Path(__file__).resolve().parents[3] / "shared" / "usps" / "zip.train.gz"
#: Gaps between digits, in units of the digit height: from this overlap ...
MIN_GAP = -0.04
#: ... to this much white.
MAX_GAP = 0.6
#: Digit heights vary by up to this fraction of the number's height (up or down) ...
HEIGHT_SPREAD = 0.25
#: ... and their baselines by up to this fraction.
BASELINE_SPREAD = 0.12


def ink_of(picture: Image.Image) -> NDArray[np.float32]:
    """A digit picture as ink (float32 (h, w), 1 = ink), dark ink on a light background or
    light on dark, cropped to the ink."""
    grey = np.asarray(picture.convert("L"), np.float32) / 255.0
    ink = 1.0 - grey if float(np.median(grey)) > 0.5 else grey
    ink = np.where(ink > 0.02, ink, 0.0).astype(np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def scaled(ink: NDArray[np.float32], height: int) -> NDArray[np.float32]:
    """Ink scaled so that it is ``height`` pixels high (aspect ratio kept)."""
    h, w = ink.shape
    width = max(1, round(w * height / h))
    image = Image.fromarray(ink, "F").resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(image, np.float32), 0.0, 1.0)


def compose(
    inks: Sequence[NDArray[np.float32]],
    rng: np.random.Generator,
    height: int = 64,
    gaps: tuple[float, float] = (MIN_GAP, MAX_GAP),
    touching: float = 0.0,
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """Digit inks (from :func:`ink_of`) written side by side as one number: a greyscale ("L")
    picture, dark ink on white, and each digit's box (x0, y0, x1, y1). Each digit is
    ``height`` pixels high give or take ``HEIGHT_SPREAD``, its baseline moved by up to
    ``BASELINE_SPREAD``; the gap before it is a uniform fraction of ``height`` in ``gaps``,
    and with probability ``touching`` it overlaps its neighbour by 3 to 8% of ``height``."""
    margin = height // 2
    placed: list[tuple[NDArray[np.float32], int, int]] = []
    x = margin
    for i, ink in enumerate(inks):
        h = max(8, round(height * (1.0 + rng.uniform(-HEIGHT_SPREAD, HEIGHT_SPREAD) / 2)))
        digit = scaled(ink, h)
        if i:
            gap = rng.uniform(*gaps)
            if rng.random() < touching:
                gap = -rng.uniform(0.03, 0.08)
            x += round(gap * height)
        y = margin + round(rng.uniform(-BASELINE_SPREAD, BASELINE_SPREAD) * height) + height - h
        placed.append((digit, x, y))
        x += digit.shape[1]
    width = x + margin
    canvas = np.zeros((2 * margin + 2 * height, width), np.float32)
    boxes = []
    for digit, left, top in placed:
        top += height // 2
        h, w = digit.shape
        region = canvas[top : top + h, left : left + w]
        np.maximum(region, digit, out=region)
        boxes.append((left, top, left + w, top + h))
    picture = Image.fromarray(np.round(255.0 * (1.0 - canvas)).astype(np.uint8), "L")
    return picture, boxes


def photograph(picture: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A picture of dark ink on white as a phone would see it: paper and ink levels, uneven
    lighting (:func:`digitnet.synthetic.lighting`), a colour cast, blur, sensor noise and JPEG
    compression; RGB."""
    ink = 1.0 - np.asarray(picture.convert("L"), np.float32) / 255.0
    h, w = ink.shape
    paper, dark = rng.uniform(0.75, 0.95), rng.uniform(0.05, 0.3)
    scene = (paper + (dark - paper) * ink) * sy.lighting((w, h), rng).astype(np.float32)
    tint = np.array([1.0, rng.uniform(0.93, 1.0), rng.uniform(0.8, 0.97)], np.float32)
    rgb = np.clip(scene[:, :, None] * (tint * 255.0), 0, 255).astype(np.uint8)
    photo = Image.fromarray(rgb, "RGB").filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.5)))
    noise = rng.standard_normal((h, w, 3)).astype(np.float32) * np.float32(rng.uniform(2.0, 7.0))
    noisy = np.clip(np.asarray(photo, np.float32) + noise, 0, 255).astype(np.uint8)
    return sy.jpeg_round_trip(Image.fromarray(noisy, "RGB"), int(rng.integers(40, 86)))


def stroke_ink(digit: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A pen-stroke digit of :func:`digitnet.synthetic.stroke_digit` as ink."""
    return ink_of(sy.stroke_digit(digit, rng, size=200, invert=False))


def pen_ink(digit: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A digit as people draw it (:func:`digitnet.synthetic.pen_digit`: many writers' hands
    and styles, thin to fat pens, mouse-sampled strokes) as ink."""
    return ink_of(sy.pen_digit(digit, rng, invert=False))


#: How the digits of :func:`make_numbers` are drawn when no ``inks`` are given.
HANDS: dict[str, Callable[[int, np.random.Generator], NDArray[np.float32]]] = {
    "strokes": stroke_ink,
    "pen": pen_ink,
}


def number_picture(
    inks: Sequence[NDArray[np.float32]],
    rng: np.random.Generator,
    photo: bool,
    touching: float,
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A number's picture from its digits' inks (see :func:`compose`), drawn (greyscale) or
    photographed (RGB), and each digit's box (x0, y0, x1, y1)."""
    picture, boxes = compose(inks, rng, height=int(rng.integers(40, 90)), touching=touching)
    return (photograph(picture, rng) if photo else picture), boxes


def make_numbers(
    n: int,
    seed: int = 0,
    lengths: tuple[int, int] = (2, 8),
    photo: bool = False,
    touching: float = 0.0,
    inks: Sequence[tuple[int, NDArray[np.float32]]] | None = None,
    hand: str = "strokes",
) -> tuple[list[Image.Image], list[str]]:
    """``n`` pictures of numbers with ``lengths`` digits (both ends included) and their text.
    Digits are drawn in ``hand`` (see :data:`HANDS`: the easy pen strokes or people's pen
    drawings of :mod:`digitnet.synthetic`), or taken from ``inks`` ((label, ink) pairs, e.g.
    :func:`usps_digits`); ``photo`` photographs them; ``touching`` is the chance that a digit
    overlaps the one before it. The same seed gives the same set."""
    pictures, texts, _ = make_boxed_numbers(n, seed, lengths, photo, touching, inks, hand)
    return pictures, texts


def make_boxed_numbers(
    n: int,
    seed: int = 0,
    lengths: tuple[int, int] = (2, 8),
    photo: bool = False,
    touching: float = 0.0,
    inks: Sequence[tuple[int, NDArray[np.float32]]] | None = None,
    hand: str = "strokes",
) -> tuple[list[Image.Image], list[str], list[list[tuple[int, int, int, int]]]]:
    """:func:`make_numbers`, and each number's digit boxes (x0, y0, x1, y1) in its picture."""
    if hand not in HANDS:
        raise ValueError(f"hand must be one of {', '.join(HANDS)}, not {hand!r}")
    rng = np.random.default_rng(seed)
    pictures: list[Image.Image] = []
    texts: list[str] = []
    boxes: list[list[tuple[int, int, int, int]]] = []
    for _ in range(n):
        count = int(rng.integers(lengths[0], lengths[1] + 1))
        if inks is None:
            digits = [int(d) for d in rng.integers(0, 10, count)]
            chosen = [HANDS[hand](d, rng) for d in digits]
        else:
            picks = rng.integers(0, len(inks), count)
            digits = [inks[int(i)][0] for i in picks]
            chosen = [inks[int(i)][1] for i in picks]
        picture, placed = number_picture(chosen, rng, photo, touching)
        pictures.append(picture)
        texts.append("".join(str(d) for d in digits))
        boxes.append(placed)
    return pictures, texts, boxes


def usps_digits(
    path: Path = USPS_FILE, limit: int | None = None
) -> list[tuple[int, NDArray[np.float32]]]:
    """The USPS scans as (label, ink) pairs: each 16x16 digit (-1 background, 1 ink) scaled to
    64 pixels high, cropped to its ink. FileNotFoundError when the file is not there."""
    pairs: list[tuple[int, NDArray[np.float32]]] = []
    with gzip.open(path, "rt") as handle:
        for line in handle:
            values = [float(v) for v in line.split()]
            if len(values) != 257:
                continue
            ink = ((np.asarray(values[1:], np.float32) + 1.0) / 2.0).reshape(16, 16)
            big = Image.fromarray(ink, "F").resize((64, 64), Image.Resampling.BICUBIC)
            pairs.append((int(values[0]), ink_of_array(np.asarray(big, np.float32))))
            if limit is not None and len(pairs) >= limit:
                break
    return pairs


def ink_of_array(ink: NDArray[np.float32]) -> NDArray[np.float32]:
    """Ink (1 = ink) clipped to 0..1 and cropped to its pixels above 0.05."""
    ink = np.clip(ink, 0.0, 1.0)
    ink = np.where(ink > 0.05, ink, 0.0).astype(np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
