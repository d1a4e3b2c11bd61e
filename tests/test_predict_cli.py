"""`digitnet predict`: text and JSON answers, --show-input, and bad pictures that are reported
in one sentence while the other pictures of the same call are still answered."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitnet import synthetic as sy
from digitnet.cli import predict as cli_predict


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``digitnet predict ...`` in-process through the real command-line parser."""
    from digitnet.cli import main

    code = main(["predict", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(5)
    files = {
        "seven": folder / "seven.png",
        "three": folder / "three.jpg",
        "blank": folder / "blank.png",
        "notes": folder / "notes.png",
        "half": folder / "half.png",
        "missing": folder / "missing.png",
    }
    strokes = sy.jitter_strokes(sy.digit_strokes(7), np.random.default_rng(7))
    sy.render_strokes(strokes, 300, (150, 150), 200, 0.09).save(files["seven"])
    sy.photo_digit(3, rng).save(files["three"], quality=90)
    Image.new("L", (200, 200), 255).save(files["blank"])
    files["notes"].write_text("not a picture\n")
    whole = files["seven"].read_bytes()
    files["half"].write_bytes(whole[: len(whole) // 2])
    return files


def test_text_answers(capsys: pytest.CaptureFixture[str], pictures: dict[str, Path]) -> None:
    code, out, err = run_cli(capsys, str(pictures["seven"]), str(pictures["blank"]))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{pictures['seven']}: 7 (")
    assert "%)  runners-up: " in lines[0]
    assert lines[1].startswith(f"{pictures['blank']}: no digit found: ")


@pytest.mark.parametrize("model", ["video", "wide"])
def test_both_shipped_networks(
    capsys: pytest.CaptureFixture[str], pictures: dict[str, Path], model: str
) -> None:
    code, out, _ = run_cli(capsys, str(pictures["seven"]), str(pictures["three"]), "-m", model)
    assert code == 0
    seven, three = out.splitlines()
    assert ": 7" in seven and ": 3" in three


def test_bad_pictures_are_reported_and_the_others_answered(
    capsys: pytest.CaptureFixture[str], pictures: dict[str, Path]
) -> None:
    bad = [pictures["notes"], pictures["half"], pictures["missing"], pictures["notes"].parent]
    code, out, err = run_cli(capsys, str(pictures["seven"]), *map(str, bad))
    assert code == 2
    assert len(out.splitlines()) == 1 and ": 7 (" in out
    errors = err.splitlines()
    assert len(errors) == len(bad)
    for line, path in zip(errors, bad, strict=True):
        assert line.startswith("digitnet: error: ")
        assert str(path) in line
        assert line.endswith(".")
    assert "Traceback" not in err


def test_json_output(capsys: pytest.CaptureFixture[str], pictures: dict[str, Path]) -> None:
    names = [str(pictures[k]) for k in ("seven", "blank", "notes")]
    code, out, err = run_cli(capsys, *names, "--json")
    assert code == 2
    entries = json.loads(out)
    assert [e["image"] for e in entries] == names
    seven, blank, notes = entries
    assert seven["digit"] == 7 and seven["found"] and seven["error"] is None
    assert len(seven["probabilities"]) == 10
    assert sum(seven["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert len(seven["runners_up"]) == 2
    assert seven["probability"] >= seven["runners_up"][0]["probability"]
    assert blank["digit"] is None and not blank["found"] and blank["reason"]
    assert notes["digit"] is None and "not an image" in notes["error"]
    assert err.startswith("digitnet: error: ")


def test_show_input_for_one_picture(
    capsys: pytest.CaptureFixture[str], pictures: dict[str, Path], tmp_path: Path
) -> None:
    out_file = tmp_path / "seen.png"
    code, _, _ = run_cli(capsys, str(pictures["seven"]), "--show-input", str(out_file))
    assert code == 0
    with Image.open(out_file) as seen:
        assert seen.size == (28, 28) and seen.mode == "L"
        pixels = np.asarray(seen)
    assert pixels.max() == 255 and pixels[0].max() == 0  # white digit, black border


def test_show_input_for_several_pictures(
    capsys: pytest.CaptureFixture[str], pictures: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "seen"
    names = [str(pictures["seven"]), str(pictures["three"]), str(pictures["seven"])]
    code, _, _ = run_cli(capsys, *names, "--show-input", str(folder))
    assert code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["seven-2.png", "seven.png", "three.png"]
    pattern = str(tmp_path / "p" / "{index}-{name}.png")
    code, _, _ = run_cli(capsys, *names[:2], "--show-input", pattern)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["1-seven.png", "2-three.png"]


def test_bad_show_input_pattern(
    capsys: pytest.CaptureFixture[str], pictures: dict[str, Path], tmp_path: Path
) -> None:
    code, _, err = run_cli(
        capsys, str(pictures["seven"]), "--show-input", str(tmp_path / "{nope}.png")
    )
    assert code == 2 and err.startswith("digitnet: error: ") and "{name}" in err


def test_unknown_model(capsys: pytest.CaptureFixture[str], pictures: dict[str, Path]) -> None:
    code, out, err = run_cli(capsys, str(pictures["seven"]), "--model", "no-such-model")
    assert code == 2 and out == ""
    assert err.startswith("digitnet: error: ") and len(err.splitlines()) == 1


def test_run_can_be_called_directly(
    capsys: pytest.CaptureFixture[str], pictures: dict[str, Path]
) -> None:
    parser = argparse.ArgumentParser()
    cli_predict.add_parser(parser.add_subparsers())
    args = parser.parse_args(["predict", str(pictures["seven"]), str(pictures["notes"])])
    assert cli_predict.run(args) == 2
    out, err = capsys.readouterr()
    assert ": 7 (" in out and "digitnet: error:" in err


def test_command_line_in_a_subprocess(pictures: dict[str, Path]) -> None:
    """The real `python -m digitnet predict`, reading one picture from standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "digitnet", "predict", "-", str(pictures["notes"])],
        input=pictures["seven"].read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout.decode().startswith("stdin: 7 (")
    stderr = result.stderr.decode()
    assert stderr.startswith("digitnet: error: ") and "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1
