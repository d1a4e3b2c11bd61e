"""The warp's pixels are the ones the shipped networks learnt from, bit for bit.

`digitnet train --preset video` (and `wide`) give the shipped networks back bit for bit only
while every distorted training pixel stays the same. The warp in digitnet.augment is tuned for
speed (work space reused, a product for the index, reads without bounds checks, results written
in place); this file keeps the warp as first written, plainly, and checks that both give the
same bits for every kind of distortion, in batches that do and do not fill whole blocks.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from digitnet.augment import (
    PAD,
    SIZE,
    Distortion,
    _restroke,
    _source_points,
    augmentation_for,
    distort,
    sample_distortion,
)
from digitnet.data import images_to_inputs, load_mnist
from digitnet.errors import DigitnetError

PADDED = SIZE + 2 * PAD
BLOCK = 128  # the shipped networks' images were warped 128 at a time


def plain_warp(x: NDArray[np.float32], d: Distortion) -> NDArray[np.float32]:
    """The bilinear warp of one block of images (n, 28, 28) as first written -> (n, 784)."""
    n = len(x)
    points = _source_points(d, n)
    np.clip(points, 0, PADDED - 2, out=points)
    corner = np.floor(points)
    fraction = points - corner
    fx, fy = fraction[:, 0], fraction[:, 1]
    place = corner[:, 1] * np.float32(PADDED)
    place += corner[:, 0]
    place += (np.arange(n, dtype=np.float32) * np.float32(PADDED * PADDED))[:, None, None]
    index = place.astype(np.intp)
    padded = np.zeros((n, PADDED, PADDED), dtype=np.float32)
    padded[:, PAD:-PAD, PAD:-PAD] = x
    flat = padded.reshape(-1)
    upper_left = flat[index]
    upper_right = flat[index + 1]
    lower_left = flat[index + PADDED]
    lower_right = flat[index + PADDED + 1]
    upper = upper_left + (upper_right - upper_left) * fx
    lower = lower_left + (lower_right - lower_left) * fx
    out = np.clip(upper + (lower - upper) * fy, 0.0, 1.0)
    return out.reshape(n, SIZE * SIZE)


def plain_distort(images: NDArray[np.float32], d: Distortion) -> NDArray[np.float32]:
    x = images.reshape(-1, SIZE, SIZE)
    if np.any(d.stroke):
        x = _restroke(x, d.stroke)
    blocks = [slice(start, start + BLOCK) for start in range(0, len(x), BLOCK)]
    return np.concatenate([plain_warp(x[block], d.part(block)) for block in blocks])


@pytest.fixture(scope="module")
def digits() -> NDArray[np.float32]:
    """300 MNIST training digits as (300, 784) float32 inputs: two whole blocks and a part."""
    return images_to_inputs(load_mnist().train.images[:300])


@pytest.mark.parametrize("preset", ["small", "light", "full", "strong", "stretch"])
@pytest.mark.parametrize("n", [1, 128, 300])
def test_the_warp_gives_the_first_warps_pixels_bit_for_bit(
    digits: NDArray[np.float32], preset: str, n: int
) -> None:
    aug = augmentation_for(preset)
    assert aug is not None
    d = sample_distortion(n, np.random.default_rng(n), aug)
    fast = distort(digits[:n], d)
    plain = plain_distort(digits[:n], d)
    assert fast.dtype == plain.dtype == np.float32
    assert fast.tobytes() == plain.tobytes()


def test_distort_writes_into_the_array_it_is_given(digits: NDArray[np.float32]) -> None:
    d = sample_distortion(200, np.random.default_rng(3), augmentation_for("full"))  # type: ignore[arg-type]
    out = np.full((200, SIZE * SIZE), -1.0, dtype=np.float32)
    assert distort(digits[:200], d, out=out) is out
    assert out.tobytes() == distort(digits[:200], d).tobytes()


@pytest.mark.parametrize(
    "out", [np.empty((199, 784), np.float32), np.empty((200, 784), np.float64)]
)
def test_distort_refuses_an_array_of_another_shape_or_type(
    digits: NDArray[np.float32], out: NDArray[np.generic]
) -> None:
    d = Distortion.same(200, angle=5.0)
    with pytest.raises(DigitnetError, match="output must be float32"):
        distort(digits[:200], d, out=out)  # type: ignore[arg-type]
