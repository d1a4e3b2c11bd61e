"""Reading a digit five times, shifted a pixel each way (digitnet.looks): the shifts, the
average, the model file's record, the recipe option and every reading path that uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from digitnet import load_pretrained
from digitnet import looks as lk
from digitnet.data import load_mnist
from digitnet.errors import ModelFileError
from digitnet.network import Network
from digitnet.prediction import each_look, predict_pixels, predict_prepared, read_outputs
from digitnet.preprocess import Prepared
from digitnet.recipe import Recipe
from digitnet.runner import run_recipe
from digitnet.slant import inputs_for
from digitnet.web.app import create_app


@pytest.fixture(scope="module")
def wide() -> Network:
    return load_pretrained("wide")


@pytest.fixture(scope="module")
def test_digits() -> tuple[np.ndarray, np.ndarray]:
    test = load_mnist().test
    return test.images[:300], test.labels[:300]


def test_a_shift_moves_every_pixel_and_lets_black_in() -> None:
    x = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    images = x.reshape(3, 28, 28)
    for rows, columns in lk.SHIFTS:
        moved = lk.shifted(x, rows, columns).reshape(3, 28, 28)
        expected = np.zeros_like(images)
        for r in range(28):
            for c in range(28):
                if 0 <= r - rows < 28 and 0 <= c - columns < 28:
                    expected[:, r, c] = images[:, r - rows, c - columns]
        np.testing.assert_array_equal(moved, expected)
    assert sorted(lk.SHIFTS) == [(-1, 0), (0, -1), (0, 0), (0, 1), (1, 0)]


def test_the_shipped_networks_say_how_they_read(wide: Network) -> None:
    assert lk.looks_of(wide.metadata) == 5
    assert lk.looks_of(load_pretrained("video").metadata) == 1  # the page's one pass
    assert lk.looks_of({}) == 1 and lk.looks_of({"reading": {"looks": 5}}) == 5
    assert Recipe.preset("wide").reading == "shifted" and Recipe.preset("video").reading == "once"


def test_five_looks_are_the_mean_of_five_normalised_answers(
    wide: Network, test_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    x = inputs_for(wide.metadata, test_digits[0][:40]).reshape(40, 784).astype(np.float32) / 255
    looks = [wide.predict_proba(lk.shifted(x, r, c)) for r, c in lk.SHIFTS]
    expected = np.mean([o / o.sum(axis=1, keepdims=True) for o in looks], axis=0)
    np.testing.assert_allclose(read_outputs(wide, x), expected, rtol=1e-5, atol=1e-7)
    every = each_look(wide, x)  # what the page shows of each look, in the order of SHIFTS
    assert every.shape == (5, 40, 10)
    for look, answers in zip(looks, every, strict=True):
        np.testing.assert_allclose(
            answers, look / look.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7
        )
    once = wide.copy()
    once.metadata.pop("reading")
    np.testing.assert_array_equal(read_outputs(once, x), wide.predict_proba(x))
    assert each_look(once, x).shape == (1, 40, 10)  # one look: the network's outputs


def test_every_reading_path_reads_with_the_looks(
    wide: Network, test_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = test_digits
    once = wide.copy()
    once.metadata.pop("reading")
    differ = 0
    for image in images[:60]:
        five, one = predict_pixels(wide, image), predict_pixels(once, image)
        x = np.asarray(five.prepared.pixels, np.float32).reshape(1, 784)
        np.testing.assert_allclose(five.outputs, read_outputs(wide, x)[0], rtol=1e-6)
        np.testing.assert_allclose(five.each_look, each_look(wide, x)[:, 0], rtol=1e-6)
        assert len(five.each_look) == 5 and one.each_look == []
        differ += not np.allclose(five.outputs, one.outputs, rtol=1e-2, atol=0)
    assert differ > 50  # the looks change the answers, not just their metadata
    prepared = [Prepared(np.zeros((28, 28), np.float32), [], found=False, reason="blank")]
    assert predict_prepared(wide, prepared)[0].digit is None


def test_the_looks_read_mnist_as_well_as_one(
    wide: Network, test_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = test_digits
    x = inputs_for(wide.metadata, images).reshape(len(images), 784).astype(np.float32) / 255
    five = np.argmax(read_outputs(wide, x), axis=1)
    assert np.mean(five == labels) >= np.mean(wide.predict(x) == labels) - 0.005


def test_the_recipe_records_the_reading_in_the_model_file(tmp_path: Path) -> None:
    recipe = Recipe.preset("quick", epochs=1, limit=500, layers=[784, 8, 10], reading="shifted")
    trained = run_recipe(recipe)
    assert trained.net.metadata["reading"] == {"looks": 5}
    path = trained.net.save(tmp_path / "five.safetensors")
    again = Network.load(path)
    assert lk.looks_of(again.metadata) == 5
    # Going on training with the recipe's default reads once again: the recipe decides.
    more = run_recipe(Recipe.preset("quick", epochs=1, limit=500, layers=[784, 8, 10]), net=again)
    assert "reading" not in more.net.metadata


def test_a_model_file_with_another_number_of_looks_is_refused(tmp_path: Path) -> None:
    net = Network([784, 8, 10], seed=0)
    net.metadata["reading"] = {"looks": 3}
    path = net.save(tmp_path / "three.safetensors")
    with pytest.raises(ModelFileError, match="reading"):
        Network.load(path)


def test_the_page_says_how_many_looks_gave_the_answer(
    tmp_path: Path, wide: Network, test_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    image = test_digits[0][0].reshape(-1).tolist()
    body = {"width": 28, "height": 28, "pixels": image, "preprocess": False}
    with TestClient(create_app(models_dir=tmp_path / "models")) as client:
        five = client.post("/api/predict", json={**body, "model": "wide"}).json()
        once = client.post("/api/predict", json={**body, "model": "video"}).json()
    assert (five["looks"], once["looks"]) == (5, 1)
    expected = predict_pixels(wide, test_digits[0][0])
    np.testing.assert_allclose(five["probabilities"], expected.probabilities, atol=1e-4)
    # Each look: where it moved the digit and what it answered (the page draws them).
    answers = each_look(wide, np.asarray(expected.prepared.pixels).reshape(1, 784))[:, 0]
    assert [look["shift"] for look in five["each_look"]] == [list(s) for s in lk.SHIFTS]
    assert [look["digit"] for look in five["each_look"]] == answers.argmax(axis=1).tolist()
    np.testing.assert_allclose(
        [look["probability"] for look in five["each_look"]], answers.max(axis=1), atol=1e-4
    )
    assert once["each_look"] == []


def test_digitnet_info_says_how_the_network_reads(capsys: pytest.CaptureFixture[str]) -> None:
    from digitnet.cli import main

    assert main(["info", "wide"]) == 0
    out = capsys.readouterr().out
    assert "reads each digit 5 times" in out and "(each test digit read once)" in out
    assert main(["info", "video"]) == 0
    assert "reads each digit" not in capsys.readouterr().out
