"""Deslanting (digitnet.slant, preprocess step ``upright``): a leaning digit stands upright,
the recipe option ``preprocessing = "deslant"`` is recorded in the model file and read back,
and every reading path (predict_image, predict_prepared, predict_pixels, `digitnet predict`,
evaluation) prepares pictures the way the network learnt them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitnet import preprocess as pp
from digitnet import slant
from digitnet import synthetic as sy
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError, ModelFileError
from digitnet.metrics import evaluation
from digitnet.network import Network
from digitnet.prediction import predict_image, predict_pixels, predict_prepared
from digitnet.recipe import Recipe
from digitnet.runner import run_recipe


def leaning_one(shear: float) -> Image.Image:
    """A 1 drawn as one straight stroke leaning by ``shear`` columns per row (white on black)."""
    stroke = [(0.5 + shear * 0.5, 0.0), (0.5 - shear * 0.5, 1.0)]
    return sy.render_strokes([[(x - 0.5, y - 0.5) for x, y in stroke]], 300, (150, 150), 200, 0.08)


@pytest.fixture(scope="module")
def video() -> Network:
    """The video's network as a model file without the ``preprocessing`` field (older files)."""
    from digitnet import load_pretrained

    net = load_pretrained("video")
    net.metadata.pop("preprocessing", None)
    return net


@pytest.fixture(scope="module")
def deslanting(video: Network) -> Network:
    """The video's network, marked as having learnt deslanted digits."""
    net = video.copy()
    net.metadata["preprocessing"] = {"deslant": True}
    return net


def test_the_shipped_networks_learnt_deslanted_digits() -> None:
    from digitnet import load_pretrained

    assert slant.wants_deslant(load_pretrained("video").metadata)
    assert slant.wants_deslant(load_pretrained("wide").metadata)


def test_a_slanted_digit_gets_upright() -> None:
    pixels = pp.prepare(leaning_one(0.6)).pixels
    before = float(slant.slant(pixels[None])[0])
    upright = slant.deslant(pixels[None])[0].reshape(28, 28)
    after = float(slant.slant(upright[None])[0])
    assert abs(before) > 0.3  # leaning clearly
    assert abs(after) < 0.05  # stands upright
    # The ink stays about where it was and about as much: a shear, not a new picture.
    assert upright.sum() == pytest.approx(pixels.sum(), rel=0.15)
    assert pp.center_of_mass(upright) == pytest.approx(pp.center_of_mass(pixels), abs=0.6)
    # An upright digit is hardly changed, and the same images always give the same result.
    straight = pp.prepare(leaning_one(0.0)).pixels
    assert abs(float(slant.slant(straight[None])[0])) < 0.05
    assert np.abs(slant.deslant(straight[None])[0] - straight.ravel()).mean() < 0.01
    assert np.array_equal(slant.deslant(pixels[None]), slant.deslant(pixels[None]))


def test_deslanting_mnist_keeps_digits_in_the_box() -> None:
    images = load_mnist().test.images[:300]
    out = slant.deslant(images).reshape(-1, 28, 28)
    assert out.dtype == np.float32 and 0.0 <= out.min() and out.max() <= 1.0
    assert np.abs(slant.slant(out)).mean() < 0.2 * np.abs(slant.slant(images)).mean()
    ink = out > 0.2
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    for mask in (rows, cols):
        extent = 28 - np.argmax(mask[:, ::-1], axis=1) - np.argmax(mask, axis=1)
        assert extent.max() <= 22  # MNIST's 20-pixel box, give or take the anti-aliasing
    assert slant.deslant(np.zeros((2, 784), np.float32)).sum() == 0.0  # blank stays blank
    with pytest.raises(ValueError, match="shape"):
        slant.deslant(np.zeros((2, 27, 27)))


def test_recorded_in_and_read_from_the_model_file(tmp_path: Path) -> None:
    recipe = Recipe.preset(
        "quick", preprocessing="deslant", epochs=1, limit=500, validation_size=100
    )
    trained = run_recipe(recipe)
    assert trained.net.metadata["preprocessing"] == {"deslant": True}
    path = trained.net.save(tmp_path / "upright.safetensors")
    loaded = Network.load(path)
    assert slant.wants_deslant(loaded.metadata)
    assert loaded.metadata["training"]["preprocessing"] == "deslant"
    # The test accuracy was measured on deslanted test digits, as evaluation measures it.
    test = load_mnist().test
    assert evaluation(loaded, test.images, test.labels)["accuracy"] == trained.test_accuracy
    # Without the option the file says so; a file without the field reads as before.
    plain = run_recipe(recipe.replace(preprocessing="none")).net
    assert plain.metadata["preprocessing"] == {"deslant": False}
    assert not slant.wants_deslant(plain.metadata)
    assert not slant.wants_deslant({})


def test_a_bad_preprocessing_field_or_option_is_refused(tmp_path: Path, video: Network) -> None:
    with pytest.raises(DigitnetError, match="preprocessing must be one of none, deslant"):
        Recipe.preset("quick", preprocessing="upright")
    bad = video.copy()
    bad.metadata["preprocessing"] = "deslant"
    path = bad.save(tmp_path / "bad.safetensors")
    with pytest.raises(ModelFileError, match="preprocessing"):
        Network.load(path)


def test_predict_stands_digits_upright_for_a_network_that_learnt_them(
    video: Network, deslanting: Network
) -> None:
    image = leaning_one(0.5)
    plain = predict_image(video, image)
    assert "upright" not in [s.name for s in plain.prepared.steps]
    upright = predict_image(deslanting, image)
    assert upright.prepared.steps[-1].name == "upright"
    assert upright.prepared.deslanted
    expected = slant.deslant(plain.prepared.pixels[None])[0]
    assert np.array_equal(upright.prepared.pixels.ravel(), expected)
    assert upright.outputs == pytest.approx(deslanting.predict_proba(expected[None])[0].tolist())
    # Already prepared pictures are stood upright once, not twice.
    again = predict_prepared(deslanting, [upright.prepared])[0]
    assert [s.name for s in again.prepared.steps].count("upright") == 1
    assert again.outputs == upright.outputs
    # MNIST-format pixels too: the network reads them as it learnt them (upright, rounded to
    # 256 grey levels, as training's images were).
    digit = load_mnist().test.images[0]
    pixels = predict_pixels(deslanting, digit)
    assert pixels.outputs == pytest.approx(
        deslanting.predict_proba(slant.deslant_pixels(digit[None]))[0].tolist()
    )
    # A blank picture is still refused, not deslanted.
    blank = predict_image(deslanting, Image.new("L", (50, 50)))
    assert blank.digit is None and not blank.prepared.deslanted


def test_the_command_line_reads_the_model_files_setting(
    tmp_path: Path, deslanting: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    from digitnet.cli import main

    model = deslanting.save(tmp_path / "upright.safetensors")
    picture = tmp_path / "one.png"
    leaning_one(0.5).save(picture)
    assert main(["predict", str(picture), "--model", str(model), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)[0]
    expected = predict_image(Network.load(model), picture)
    assert answer["digit"] == expected.digit
    assert answer["probabilities"] == pytest.approx(expected.probabilities, abs=1e-4)
