"""One person's consistent hand: the same slant, turn, width and pen in every digit, to test
teaching the network someone's handwriting (:mod:`digitnet.teach`).

A :class:`Writer` says how the hand differs from the templates of
:func:`~digitnet.synthetic.strokes.digit_strokes`; :func:`writer_set` draws digits in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digitnet.synthetic.strokes import Stroke, digit_strokes, render_strokes


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
