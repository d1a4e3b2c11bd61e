"""Pictures of a network: every figure renders, has the expected panels, and saves as a valid
PNG or SVG; the package keeps the old module's names; ``digitnet show`` works and fails with
one clear sentence. The numbers behind the pictures are tested in test_inspection.py."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from PIL import Image

from digitnet import Network, figures, inspection, maximise
from digitnet.cli import main
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.metrics import evaluation
from digitnet.training import TrainingConfig, train

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def mnist_part() -> dict[str, np.ndarray]:
    m = load_mnist()
    return {
        "train_x": m.train.images[:2000],
        "train_y": m.train.labels[:2000],
        "val_x": m.train.images[-500:],
        "val_y": m.train.labels[-500:],
        "test_x": m.test.images[:1000],
        "test_y": m.test.labels[:1000],
    }


@pytest.fixture(scope="session")
def small(mnist_part: dict[str, np.ndarray]) -> Network:
    """784-16-10 trained 300 steps on 2,000 images, with a 3-epoch history."""
    net = Network([784, 16, 10], init="xavier", seed=1)
    config = TrainingConfig(
        epochs=3, batch_size=20, learning_rate=0.01, cost="cross_entropy", optimizer="adam"
    )
    train(
        net, mnist_part["train_x"], mnist_part["train_y"], config,
        (mnist_part["val_x"], mnist_part["val_y"]),
    )  # fmt: skip
    net.metadata["test_accuracy"] = net.accuracy(mnist_part["test_x"], mnist_part["test_y"])
    return net


@pytest.fixture(scope="session")
def small_file(small: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small.save(tmp_path_factory.mktemp("model") / "small.safetensors")


@pytest.fixture(scope="session")
def deep() -> Network:
    """The video's shape, 784-16-16-10, untrained (pictures need no training)."""
    return Network([784, 16, 16, 10], init="xavier", seed=2)


def labelled(fig: Figure, prefix: str) -> list[Any]:
    return [ax for ax in fig.axes if ax.get_label().startswith(prefix)]


def check_png(path: Path, min_side: int = 300) -> tuple[int, int]:
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG"
        width, height = im.size
    assert min_side <= width <= 6000 and min_side <= height <= 6000, (width, height)
    return width, height


def check_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert float(root.get("width", "0").rstrip("pt")) > 100


# --------------------------------------------------------------------------- weights
def test_weight_grid_has_one_picture_per_neuron(small: Network, tmp_path: Path) -> None:
    fig = figures.weight_grid(small)
    pictures = labelled(fig, "neuron ")
    assert len(fig.axes) == len(pictures) == 16
    assert [ax.get_title() for ax in pictures] == [str(j) for j in range(16)]
    for j, ax in enumerate(pictures):
        (image,) = ax.get_images()
        assert image.get_array().shape == (28, 28)
        np.testing.assert_allclose(image.get_array(), small.weights[0][j].reshape(28, 28))
        vmin, vmax = image.get_clim()
        assert vmin == pytest.approx(-vmax) and vmax > 0  # diverging, centred on zero
        assert image.get_cmap().name == figures.WEIGHT_CMAP
    check_png(figures.save_figure(fig, tmp_path / "weights.png"))
    check_svg(figures.save_figure(fig, tmp_path / "weights.svg"))


def test_wide_first_layer_shows_its_most_significant_neurons() -> None:
    net = Network([784, 100, 10], init="he", seed=3)
    fig = figures.weight_grid(net, max_neurons=25)
    pictures = labelled(fig, "neuron ")
    assert len(pictures) == 25
    strongest = np.argsort(-np.linalg.norm(net.weights[1], axis=0))[:25]
    assert [int(ax.get_title()) for ax in pictures] == sorted(strongest.tolist())
    assert "25 of layer 1's 100 neurons" in fig.get_suptitle()


