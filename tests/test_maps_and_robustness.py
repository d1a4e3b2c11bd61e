"""Maps of the layers (`digitnet.embedding`, `digitnet show embedding`) and robustness curves
(`digitnet.robustness`, `digitnet show robustness`)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from digitnet import load_pretrained
from digitnet.augment import Distortion, distort
from digitnet.data import load_mnist
from digitnet.embedding import layer_maps, nearest_centre_accuracy, pca
from digitnet.errors import DigitnetError
from digitnet.robustness import DISTORTIONS, distorted, robustness_curves
from digitnet.slant import inputs_for


@pytest.fixture(scope="module")
def test_digits() -> tuple[np.ndarray, np.ndarray]:
    test = load_mnist().test
    return test.images[:2000], test.labels[:2000]


def test_pca_finds_the_directions_of_largest_variance() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1]) + 7.0
    mean, components, explained = pca(x)
    assert np.allclose(mean, x.mean(axis=0))
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    assert np.allclose(np.abs(components), np.abs(vt[:2]), atol=1e-8)
    assert np.allclose(explained, s[:2] ** 2 / (s**2).sum())
    assert np.allclose(components @ components.T, np.eye(2))


def test_nearest_centre_accuracy_counts_digits_nearest_their_own_centre() -> None:
    x = np.array([[0.0], [1.0], [10.0], [11.0], [4.0]])
    assert nearest_centre_accuracy(x, np.array([0, 0, 1, 1, 1])) == pytest.approx(0.8)


def test_clusters_separate_from_the_input_to_the_output(test_digits: tuple) -> None:
    net = load_pretrained("video")
    images, labels = test_digits
    maps = layer_maps(net, images, labels)
    assert [m.layer for m in maps] == [0, 1, 2, 3]
    assert [m.size for m in maps] == [784, 16, 16, 10]
    separations = [m.separation for m in maps]
    assert separations == sorted(separations) and separations[-1] > separations[0] + 0.1
    assert maps[-1].map_separation > maps[0].map_separation + 0.3
    # A digit placed afresh (as the network reads it: deslanted) lands on its own point.
    hidden = net.feedforward(inputs_for(net.metadata, images[:3])).activations[2]
    assert np.allclose(maps[2].place(hidden), maps[2].points[:3], atol=1e-4)
    with pytest.raises(ValueError, match="layer must lie in"):
        layer_maps(net, images, labels, [4])


def test_robustness_curves_use_augments_warp(test_digits: tuple) -> None:
    images, _ = test_digits
    turned = distorted(images[:50], "rotation", 20)
    again = distorted(images[:50], "rotation", 20)
    assert np.array_equal(turned, again)  # seeded: every network meets the same digits
    # Each digit turned 20 degrees one way or the other by augment's own warp.
    left = distort(images[:50], Distortion.same(50, angle=20.0))
    right = distort(images[:50], Distortion.same(50, angle=-20.0))
    assert all(
        np.array_equal(t, a) or np.array_equal(t, b)
        for t, a, b in zip(turned, left, right, strict=True)
    )
    assert np.allclose(distorted(images[:50], "scale", 1.0), images[:50].reshape(50, -1) / 255)
    assert np.allclose(distorted(images[:50], "noise", 0.0), images[:50].reshape(50, -1) / 255)
    with pytest.raises(DigitnetError, match="unknown distortion"):
        distorted(images[:5], "blur", 1.0)


def test_accuracy_falls_as_digits_are_distorted_more(test_digits: tuple) -> None:
    net = load_pretrained("video")
    images, labels = test_digits
    images, labels = images[:500], labels[:500]
    curves = {c.distortion: c for c in robustness_curves(net, images, labels)}
    assert list(curves) == list(DISTORTIONS)
    clean = net.accuracy(inputs_for(net.metadata, images), labels)  # as the network reads them
    for name in ("rotation", "shift", "noise"):
        acc = curves[name].accuracies
        assert acc[0] == pytest.approx(clean, abs=0.01)  # deslanted from floats, not bytes
        assert acc[-1] < clean - 0.3
    scale = curves["scale"]
    assert scale.accuracies[scale.amounts.index(1.0)] == pytest.approx(clean, abs=0.01)
    assert scale.accuracies[0] < clean - 0.3


def run_show(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from digitnet.cli import main

    code = main(["show", *argv, "-q"])
    out, err = capsys.readouterr()
    return code, out, err


def test_show_embedding_and_robustness_write_pictures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "map.png"
    assert run_show(capsys, "embedding", "video", "--n", "500", "-o", str(out))[0] == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    one = tmp_path / "layer2.svg"
    assert run_show(capsys, "embedding", "--layer", "2", "--n", "300", "-o", str(one))[0] == 0
    assert "separation" in one.read_text()
    curves = tmp_path / "robustness.png"
    code, text, _ = run_show(
        capsys, "robustness", "--models", "video", "--n", "200", "-o", str(curves)
    )
    assert code == 0 and curves.stat().st_size > 1000


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["embedding", "--layer", "4"], "--layer 4 does not exist"),
        (["robustness", "--models", "nothing-here.safetensors"], "does not exist"),
    ],
)
def test_show_mistakes_are_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], words: str
) -> None:
    code, _, err = run_show(capsys, *args, "--n", "100", "-o", str(tmp_path / "x.png"))
    assert code == 2 and words in err and "Traceback" not in err


def test_a_tsne_map_places_digits_its_own_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from digitnet.embedding import layer_map, with_points

    out = tmp_path / "tsne.svg"
    argv = ["embedding", "--method", "tsne", "--layer", "2", "--n", "150", "-o", str(out)]
    assert run_show(capsys, *argv)[0] == 0
    text = out.read_text()
    assert "t-SNE 1" in text and "PC1" not in text
    mnist = load_mnist()
    m = layer_map(load_pretrained("video"), mnist.test.images[:60], mnist.test.labels[:60], 2)
    moved = with_points(m, m.points[::-1], mnist.test.labels[:60], "tsne")
    assert moved.method == "tsne" and moved.map_separation != m.map_separation
    assert moved.separation == m.separation and np.array_equal(moved.mean, m.mean)


def test_tsne_without_scikit_learn_names_the_extra(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if not installed
    argv = ["embedding", "--method", "tsne", "--n", "50", "-o", str(tmp_path / "x.png")]
    code, _, err = run_show(capsys, *argv)
    assert code == 2 and "pip install 'digitnet[sklearn]'" in err and "Traceback" not in err
