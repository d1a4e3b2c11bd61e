"""Stretching widths alone (the ``stretch`` augmentation): where ink goes, what is drawn."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from digitnet.augment import (
    Augmentation,
    Distortion,
    augment_batch,
    augmentation_for,
    distort,
    sample_distortion,
)
from digitnet.errors import DigitnetError


def stretched(n: int, factor: float, **same: float) -> Distortion:
    """The same distortion for n images, with their widths times ``factor``."""
    d = Distortion.same(n, **same)
    return Distortion(
        d.angle, d.scale, d.shift_x, d.shift_y, d.stroke,
        stretch=np.full(n, factor, np.float32),
    )  # fmt: skip


def centre_of_ink(image: NDArray[np.float32]) -> tuple[float, float]:
    """(row, column) of the centre of mass of one image's ink."""
    x = image.reshape(28, 28).astype(np.float64)
    rows, cols = np.indices((28, 28))
    return float((x * rows).sum() / x.sum()), float((x * cols).sum() / x.sum())


def test_a_stretch_moves_ink_sideways_from_the_centre_and_never_up_or_down() -> None:
    # Dots centred 7 pixels right of the grid's centre (13.5, 13.5) and 7 pixels below it.
    right = np.zeros((1, 28, 28), np.float32)
    right[0, 13:15, 20:22] = 0.25
    below = np.zeros((1, 28, 28), np.float32)
    below[0, 20:22, 13:15] = 0.25
    row, col = centre_of_ink(distort(right, stretched(1, 1.3)))
    assert (row, col) == pytest.approx((13.5, 13.5 + 7 * 1.3), abs=0.1)
    row, col = centre_of_ink(distort(right, stretched(1, 0.8)))
    assert (row, col) == pytest.approx((13.5, 13.5 + 7 * 0.8), abs=0.1)
    assert centre_of_ink(distort(below, stretched(1, 1.3))) == pytest.approx((20.5, 13.5), abs=0.1)
    # After a quarter turn the dot below is on the right: the stretch is across the picture.
    turned = centre_of_ink(distort(below, stretched(1, 1.3, angle=90)))
    assert turned == pytest.approx((13.5, 13.5 + 7 * 1.3), abs=0.1)


def test_widening_a_digit_adds_ink_in_proportion() -> None:
    digit = np.zeros((1, 28, 28), np.float32)
    digit[0, 6:22, 11:17] = 1.0  # a bar 6 pixels wide
    wider = distort(digit, stretched(1, 1.5)).reshape(28, 28)
    assert wider.sum() / digit.sum() == pytest.approx(1.5, rel=0.02)
    columns = wider.sum(axis=0) / 16  # 8 whole columns and a half one on either side: 9
    assert np.count_nonzero(columns > 0.99) == 8 and columns.sum() == pytest.approx(9.0)
    assert np.count_nonzero(wider.sum(axis=1) > 0.5) == 16  # as tall as before


def test_stretches_are_drawn_within_the_limit_after_everything_else() -> None:
    full, stretch = augmentation_for("full"), augmentation_for("stretch")
    assert full is not None and stretch is not None
    assert stretch == Augmentation(**{**full.to_dict(), "stretch": 0.3})
    plain = sample_distortion(500, np.random.default_rng(3), full)
    drawn = sample_distortion(500, np.random.default_rng(3), stretch)
    assert plain.stretch is None  # a recipe without stretch draws what it always drew
    for name in ("angle", "scale", "shift_x", "shift_y", "stroke", "displacement"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(drawn, name))
    assert drawn.stretch is not None and drawn.stretch.dtype == np.float32
    assert 0.7 <= drawn.stretch.min() < 0.72 and 1.28 < drawn.stretch.max() <= 1.3


def test_stretches_survive_splitting_and_joining_batches() -> None:
    aug = Augmentation(shift=1, rotate=10, scale=0.1, elastic=1.5, stretch=0.3)
    images = np.random.default_rng(5).random((300, 784), dtype=np.float32)
    d = sample_distortion(300, np.random.default_rng(6), aug, spread=False)
    joined = Distortion.join([d.part(slice(0, 100)), d.part(slice(100, 300))])
    assert joined.stretch is not None and d.stretch is not None
    np.testing.assert_array_equal(joined.stretch, d.stretch)
    whole = distort(images, d.spread())
    np.testing.assert_allclose(distort(images[:100], d.part(slice(0, 100)).spread()), whole[:100])
    out = augment_batch(images, np.random.default_rng(6), aug)
    assert out.shape == (300, 784) and 0.0 <= out.min() and out.max() <= 1.0
    with pytest.raises(DigitnetError, match="not for a batch of 299"):
        distort(images[:299], d)


def test_a_stretch_of_one_or_more_is_refused() -> None:
    for bad in (1.0, 2.0, -0.1):
        with pytest.raises(DigitnetError, match="stretch"):
            Augmentation(stretch=bad)