def test_weight_matrices_and_the_overview(deep: Network, tmp_path: Path) -> None:
    fig = figures.weight_matrices(deep)
    matrices = labelled(fig, "matrix ")
    assert [ax.get_label() for ax in matrices] == ["matrix 2", "matrix 3"]
    assert matrices[0].get_images()[0].get_array().shape == (16, 16)
    assert matrices[1].get_images()[0].get_array().shape == (10, 16)
    overview = figures.weights_overview(deep)
    assert len(labelled(overview, "neuron ")) == 16
    assert len(labelled(overview, "matrix ")) == 2
    width, height = check_png(figures.save_figure(overview, tmp_path / "overview.png"))
    assert height > width / 2
    with pytest.raises(DigitnetError, match="only one layer of weights"):
        figures.weight_matrices(Network([784, 10]))


# --------------------------------------------------------------------------- the diagram
def test_network_diagram_has_one_column_per_layer(
    deep: Network, mnist_part: dict[str, np.ndarray], tmp_path: Path
) -> None:
    digit, label = mnist_part["test_x"][0], int(mnist_part["test_y"][0])
    fig = figures.network_diagram(deep, digit, top_connections=12, label=label)
    ax = fig.axes[0]
    artists = {a.get_label(): a for a in ax.get_children() if isinstance(a.get_label(), str)}
    assert artists["layer 0"].get_array().shape == (28, 28)  # the input picture
    for layer, size in ((1, 16), (2, 16), (3, 10)):
        circles = artists[f"layer {layer}"]
        assert isinstance(circles, PatchCollection)
        assert len(circles.get_paths()) == size
        activations = deep.feedforward(digit).activations[layer][0]
        np.testing.assert_allclose(circles.get_array(), activations, rtol=1e-5)
        lines = artists[f"connections {layer}"]
        assert isinstance(lines, LineCollection) and len(lines.get_segments()) == 12
    columns = [name for name in artists if re.fullmatch(r"layer \d+", name)]
    assert sorted(columns) == ["layer 0", "layer 1", "layer 2", "layer 3"]  # one per layer
    answer = int(deep.predict(digit)[0])
    texts = [t for t in ax.texts if t.get_text() == str(answer) and t.get_fontweight() == "bold"]
    assert len(texts) == 1  # the answer is marked
    check_svg(figures.save_figure(fig, tmp_path / "network.svg"))
    check_png(figures.save_figure(fig, tmp_path / "network.png"))


def test_network_diagram_connections_are_coloured_by_weight_sign(deep: Network) -> None:
    digit = np.random.default_rng(0).uniform(0, 1, (28, 28))
    fig = figures.network_diagram(deep, digit, top_connections=40)
    lines = next(a for a in fig.axes[0].collections if a.get_label() == "connections 2")
    colours = {tuple(np.round(c[:3], 3)) for c in lines.get_colors()}
    allowed = {
        tuple(np.round(matplotlib.colors.to_rgb(c), 3))
        for c in (figures.POSITIVE, figures.NEGATIVE)
    }
    assert colours <= allowed and len(colours) == 2


def test_network_diagram_of_a_wide_layer_shows_the_most_active() -> None:
    net = Network([784, 40, 10], hidden_activation="relu", init="he", seed=4)
    digit = load_mnist().test.images[1]
    fig = figures.network_diagram(net, digit)
    ax = fig.axes[0]
    circles = next(a for a in ax.collections if a.get_label() == "layer 1")
    assert len(circles.get_paths()) == 16
    hidden = net.feedforward(digit).activations[1][0]
    assert sorted(circles.get_array().tolist()) == pytest.approx(sorted(hidden)[-16:])
    assert any(t.get_text().startswith("+24 more") for t in ax.texts)


# --------------------------------------------------------------------------- curves
def test_curves_show_training_and_validation(small: Network, tmp_path: Path) -> None:
    fig = figures.curves(small)
    loss, accuracy = fig.axes
    history = small.metadata["history"]
    train_line = next(line for line in accuracy.get_lines() if line.get_label() == "training")
    np.testing.assert_allclose(train_line.get_ydata(), [h["train_accuracy"] for h in history])
    np.testing.assert_allclose(train_line.get_xdata(), [1, 2, 3])
    assert {line.get_label() for line in loss.get_lines()} >= {"training", "validation"}
    assert figures.curves(history).axes  # a history list works as well
    check_png(figures.save_figure(fig, tmp_path / "curves.png"), min_side=200)
    with pytest.raises(DigitnetError, match="no training history"):
        figures.curves(Network([784, 10]))


