"""A writer's style MNIST lacks (digitnet.styles): flags drawn on MNIST's own 1s, only where
asked, the same for the same seed, and only on the images trained on."""

from __future__ import annotations

import numpy as np
import pytest

from digitnet.data import MNIST, Dataset, load_mnist
from digitnet.errors import DigitnetError
from digitnet.recipe import Recipe
from digitnet.runner import split_data
from digitnet.styles import flag_ones, ink_rows, segments


@pytest.fixture(scope="module")
def mnist() -> MNIST:
    return load_mnist()


@pytest.fixture(scope="module")
def sample(mnist: MNIST) -> Dataset:
    return mnist.train.subset(0, 3000)


def test_a_stroke_is_inked_along_its_length_and_soft_at_its_edge() -> None:
    one = np.ones(1, np.float32)
    ink = segments((one * 5, one * 10), (one * 20, one * 10), one * 2)[0]
    assert ink[10, 5:21].min() == 1.0  # along the stroke, full ink
    assert ink[9, 8:18].max() == pytest.approx(0.5) and ink[11, 8:18].min() == pytest.approx(0.5)
    assert ink[:8].max() == 0.0 and ink[13:].max() == 0.0 and ink[:, :3].max() == 0.0


def test_share_zero_changes_nothing_and_gives_a_copy(sample: Dataset) -> None:
    flagged = flag_ones(sample.images, sample.labels, 0.0, seed=3)
    assert np.array_equal(flagged, sample.images) and flagged is not sample.images


def test_only_ones_get_ink_and_only_more(sample: Dataset) -> None:
    flagged = flag_ones(sample.images, sample.labels, 1.0, seed=3)
    changed = (flagged != sample.images).any(axis=(1, 2))
    assert set(np.unique(sample.labels[changed]).tolist()) == {1}
    assert (flagged >= sample.images).all()  # a stroke is added, none erased
    assert changed[sample.labels == 1].mean() > 0.9  # all but the few 1s that lean back


def test_the_share_chooses_about_that_many(sample: Dataset) -> None:
    flagged = flag_ones(sample.images, sample.labels, 0.3, seed=3)
    ones = sample.labels == 1
    assert 0.2 < (flagged[ones] != sample.images[ones]).any(axis=(1, 2)).mean() < 0.4


def test_the_same_seed_draws_the_same(sample: Dataset) -> None:
    first = flag_ones(sample.images, sample.labels, 0.5, seed=11)
    assert np.array_equal(first, flag_ones(sample.images, sample.labels, 0.5, seed=11))
    assert not np.array_equal(first, flag_ones(sample.images, sample.labels, 0.5, seed=12))


def test_a_flag_falls_to_the_left_from_the_top(sample: Dataset) -> None:
    flagged = flag_ones(sample.images, sample.labels, 1.0, seed=5)
    added = flagged.astype(np.float32) - sample.images.astype(np.float32)
    chosen = np.flatnonzero((sample.labels == 1) & (added.sum(axis=(1, 2)) > 0))
    top, bottom = ink_rows(sample.images[chosen].astype(np.float32) / np.float32(255))
    height = (bottom - top).astype(np.float32)
    new = added[chosen]
    weight = new.sum(axis=(1, 2))
    rows = (new.sum(axis=2) * np.arange(28)).sum(axis=1) / weight
    assert ((rows - top) / height < 0.35).all()  # at the top of the 1
    columns = np.arange(28, dtype=np.float32)
    upper = np.arange(28)[None, :, None] < (top + height / 2)[:, None, None]
    old = sample.images[chosen].astype(np.float32) * upper
    flag_x = (new.sum(axis=1) * columns).sum(axis=1) / weight
    old_x = (old.sum(axis=1) * columns).sum(axis=1) / old.sum(axis=(1, 2))
    assert (flag_x < old_x).mean() > 0.85  # left of the stroke (pointing right: none)


def test_a_share_outside_zero_to_one_is_refused(sample: Dataset) -> None:
    with pytest.raises(ValueError, match="share"):
        flag_ones(sample.images, sample.labels, 1.5)
    with pytest.raises(DigitnetError, match="flagged_ones"):
        Recipe(flagged_ones=2.0).validate()


def test_the_recipe_flags_only_the_images_trained_on(mnist: MNIST) -> None:
    plain = split_data(Recipe(validation_size=10_000), mnist)
    flagged = split_data(Recipe(validation_size=10_000, flagged_ones=0.5), mnist)
    assert np.array_equal(flagged.validation.images, plain.validation.images)
    assert np.array_equal(flagged.test.images, plain.test.images)
    changed = (flagged.train.images != plain.train.images).any(axis=(1, 2))
    assert set(np.unique(plain.train.labels[changed]).tolist()) == {1}
    assert 0.4 < changed[plain.train.labels == 1].mean() < 0.55
    # the seed of the recipe draws them, and the same recipe draws the same
    again = split_data(Recipe(validation_size=10_000, flagged_ones=0.5), mnist)
    assert np.array_equal(again.train.images, flagged.train.images)
    other = split_data(Recipe(validation_size=10_000, flagged_ones=0.5, seed=1), mnist)
    assert not np.array_equal(other.train.images, flagged.train.images)
