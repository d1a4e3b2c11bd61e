"""`digitnet read`, `digitnet predict` on a number, and `POST /api/read`: whole numbers from
files, JSON as the issue asks, one sentence per picture that cannot be read."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digitnet.web.app import create_app
from test_numbers import number_image


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``digitnet ...`` in-process through the real command-line parser."""
    from digitnet.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("numbers")
    paths = {
        "number": folder / "number.png",
        "lines": folder / "lines.jpg",
        "blank": folder / "blank.png",
        "noise": folder / "noise.png",
        "notes": folder / "notes.png",
    }
    number_image("5407").save(paths["number"])
    number_image("17|30").convert("RGB").save(paths["lines"], quality=90)
    Image.new("L", (300, 120), 255).save(paths["blank"])
    dots = np.full((200, 400), 255, np.uint8)
    rng = np.random.default_rng(0)
    for _ in range(40):
        y, x = rng.integers(10, 190), rng.integers(10, 390)
        dots[y : y + 4, x : x + 4] = 0
    Image.fromarray(dots).save(paths["noise"])
    paths["notes"].write_text("not a picture\n")
    return paths


def test_read_text(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, err = run_cli(capsys, "read", "wide", str(files["number"]), str(files["lines"]))
    assert code == 0 and err == ""
    first, second = out.splitlines()
    assert first.startswith(f"{files['number']}: 5407  (5 ") and first.endswith("%)")
    assert second.startswith(f"{files['lines']}: 17 30  (")


def test_read_json_and_errors(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    names = [str(files[k]) for k in ("number", "blank", "noise", "notes")]
    code, out, err = run_cli(capsys, "read", "--model", "wide", "--json", *names)
    assert code == 2  # some pictures failed; the others are still answered
    entries = json.loads(out)
    assert [e["image"] for e in entries] == names
    good = entries[0]
    assert set(good) == {"image", "number", "digits", "error"}
    assert good["number"] == "5407" and good["error"] is None
    assert [d["digit"] for d in good["digits"]] == [5, 4, 0, 7]
    for d in good["digits"]:
        assert set(d) == {"digit", "probability", "box"}
        x0, y0, x1, y1 = d["box"]
        assert 0 <= x0 < x1 and 0 <= y0 < y1 and 0.0 < d["probability"] <= 1.0
    blank, noise, notes = entries[1:]
    assert "no digit found" in blank["error"] and "blank" in blank["error"]
    assert "more than the 20" in noise["error"]
    assert "not an image file" in notes["error"]
    for bad in entries[1:]:
        assert bad["number"] is None and bad["digits"] == []
        assert bad["error"].count(". ") == 0  # one sentence
    assert err.count("digitnet: error: ") == 3


def test_read_show_input(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "seen.png"
    code, _, _ = run_cli(capsys, "read", str(files["number"]), "--show-input", str(out))
    assert code == 0
    with Image.open(out) as shown:
        picture = np.asarray(shown.convert("RGB"))
    red = (picture[:, :, 0] > 200) & (picture[:, :, 1] < 60)
    assert red.sum() > 100  # the boxes
    assert picture.shape[0] > 28 * 3  # the inputs below the picture


def test_predict_points_to_read(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, err = run_cli(capsys, "predict", str(files["number"]))
    assert code == 0 and len(out.splitlines()) == 1
    assert "seems to hold 4 digits" in err and f"digitnet read {files['number']}" in err
    code, out, _ = run_cli(capsys, "predict", "--json", str(files["number"]))
    entry = json.loads(out)[0]
    assert entry["digits_found"] == 4 and entry["digit"] is not None


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(models_dir=tmp_path_factory.mktemp("models"), preload=False)
    with TestClient(app) as c:
        yield c


def test_api_reads_a_drawn_number(client: TestClient) -> None:
    grey = 255 - np.asarray(number_image("5407").resize((348, 112)), np.uint8)  # ink bright
    body = {
        "width": 348,
        "height": 112,
        "pixels_b64": base64.b64encode(grey.tobytes()).decode(),
        "model": "wide",
    }
    answer = client.post("/api/read", json=body).json()
    assert answer["number"] == "5407" and answer["found"]
    assert (answer["width"], answer["height"]) == (348, 112)
    assert [s["name"] for s in answer["steps"]][-1] == "pieces"
    middle = answer["digits"][1]
    assert middle["digit"] == 4 and len(middle["input"]) == 784
    assert [s["name"] for s in middle["steps"]] == ["box", "fitted", "sharpened", "centered"]
    assert len(middle["layers"]) == 4 and middle["edges"]  # the pass through the network
    # wide reads each digit five times; each look's answer, as /api/predict gives it.
    assert middle["looks"] == 5 and len(middle["each_look"]) == 5
    assert middle["each_look"][0]["shift"] == [0, 0]
    assert sum(look["digit"] == 4 for look in middle["each_look"]) >= 3


def test_api_reads_a_photo_file(client: TestClient, files: dict[str, Path]) -> None:
    data = files["lines"].read_bytes()
    answer = client.post(
        "/api/read", json={"image_b64": "data:image/jpeg;base64," + base64.b64encode(data).decode()}
    ).json()
    assert answer["number"] == "17 30"
    assert (answer["width"], answer["height"]) == Image.open(files["lines"]).size


def test_api_large_photo_is_read_small(client: TestClient) -> None:
    big = number_image("5407").resize((4000, 1680)).convert("RGB")
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=70)
    body = {"image_b64": base64.b64encode(buffer.getvalue()).decode(), "model": "wide"}
    answer = client.post("/api/read", json=body).json()
    assert answer["number"] == "5407" and answer["width"] == 4000
    assert answer["digits"][0]["box"][2] > 500  # boxes in the photo's own pixels
    assert answer["steps"][0]["note"] == "384x161 pixels"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"image_b64": "!!"}, "not valid base64"),
        ({"image_b64": ""}, "empty"),
        ({"image_b64": base64.b64encode(b"hello").decode()}, "not an image file"),
        ({}, "send a picture"),
        ({"width": 8000, "height": 100, "pixels_b64": ""}, "pixels wide"),
        ({"image_b64": "aGk=", "width": 10, "height": 10, "pixels_b64": ""}, "not both"),
    ],
)
def test_api_refuses_with_one_sentence(
    client: TestClient, body: dict[str, object], words: str
) -> None:
    response = client.post("/api/read", json=body)
    assert response.status_code == 422
    assert words in response.json()["error"]


def test_api_too_many_pixels(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000), 1).save(buffer, format="PNG")
    response = client.post(
        "/api/read", json={"image_b64": base64.b64encode(buffer.getvalue()).decode()}
    )
    assert response.status_code == 422 and "too large" in response.json()["error"]