# --------------------------------------------------------------------------- confusion, mistakes
def test_confusion_matrix_matches_the_evaluation(
    small: Network, mnist_part: dict[str, np.ndarray], tmp_path: Path
) -> None:
    x, y = mnist_part["test_x"], mnist_part["test_y"]
    matrix = np.array(evaluation(small, x, y)["confusion"])
    fig = figures.confusion(small, x, y)
    (ax,) = fig.axes
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts if t.get_text().isdigit()}  # fmt: skip
    for d in range(10):
        assert cells[(d, d)] == str(matrix[d, d])
    assert f"{matrix.trace() / matrix.sum():.2%}" in ax.get_title()
    check_png(figures.save_figure(fig, tmp_path / "confusion.png"))
    assert len(figures.confusion(matrix).axes) == 1  # from a matrix too


def test_mistakes_gallery_shows_the_surest_mistakes(
    small: Network, mnist_part: dict[str, np.ndarray], tmp_path: Path
) -> None:
    x, y = mnist_part["test_x"], mnist_part["test_y"]
    fig = figures.mistakes(small, x, y, n=12)
    panels = labelled(fig, "mistake ")
    assert len(panels) == 12
    proba = small.predict_proba(x)
    confidences = []
    for ax in panels:
        i = int(ax.get_label().split()[1])
        truth, answer = (int(s) for s in ax.get_title().split(" \u2192 "))
        assert truth == y[i] and answer == int(np.argmax(proba[i])) != truth
        assert f"#{i}" in ax.get_xaxis().get_label().get_text()
        confidences.append(proba[i, answer])
    assert confidences == sorted(confidences, reverse=True)
    check_png(figures.save_figure(fig, tmp_path / "mistakes.png"))


# --------------------------------------------------------------------------- features
def test_features_figure_has_three_kinds_of_panel(
    small: Network, mnist_part: dict[str, np.ndarray], tmp_path: Path
) -> None:
    fig = figures.features(small, 1, k=3, images=mnist_part["test_x"], steps=30)
    assert len(labelled(fig, "maximised ")) == 16
    assert len(labelled(fig, "weights ")) == 16
    assert len(labelled(fig, "top ")) == 16 * 3
    assert len(fig.axes) == 16 * 5
    check_png(figures.save_figure(fig, tmp_path / "features.png"))
    out = figures.features(small, 2, neurons=[3, 8], k=2, images=mnist_part["test_x"], steps=5)
    assert [ax.get_label() for ax in labelled(out, "maximised ")] == ["maximised 3", "maximised 8"]
    with pytest.raises(DigitnetError, match="layer 3 does not exist"):
        figures.features(small, 3)


# --------------------------------------------------------------------------- saving, notebooks
def test_save_figure_checks_the_path_and_leaves_no_temporary_files(
    small: Network, tmp_path: Path
) -> None:
    fig = figures.curves(small)
    with pytest.raises(DigitnetError, match=r"\.png or \.svg"):
        figures.save_figure(fig, tmp_path / "curves.jpg")
    with pytest.raises(DigitnetError, match="does not exist"):
        figures.save_figure(fig, tmp_path / "missing" / "curves.png")
    target = tmp_path / "curves.png"
    target.write_bytes(b"old")
    figures.save_figure(fig, target)
    assert target.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]
    first = figures.save_figure(fig, tmp_path / "a.png").read_bytes()
    assert first == figures.save_figure(fig, tmp_path / "b.png").read_bytes()  # reproducible


def test_network_html_for_notebooks(small: Network) -> None:
    text = figures.network_html(small)
    assert "<table>" in text and "784-16-10" in text
    assert f"{small.num_parameters:,} parameters" in text
    match = re.search(r'src="data:image/png;base64,([^"]+)"', text)
    assert match is not None
    assert base64.b64decode(match.group(1)).startswith(b"\x89PNG")


