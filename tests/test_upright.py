"""MNIST deslanted once and kept in the cache folder (digitnet.upright)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from digitnet import upright
from digitnet.data import load_mnist
from digitnet.recipe import Recipe
from digitnet.runner import split_data
from digitnet.slant import deslant_pixels


@pytest.fixture(scope="module")
def test_images() -> np.ndarray:
    return load_mnist().test.images[:2000]


@pytest.fixture(autouse=True)
def keep_small_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upright, "MIN_CACHED", 1000)  # 2,000 digits are quicker than 10,000


@pytest.fixture(scope="module")
def wanted(test_images: np.ndarray) -> np.ndarray:
    return deslant_pixels(test_images)


def no_deslanting(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(images: np.ndarray) -> np.ndarray:
        raise AssertionError("deslanted again instead of read from the cache")

    monkeypatch.setattr(upright, "deslant_pixels", refuse)


def test_kept_then_read_back_the_same(
    tmp_path: Path, test_images: np.ndarray, wanted: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = upright.upright_pixels(test_images, tmp_path)
    assert first.tobytes() == wanted.tobytes()
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))
    assert files[0].name.startswith(upright.digest(test_images))
    no_deslanting(monkeypatch)
    again = upright.upright_pixels(test_images, tmp_path)
    assert again.dtype == np.uint8 and again.tobytes() == wanted.tobytes()


def test_other_images_are_not_mistaken_for_kept_ones(
    tmp_path: Path, test_images: np.ndarray, wanted: np.ndarray
) -> None:
    upright.upright_pixels(test_images, tmp_path)
    other = test_images[::-1].copy()
    assert upright.upright_pixels(other, tmp_path).tobytes() == wanted[::-1].tobytes()
    assert len(list(tmp_path.glob("*.npy"))) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_file_is_deslanted_again(
    tmp_path: Path, test_images: np.ndarray, wanted: np.ndarray, damage: str
) -> None:
    upright.upright_pixels(test_images, tmp_path)
    (path,) = tmp_path.glob("*.npy")
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-5000] ^= 0x40
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not a numpy file at all")
    path.write_bytes(bytes(data))
    assert upright.upright_pixels(test_images, tmp_path).tobytes() == wanted.tobytes()


def test_a_folder_that_cannot_be_written_only_costs_time(
    tmp_path: Path, test_images: np.ndarray, wanted: np.ndarray
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    assert upright.upright_pixels(test_images, blocked / "cache").tobytes() == wanted.tobytes()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert upright.upright_pixels(test_images, locked).tobytes() == wanted.tobytes()


def test_small_sets_are_not_kept(tmp_path: Path, test_images: np.ndarray) -> None:
    upright.upright_pixels(test_images[:999], tmp_path)
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_a_deslanted_recipe_reads_mnist_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upright, "MIN_CACHED", 10_000)
    mnist = load_mnist()
    recipe = Recipe.preset("quick", limit=1000, validation_size=500)
    first = split_data(recipe, mnist)  # fills $DIGITNET_CACHE (the tests' own, see conftest)
    assert len(list(upright.cache_folder().glob("*.npy"))) >= 2
    no_deslanting(monkeypatch)
    second = split_data(recipe, mnist)
    for a, b in zip(
        (first.train, first.validation, first.test),
        (second.train, second.validation, second.test),
        strict=True,
    ):
        assert a.images.tobytes() == b.images.tobytes() and np.array_equal(a.labels, b.labels)
    assert len(second.train) == 1000 and len(second.validation) == 500
    # Cut after deslanting the whole set: the same digits as deslanting the cut pieces.
    whole = mnist.train.images
    assert second.validation.images.tobytes() == deslant_pixels(whole[-500:]).tobytes()
    assert second.train.images.tobytes() == deslant_pixels(whole[:1000]).tobytes()
