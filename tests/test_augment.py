"""Random distortions of training digits: shapes, determinism, and that they move ink as meant."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from digitnet.augment import Augmentation, Distortion, augment_batch, distort, sample_distortion
from digitnet.data import images_to_inputs, load_mnist
from digitnet.errors import DigitnetError

EVERYTHING = Augmentation(shift=3, rotate=15, scale=0.15, elastic=2.5, thickness=0.5)


@pytest.fixture(scope="module")
def digits() -> NDArray[np.float32]:
    """200 MNIST test digits as (200, 784) float32 inputs."""
    return images_to_inputs(load_mnist().test.images[:200])


def dot(row: int, col: int, n: int = 1) -> NDArray[np.float32]:
    """n black 28x28 images with one white pixel."""
    images = np.zeros((n, 28, 28), dtype=np.float32)
    images[:, row, col] = 1.0
    return images


def centroid(images: NDArray[np.float32]) -> NDArray[np.float64]:
    """(n, 2): the (row, col) centre of mass of the ink of each image."""
    x: NDArray[np.float64] = images.reshape(-1, 28, 28).astype(np.float64)
    mass = x.sum(axis=(1, 2))
    rows = (x.sum(axis=2) * np.arange(28)).sum(axis=1) / mass
    cols = (x.sum(axis=1) * np.arange(28)).sum(axis=1) / mass
    centres: NDArray[np.float64] = np.stack([rows, cols], axis=1)
    return centres


def ink(images: NDArray[np.float32]) -> NDArray[np.float64]:
    """(n,): the total brightness of each image."""
    total: NDArray[np.float64] = images.reshape(len(images), -1).sum(axis=1, dtype=np.float64)
    return total


def test_output_shape_dtype_and_range(digits: NDArray[np.float32]) -> None:
    rng = np.random.default_rng(0)
    before = digits.copy()
    for images in (digits, digits.reshape(-1, 28, 28), load_mnist().test.images[:200]):
        out = augment_batch(images, rng, EVERYTHING)
        assert out.shape == (200, 784)
        assert out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0
        assert out.max() > 0.9  # still white ink on black
    np.testing.assert_array_equal(digits, before)  # the input is left alone
    # Float pixels outside 0..1 come out clipped into 0..1.
    out = augment_batch(digits * 3 - 1, rng, EVERYTHING)
    assert out.min() == 0.0 and out.max() == 1.0


def test_empty_batch_and_bad_shapes() -> None:
    rng = np.random.default_rng(0)
    assert augment_batch(np.zeros((0, 784), np.float32), rng, EVERYTHING).shape == (0, 784)
    with pytest.raises(DigitnetError, match="784"):
        augment_batch(np.zeros((3, 28 * 27), np.float32), rng, EVERYTHING)
    with pytest.raises(DigitnetError, match="not for a batch of 3"):
        distort(np.zeros((3, 784), np.float32), Distortion.same(2))


def test_the_identity_returns_the_input(digits: NDArray[np.float32]) -> None:
    rng = np.random.default_rng(0)
    assert Augmentation.none().is_identity()
    out = augment_batch(digits, rng, Augmentation.none())
    np.testing.assert_allclose(out, digits, atol=1e-6)
    assert not np.shares_memory(out, digits)  # a copy: training may change it in place
    uint8 = load_mnist().test.images[:50]
    np.testing.assert_allclose(
        augment_batch(uint8, rng, Augmentation.none()), digits[:50], atol=1e-6
    )
    # The warp itself, with nothing to do, reads every pixel exactly where it was.
    np.testing.assert_allclose(distort(digits, Distortion.same(200)), digits, atol=1e-6)


def test_same_seed_same_output_and_different_seed_different_output(
    digits: NDArray[np.float32],
) -> None:
    first = augment_batch(digits, np.random.default_rng(42), EVERYTHING)
    again = augment_batch(digits, np.random.default_rng(42), EVERYTHING)
    other = augment_batch(digits, np.random.default_rng(43), EVERYTHING)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 0.5
    assert np.abs(first - digits).mean() > 0.02  # it did distort


def test_a_whole_pixel_shift_moves_a_dot_exactly() -> None:
    out = distort(dot(10, 12), Distortion.same(1, shift_x=3, shift_y=-2)).reshape(28, 28)
    expected = dot(8, 15)[0]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_a_half_pixel_shift_splits_a_dot_between_two_pixels() -> None:
    out = distort(dot(10, 12), Distortion.same(1, shift_x=0.5)).reshape(28, 28)
    assert out[10, 12] == pytest.approx(0.5) and out[10, 13] == pytest.approx(0.5)
    assert out.sum() == pytest.approx(1.0)


def test_random_shifts_move_dots_by_the_drawn_amounts() -> None:
    aug = Augmentation(shift=2.5, rotate=0, scale=0)
    drawn = sample_distortion(64, np.random.default_rng(7), aug)
    out = augment_batch(dot(14, 13, 64).reshape(64, 784), np.random.default_rng(7), aug)
    moved = centroid(out) - [14, 13]
    np.testing.assert_allclose(moved[:, 0], drawn.shift_y, atol=1e-4)
    np.testing.assert_allclose(moved[:, 1], drawn.shift_x, atol=1e-4)
    assert np.abs(moved).max() <= 2.5
    assert np.abs(moved).max() > 2.0  # they do spread over the allowed range
    np.testing.assert_allclose(ink(out), 1.0, atol=1e-5)


def test_positive_angles_turn_counter_clockwise_about_the_centre() -> None:
    # The centre of the 28x28 grid is (13.5, 13.5); (13.5, 20.5) is 7 pixels to its right.
    right = np.zeros((1, 28, 28), np.float32)
    right[0, 13:15, 20] = 0.5  # a dot centred at row 13.5, column 20
    up = centroid(distort(right, Distortion.same(1, angle=90)))[0]
    np.testing.assert_allclose(up, [13.5 - 6.5, 13.5], atol=1e-4)  # now above the centre
    left = centroid(distort(right, Distortion.same(1, angle=180)))[0]
    np.testing.assert_allclose(left, [13.5, 13.5 - 6.5], atol=1e-4)


def test_small_rotations_keep_the_ink(digits: NDArray[np.float32]) -> None:
    aug = Augmentation(shift=0, rotate=15, scale=0)
    out = augment_batch(digits, np.random.default_rng(1), aug)
    ratio = ink(out) / ink(digits)
    assert 0.97 < ratio.mean() < 1.03
    assert 0.85 < ratio.min() and ratio.max() < 1.15
    assert np.abs(out - digits).mean() > 0.02


def test_scaling_up_grows_the_ink_by_the_area(digits: NDArray[np.float32]) -> None:
    bigger = distort(digits, Distortion.same(len(digits), scale=1.25))
    assert ink(bigger).sum() / ink(digits).sum() == pytest.approx(1.25**2, rel=0.05)
    smaller = distort(digits, Distortion.same(len(digits), scale=0.8))
    assert ink(smaller).sum() / ink(digits).sum() == pytest.approx(0.8**2, rel=0.05)


def test_thickness_dilates_and_erodes_strokes(digits: NDArray[np.float32]) -> None:
    n = len(digits)
    bolder = distort(digits, Distortion.same(n, stroke=1.0))
    thinner = distort(digits, Distortion.same(n, stroke=-1.0))
    assert np.all(ink(bolder) > 1.3 * ink(digits))
    assert np.all(ink(thinner) < 0.8 * ink(digits))
    assert np.all(bolder >= digits - 1e-6)  # a dilation never removes ink
    assert np.all(thinner <= digits + 1e-6)
    # Random thickness changes make digits bolder or thinner, but never wipe them out.
    aug = Augmentation(shift=0, rotate=0, scale=0, thickness=1.0)
    out = augment_batch(digits, np.random.default_rng(0), aug)
    change = ink(out) / ink(digits)
    assert np.all((change > 1.05) | (change < 0.95))
    assert 60 < (change > 1).sum() < 140
    assert change.min() > 0.25


def test_thickness_probability_picks_that_share_of_images(digits: NDArray[np.float32]) -> None:
    aug = Augmentation(shift=0, rotate=0, scale=0, thickness=0.5)
    out = augment_batch(digits, np.random.default_rng(3), aug)
    changed = np.abs(out - digits).max(axis=1) > 1e-6
    assert 60 < changed.sum() < 140  # about half of 200


def test_elastic_displacement_is_smooth_and_bounded(digits: NDArray[np.float32]) -> None:
    aug = Augmentation(shift=0, rotate=0, scale=0, elastic=3.0)
    d = sample_distortion(len(digits), np.random.default_rng(5), aug)
    assert d.displacement is not None
    field = d.displacement
    assert field.shape == (200, 2, 28, 28)
    assert np.abs(field).max() <= 3.0
    assert np.abs(field).max() > 1.0
    assert np.abs(np.diff(field, axis=-1)).max() < 0.6  # neighbours move together
    assert np.abs(np.diff(field, axis=-2)).max() < 0.6
    out = augment_batch(digits, np.random.default_rng(5), aug)
    assert np.abs(out - digits).mean() > 0.02
    assert 0.9 < ink(out).sum() / ink(digits).sum() < 1.1


def test_big_batches_give_the_same_result_as_small_ones(digits: NDArray[np.float32]) -> None:
    d = sample_distortion(200, np.random.default_rng(9), EVERYTHING)
    whole = distort(digits, d)
    for start, stop in ((0, 1), (127, 130), (150, 200)):
        part = distort(digits[start:stop], d.part(slice(start, stop)))
        np.testing.assert_allclose(whole[start:stop], part, atol=1e-6)


def test_augmentation_settings_are_checked_and_round_trip() -> None:
    aug = Augmentation(shift=1, rotate=5, scale=0.1, elastic=2, thickness=0.25)
    assert aug.to_dict() == {
        "shift": 1.0,
        "rotate": 5.0,
        "scale": 0.1,
        "elastic": 2.0,
        "thickness": 0.25,
        "stretch": 0.0,
    }
    assert Augmentation.from_dict(aug.to_dict()) == aug
    assert not aug.is_identity() and not Augmentation().is_identity()
    assert Augmentation.from_dict({"shift": 0, "rotate": 0, "scale": 0}).is_identity()
    for bad in ({"shift": -1}, {"rotate": float("nan")}, {"scale": 1.0}, {"thickness": 1.5}):
        with pytest.raises(DigitnetError):
            Augmentation(**bad)
    with pytest.raises(DigitnetError, match="wobble"):
        Augmentation.from_dict({"wobble": 1.0})


@settings(max_examples=25, deadline=None)
@given(
    shift=st.floats(0, 30),
    rotate=st.floats(0, 360),
    scale=st.floats(0, 0.9),
    elastic=st.floats(0, 30),
    thickness=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_settings_give_valid_images(
    shift: float, rotate: float, scale: float, elastic: float, thickness: float, seed: int
) -> None:
    aug = Augmentation(shift, rotate, scale, elastic, thickness)
    images = np.random.default_rng(seed).random((5, 784), dtype=np.float32)
    out = augment_batch(images, np.random.default_rng(seed), aug)
    assert out.shape == (5, 784) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