def test_importing_figures_makes_jupyter_show_networks_as_html() -> None:
    pytest.importorskip("IPython")
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "from digitnet import Network, figures\n"
        "net = Network([784, 16, 10])\n"
        "data, _ = shell.display_formatter.format(net)\n"
        "assert data['text/html'] == figures.network_html(net), data.keys()\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_notebook_display_does_nothing_outside_ipython() -> None:
    code = (
        "import sys\n"
        "from digitnet import figures\n"
        "figures.enable_notebook_display()\n"
        "print('IPython' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- the package
OLD_NAMES = """
    BACKGROUND DEFAULT_DPI DEFAULT_NORM DIGIT_CMAP FORMATS HIGHLIGHT NEGATIVE POSITIVE
    WEIGHT_CMAP confusion curves evaluate facts features figure_png find_mistakes
    input_gradients layer_values maximise_activation maximise_activations mistakes
    mnist_test_set network_diagram network_html png_data_url save_figure significant_neurons
    summary_rows summary_table_html top_activating traced_weights weight_grid weight_matrices
    weights_overview
""".split()


def test_every_name_of_the_old_figures_module_still_works() -> None:
    assert set(OLD_NAMES) <= set(figures.__all__)
    for name in figures.__all__:
        assert getattr(figures, name) is not None
    assert figures.top_activating is inspection.top_activating
    assert figures.maximise_activation is maximise.maximise_activation


def test_figures_need_no_preprocessing_web_or_cli() -> None:
    code = (
        "import sys, digitnet.figures\n"
        "banned = ('digitnet.preprocess', 'digitnet.prediction', 'digitnet.web', 'digitnet.cli')\n"
        "print(sorted(m for m in sys.modules if m.startswith(banned)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["weights"], "weights.png"),
        (["weights", "--layer", "1", "--shared-scale"], "w1.svg"),
        (["weights", "--layer", "2"], "w2.png"),
        (["network", "--test-index", "7"], "network.svg"),
        (["curves"], "curves.png"),
        (["confusion"], "confusion.png"),
        (["mistakes", "--count", "5"], "mistakes.png"),
        (["features", "--steps", "20", "--top", "2", "--max-neurons", "4"], "features.png"),
    ],
)
def test_show_commands_write_their_picture(
    args: list[str], name: str, small_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / name
    code = main(["show", args[0], str(small_file), *args[1:], "-o", str(out), "--dpi", "60"])
    assert code == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    if name.endswith(".svg"):
        check_svg(out)
    else:
        check_png(out, min_side=100)


def test_show_uses_a_default_file_name(
    small_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["show", "curves", str(small_file)]) == 0
    check_png(tmp_path / "curves.png", min_side=200)


def test_show_network_reads_a_picture(small_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("digitnet.preprocess")
    picture = tmp_path / "digit.png"
    Image.fromarray(load_mnist().test.images[0]).resize((140, 140)).save(picture)
    out = tmp_path / "n.png"
    assert main(["show", "network", str(small_file), "--image", str(picture), "-o", str(out)]) == 0
    check_png(out)


def test_show_network_refuses_a_picture_without_a_digit(
    small_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("digitnet.preprocess")
    blank = tmp_path / "blank.png"
    Image.new("L", (60, 60), 255).save(blank)
    argv = [
        "show",
        "network",
        str(small_file),
        "--image",
        str(blank),
        "-o",
        str(tmp_path / "n.png"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("digitnet: error: found no digit in") and err.count("\n") == 1
    assert not (tmp_path / "n.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["network", "{model}", "--test-index", "99999"], "out of range"),
        (["network", "{model}", "--test-index", "-1"], "out of range"),
        (["network", "{model}", "--image", "{tmp}/nope.png"], "does not exist"),
        (["curves", "{untrained}"], "no training history"),
        (["weights", "{model}", "-o", "{tmp}/missing/w.png"], "does not exist"),
        (["weights", "{model}", "-o", "{tmp}/w.jpg"], ".png or .svg"),
        (["weights", "{model}", "--layer", "3"], "does not exist"),
        (["features", "{model}", "--layer", "5"], "does not exist"),
        (["confusion", "{tmp}/nothing.safetensors"], "does not exist"),
    ],
)
def test_show_errors_are_one_sentence(
    args: list[str],
    message: str,
    small_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    untrained = Network([784, 10]).save(tmp_path / "untrained.safetensors")
    values = {"model": str(small_file), "tmp": str(tmp_path), "untrained": str(untrained)}
    argv = ["show", *(a.format(**values) for a in args)]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "out.png")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("digitnet: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.png").exists()


def test_show_without_a_picture_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["show"])
    assert exit_info.value.code == 2
    assert "PICTURE" in capsys.readouterr().err


# --------------------------------------------------------------------------- read as it learnt
@pytest.fixture(scope="session")
def upright_reader() -> Network:
    """The shipped `video`: its model file says it learnt MNIST's digits stood upright."""
    from digitnet import load_pretrained
    from digitnet.slant import wants_deslant

    net = load_pretrained("video")
    assert wants_deslant(net.metadata)
    return net


def test_mistakes_are_the_ones_the_accuracy_counts(
    upright_reader: Network, mnist_part: dict[str, np.ndarray]
) -> None:
    """A network that learnt upright digits reads the test digits upright everywhere: the
    gallery of mistakes counts what the accuracy counts, and shows each digit as read."""
    from digitnet.slant import inputs_for

    x, y = mnist_part["test_x"], mnist_part["test_y"]
    wrong, answers, _ = inspection.find_mistakes(upright_reader, x, y)
    assert len(wrong) == len(y) - evaluation(upright_reader, x, y)["correct"]
    fig = figures.mistakes(upright_reader, x, y, n=4)
    assert f"{len(wrong):,} of {len(y):,} digits misread" in fig.texts[0].get_text()
    upright = np.asarray(inputs_for(upright_reader.metadata, x), np.float64) / 255.0
    for ax in labelled(fig, "mistake "):
        i = int(ax.get_label().split()[1])
        shown = np.asarray(ax.images[0].get_array(), np.float64)
        assert np.allclose(shown, upright[i].reshape(28, 28))


def test_the_digits_that_excite_a_neuron_are_read_as_it_learnt(
    upright_reader: Network, mnist_part: dict[str, np.ndarray]
) -> None:
    from digitnet.slant import inputs_for

    x = mnist_part["test_x"]
    upright = np.asarray(inputs_for(upright_reader.metadata, x))
    best = inspection.top_activating(upright_reader, upright, 1, 4, k=3)
    fig = figures.features(upright_reader, 1, neurons=[4], k=3, images=x, steps=5)
    shown = [np.asarray(ax.images[0].get_array(), np.float64) for ax in labelled(fig, "top ")]
    expected = [upright[i].reshape(28, 28).astype(np.float64) / 255.0 for i in best]
    assert len(shown) == 3
    assert all(np.allclose(a, b) for a, b in zip(shown, expected, strict=True))


def test_show_network_feeds_the_digit_as_the_network_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`show network` draws the pass `predict` makes: a test digit stood upright for a
    network that learnt upright digits, and a picture prepared as `predict` prepares it."""
    from digitnet.preprocess import prepare
    from digitnet.slant import input_for

    fed: list[np.ndarray] = []

    def record(net: Network, pixels: Any, **kwargs: Any) -> Figure:
        fed.append(np.asarray(pixels))
        return Figure()

    monkeypatch.setattr(figures, "network_diagram", record)
    test = load_mnist().test
    out = tmp_path / "n.png"
    assert main(["show", "network", "video", "--test-index", "7", "-o", str(out)]) == 0
    from digitnet import load_pretrained

    video = load_pretrained("video")
    assert np.array_equal(fed[0], input_for(video.metadata, test.images[7]))
    assert not np.array_equal(fed[0], test.images[7])  # it did stand the digit upright
    picture = tmp_path / "digit.png"
    Image.fromarray(255 - test.images[0]).resize((140, 140)).save(picture)
    assert main(["show", "network", "video", "--image", str(picture), "-o", str(out)]) == 0
    assert np.array_equal(fed[1], prepare(picture, True).pixels)
