"""Fooling the network (`digitnet.fooling`, `digitnet fool`): the change makes the network read
the target, stays within the budget, is (nearly) the smallest of its direction, and the
command refuses bad pictures and bad targets in one sentence with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitnet import load_pretrained
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.fooling import BUDGET, LEVELS, check_target, fool
from digitnet.prediction import predict_pixels


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from digitnet.cli import main

    code = main(["fool", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    test = load_mnist().test
    return test.images[:60], test.labels[:60]


def test_fooling_reaches_random_targets_within_the_budget(digits: tuple) -> None:
    net = load_pretrained("video")
    images, _ = digits
    answers = net.predict(images)
    targets = (answers + np.random.default_rng(1).integers(1, 10, len(answers))) % 10
    result = fool(net, images, targets)
    assert result.success.mean() >= 0.9
    assert np.all(result.linf <= BUDGET + 1e-12)
    assert np.array_equal(result.after, net.predict(result.fooled))  # what the network reads
    assert np.all(result.after[result.success] != answers[result.success])
    assert np.all(result.fooled >= 0) and np.all(result.fooled <= 1)
    # Saved as 8-bit pictures without losing anything: on the 256 grey levels.
    assert np.allclose(result.fooled * LEVELS, np.round(result.fooled * LEVELS))
    # Where it failed, nothing is changed.
    assert np.all(result.linf[~result.success] == 0)


def test_the_change_is_shrunk_to_the_smallest_that_fools(digits: tuple) -> None:
    net = load_pretrained("video")
    images, _ = digits
    answers = net.predict(images[:20])
    targets = (answers + 3) % 10
    shrunk = fool(net, images[:20], targets)
    whole = fool(net, images[:20], targets, shrink=False)
    both = shrunk.success & whole.success
    assert both.sum() >= 15
    assert np.all(shrunk.l2[both] <= whole.l2[both] + 1e-9)
    assert np.mean(shrunk.l2[both] < whole.l2[both]) > 0.5
    # Nine tenths of the change no longer fools the network (give or take a grey level).
    x, change = shrunk.original[both], shrunk.change[both]
    less = np.round((x + 0.9 * change) * LEVELS) / LEVELS
    assert np.mean(net.predict(less) != targets[both]) > 0.8


def test_a_digit_already_read_as_its_target_is_left_alone(digits: tuple) -> None:
    net = load_pretrained("video")
    images, _ = digits
    answers = net.predict(images[:5])
    result = fool(net, images[:5], answers)
    assert np.array_equal(result.fooled, result.original)


@pytest.mark.parametrize(
    ("target", "before", "words"),
    [(10, None, "0 to 9"), (-1, None, "0 to 9"), (7, 7, "already reads"), (True, None, "digit")],
)
def test_bad_targets_are_one_sentence(target: int, before: int | None, words: str) -> None:
    with pytest.raises(DigitnetError, match=words):
        check_target(target, before)


def test_the_command_fools_a_test_seven_into_a_three(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "fooled.png"
    code, text, _ = run_cli(capsys, "--test-index", "0", "--target", "3", "--json", "-o", str(out))
    assert code == 0
    entry = json.loads(text)
    assert entry["before"] == 7 and entry["answer"] == 3 and entry["success"]
    assert 0 < entry["linf"] <= 0.3 and entry["l2"] > entry["linf"]
    assert 0 < entry["probability"] <= 1
    change = tmp_path / "fooled-change.png"
    assert entry["saved"] == [str(out), str(change)]
    pixels = np.asarray(Image.open(out))
    assert pixels.shape == (28, 28)
    assert predict_pixels(load_pretrained("video"), pixels).digit == 3  # saved exactly
    assert Image.open(change).size == (280, 280)


def test_the_command_reads_a_picture_and_says_it_in_a_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "seven.png"
    Image.fromarray(load_mnist().test.images[0], "L").save(path)
    code, text, _ = run_cli(capsys, str(path), "--target", "1", "--model", "wide")
    assert code == 0
    assert "the network now reads 1" in text and "instead of 7" in text


def test_a_budget_too_small_is_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = run_cli(capsys, "--test-index", "0", "--target", "2", "--budget", "0.004")
    assert code == 1
    assert "no change within the budget" in text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--test-index", "0", "--target", "12"], "from 0 to 9"),
        (["--test-index", "0", "--target", "seven"], "from 0 to 9"),
        (["--test-index", "0", "--target", "7"], "already reads this digit as a 7"),
        (["--test-index", "10000", "--target", "1"], "out of range"),
        (["--target", "1"], "give one IMAGE"),
        (["missing.png", "--target", "1"], "does not exist"),
        (["NOTES", "--target", "1"], "is not an image"),
        (["BLANK", "--target", "1"], "found no digit"),
        (["--test-index", "0", "--target", "1", "-o", "out.txt"], "must end in .png"),
    ],
)
def test_mistakes_are_one_sentence_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], words: str
) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture\n")
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    args = [
        {
            "NOTES": str(notes),
            "BLANK": str(blank),
            "missing.png": str(tmp_path / "missing.png"),
        }.get(a, a)
        for a in args
    ]
    code, text, err = run_cli(capsys, *args)
    assert code == 2
    assert text == ""
    assert words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_the_figure_shows_original_change_and_fooled(digits: tuple) -> None:
    from digitnet.figures import fooled_digits

    net = load_pretrained("video")
    images, _ = digits
    result = fool(net, images[:2], (net.predict(images[:2]) + 1) % 10)
    fig = fooled_digits(net, result)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 6
    assert titles[0].startswith("reads ") and "L∞" in titles[2] and "%" in titles[4]
