"""Teaching the page your handwriting, in a real browser: correct a misread drawing, teach,
read the next drawing in the same hand right; one step; export and import your digits."""

from __future__ import annotations

import base64
import io
import math
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from conftest import running_server
from digitnet.network import Network
from digitnet.prediction import predict_images
from digitnet.synthetic import WRITERS, Writer, writer_digit, writer_strokes

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
#: The pad draws with a pen 1/13 of its width; a digit drawn 60% of the pad high has a pen
#: this many times its height.
PAD_PEN = 1 / 13 / 0.6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("models")) as url:
        yield url


@pytest.fixture(scope="module")
def hand() -> Writer:
    """Of the test writers, the one ``video`` misreads most (measured now), with the pad's pen."""
    net = Network.load("video")
    worst: tuple[float, str] = (2.0, "")
    for name, writer in WRITERS.items():
        rng = np.random.default_rng(11)
        images = [writer_digit(d % 10, writer, rng) for d in range(20)]
        right = np.mean([p.digit == d % 10 for d, p in enumerate(predict_images(net, images))])
        worst = min(worst, (float(right), name))
    found = WRITERS[worst[1]]
    return Writer(found.slant, found.turn, found.width, PAD_PEN, found.wobble)


def draw_strokes(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Strokes around (0, 0) in units of the digit's height, drawn 60% of the pad high."""
    box = page.locator("#pad").bounding_box()
    assert box is not None

    def at(x: float, y: float) -> tuple[float, float]:
        return box["x"] + (0.5 + 0.6 * x) * box["width"], box["y"] + (0.5 + 0.6 * y) * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for (xa, ya), (xb, yb) in zip(stroke, stroke[1:], strict=False):
            steps = max(1, math.ceil(math.hypot(xb - xa, yb - ya) / 0.03))
            for k in range(1, steps + 1):
                t = k / steps
                page.mouse.move(*at(xa + (xb - xa) * t, ya + (yb - ya) * t))
        page.mouse.up()


def answer_for(page: Page, strokes: list[list[tuple[float, float]]]) -> int:
    """Clear the pad, draw, wait for the answer to this drawing."""
    page.click("#clear")
    page.wait_for_function("document.body.dataset.answer === ''")
    before = page.evaluate("window.digitnet.state.predictions")
    draw_strokes(page, strokes)
    shown = "!document.querySelector('#correct').hidden"
    page.wait_for_function(f"window.digitnet.state.predictions > {before} && {shown}")
    page.wait_for_timeout(150)  # the last stroke's reading
    page.wait_for_function("document.body.dataset.answer !== ''")
    return int(page.evaluate("document.body.dataset.answer"))


def upload_hand(page: Page, base: str, hand: Writer, n: int, seed: int) -> None:
    """``n`` digits in ``hand`` added through the API, as the pad sends them (112x112)."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        image = writer_digit(i % 10, hand, rng).resize((112, 112))
        pixels = base64.b64encode(np.asarray(image, np.uint8).tobytes()).decode()
        body = {
            "width": 112,
            "height": 112,
            "pixels_b64": pixels,
            "label": i % 10,
            "model": "video",
        }
        r = page.request.post(base + "/api/digits", data=body)
        assert r.ok, r.text()


def test_correct_teach_read_right_step_export_import(
    page: Page, server: str, hand: Writer, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size(LAPTOP)
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    rng = np.random.default_rng(5)
    # a drawing in this hand that the network misreads, corrected with a key
    for attempt in range(30):
        digit = attempt % 10
        strokes = writer_strokes(digit, hand, rng)
        if answer_for(page, strokes) != digit:
            break
    else:
        pytest.fail("the network read every drawing in this hand right")
    expect(page.locator("#correct")).to_contain_text("Wrong? It is a")
    page.keyboard.press(str(digit))
    expect(page.locator("#correct-status")).to_contain_text(f"Kept as a {digit}")
    expect(page.locator("body")).to_have_attribute("data-digits", "1")
    # more of this writer's digits, 3 of each kind, and the Teach view
    upload_hand(page, server, hand, 30, seed=21)
    page.click("#correct-status a")
    expect(page.locator("#tab-teach")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#gallery .digit")).to_have_count(31)
    expect(page.locator("#gallery .digit.wrong").first).to_be_visible()
    # one example, one step: the cost written out, the pictures, the outputs change
    expect(page.locator("#lesson-cost")).to_contain_text("C =")
    expect(page.locator("#lesson-gradients canvas")).to_have_count(16)
    expect(page.locator(".nudges")).to_have_count(2)
    page.fill("#step-rate", "1")
    page.click("#step-once")
    expect(page.locator("#step-cost")).to_contain_text("nothing is saved")
    before = page.evaluate("JSON.parse(document.querySelector('#step-result').dataset.before)")
    after = page.evaluate("JSON.parse(document.querySelector('#step-result').dataset.after)")
    assert after[digit] > before[digit] and after != before
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "teach.png"))
    # export both ways, delete all, import the zip back
    with page.expect_download() as download:
        page.click("#export-png")
    zipped = tmp_path / "mine.zip"
    download.value.save_as(zipped)
    names = zipfile.ZipFile(zipped).namelist()
    assert len(names) == 31 and all(n.split("_")[0].isdigit() for n in names)
    with page.expect_download() as download:
        page.click("#export-idx")
    idx = io.BytesIO(Path(download.value.path()).read_bytes())
    assert sorted(zipfile.ZipFile(idx).namelist())[0] == "t10k-images-idx3-ubyte.gz"
    page.locator("#gallery .digit .delete").first.click()
    expect(page.locator("#gallery .digit")).to_have_count(30)
    for entry in page.request.get(server + "/api/digits").json()["digits"]:
        assert page.request.delete(f"{server}/api/digits/{entry['id']}").ok
    page.click("#tab-draw")
    page.click("#tab-teach")
    expect(page.locator("#gallery .digit")).to_have_count(0)
    empty = page.locator("#gallery > p")
    expect(empty).to_have_text("No digits yet.")
    gallery_box, empty_box = page.locator("#gallery").bounding_box(), empty.bounding_box()
    assert gallery_box and empty_box and empty_box["width"] > 0.9 * gallery_box["width"]
    page.set_input_files("#import-files", str(zipped))
    expect(page.locator("#gallery .digit")).to_have_count(31)
    # teach: live numbers, a new model in use
    page.click("#teach-start")
    expect(page.locator("#teach-saved")).to_contain_text("video-taught", timeout=60_000)
    expect(page.locator("#teach-table")).to_contain_text("MNIST test digits")
    expect(page.locator("#moved canvas")).to_have_count(4)
    assert page.evaluate("window.digitnet.state.model") == "video-taught"
    page.screenshot(path=str(SCREENSHOTS / "teach-done.png"))
    # the next drawings in the same hand are read right
    page.click("#tab-draw")
    right = sum(answer_for(page, writer_strokes(digit, hand, rng)) == digit for _ in range(3))
    assert right >= 2, right
    assert errors == []
