"""The rules that refuse pictures without a digit (digitnet.preprocess.rules) let people's
real digits through: a stroke gone over twice, a small digit in a fat pen, a dashed stroke.
(The pictures that must be refused are in test_preprocess.py's NOT_DIGITS.)"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitnet import preprocess as pp
from digitnet import synthetic as sy
from digitnet.preprocess import ink, rules
from digitnet.preprocess import pipeline as pl


def measured(
    image: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> tuple[pp.Prepared, float, float]:
    """The prepared picture and the stroke length and coverage the shape rule measured."""
    seen: list[tuple[float, float]] = []
    check = pl.check_shape

    def spy(crop: np.ndarray, fitted: np.ndarray) -> str | None:
        seen.append((rules.stroke_length(crop), rules.coverage(fitted)))
        return check(crop, fitted)

    monkeypatch.setattr(pl, "check_shape", spy)
    prepared = pp.prepare(image)
    assert seen, prepared.reason
    return prepared, *seen[-1]


# People's pen drawings (digitnet.synthetic.pen_digit) whose stroke gone over twice beside
# itself makes their strokes longer than any MNIST digit's (3.6); the rule refused them at 4.2.
@pytest.mark.parametrize(("digit", "seed"), [(8, 768), (5, 2005), (9, 2379), (2, 2732)])
def test_a_stroke_gone_over_twice_is_no_scribble(
    digit: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared, length, _ = measured(sy.pen_digit(digit, np.random.default_rng(seed)), monkeypatch)
    assert 4.2 < length < rules.MAX_LENGTH
    assert prepared.found, prepared.reason


def test_a_small_digit_in_a_fat_pen_is_no_blob(monkeypatch: pytest.MonkeyPatch) -> None:
    # A small 8 whose loops are nearly filled by the pen, as on the page with the fattest pen.
    image = Image.new("L", (280, 280), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((118, 90, 150, 124), outline=255, width=15)
    draw.ellipse((114, 120, 154, 160), outline=255, width=16)
    prepared, _, cover = measured(image, monkeypatch)
    assert 0.7 < cover < rules.MAX_COVERAGE
    assert prepared.found, prepared.reason


def dashed_zero(dash: int = 20, gap: int = 10, specks: int = 0) -> Image.Image:
    """A 0 drawn as dashes (``dash`` degrees of ink, ``gap`` degrees apart), black on white,
    and ``specks`` dots far from it."""
    image = Image.new("L", (400, 300), 255)
    draw = ImageDraw.Draw(image)
    for start in range(0, 360, dash + gap):
        draw.arc((100, 50, 200, 250), start, start + dash, fill=0, width=6)
    for k in range(specks):
        x, y = 330 + 40 * (k % 2), 20 + 35 * k
        draw.ellipse((x, y, x + 12, y + 12), fill=0)
    return image


def test_a_dashed_stroke_is_one_digit_in_many_blobs() -> None:
    image = dashed_zero()
    grey = 1.0 - np.asarray(image, np.float32) / 255.0
    components = ink.label_components(grey > 0.5)
    assert len(components.sizes) == 12
    assert ink.keep_digit_parts(components).all()  # dash by dash, all twelve
    prepared = pp.prepare(image)
    assert prepared.found, prepared.reason
    top, left, bottom, right = prepared.box or (0, 0, 0, 0)
    assert bottom - top > 1.8 * (right - left)  # the whole tall 0, not one dash


def test_many_marks_away_from_the_digit_are_still_refused() -> None:
    prepared = pp.prepare(dashed_zero(specks=rules.MAX_STRAY))
    assert not prepared.found
    assert prepared.reason and "scattered" in prepared.reason
    assert pp.prepare(dashed_zero(specks=rules.MAX_STRAY - 1)).found
