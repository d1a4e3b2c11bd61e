"""Whole numbers on the page, in a real browser: write a number on the wide pad and read it,
look at one digit's pass through the network, open a photo through the file input.

The page, server and watcher fixtures are those of test_web_browser.py (imported, hence the
F811 exemption: pytest hands them in as arguments of the same names)."""
# ruff: noqa: F811

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from digitnet import synthetic_numbers as sn
from test_browser_tour import unexplained
from test_web_browser import (  # noqa: F401
    LAPTOP,
    Watcher,
    app_page,
    click_neuron,
    draw,
    server,
    shot,
    watcher,
)

pytestmark = pytest.mark.browser

# Three digits as strokes, in fractions of the wide pad (3 times as wide as high).
ONE = [(0.17, 0.15), (0.165, 0.85)]
SEVEN = [(0.4, 0.2), (0.6, 0.2), (0.47, 0.86)]
FOUR = [[(0.82, 0.15), (0.72, 0.6), (0.9, 0.6)], [(0.85, 0.35), (0.85, 0.87)]]


def write_number(page: Page) -> None:
    """Switch the pad to number mode and write 1, 7 and 4."""
    page.locator("#number-mode").click()
    expect(page.locator("#pad")).to_have_class("pad wide")
    draw(page, ONE)
    draw(page, SEVEN)
    for stroke in FOUR:
        draw(page, stroke)


def diagram_width_beside_open_neuron(page: Page) -> float:
    """The diagram's width, once the open neuron panel is seen to show both its pictures
    whole (in number mode the pad's column must not squeeze the panel) and the diagram's
    layer captions are seen apart."""
    fits, diagram = page.evaluate(
        """(() => {
          const panel = document.getElementById("neuron-panel").getBoundingClientRect();
          const pictures = [...document.querySelectorAll("#neuron-panel .pics canvas")];
          const whole = pictures.length === 2 && pictures.every((c) => {
            const box = c.getBoundingClientRect();
            return box.left >= panel.left && box.right <= panel.right;
          });
          return [whole, document.querySelector(".centre").getBoundingClientRect().width];
        })()"""
    )
    assert fits, "the neuron panel cuts its pictures off in number mode"
    captions = page.evaluate("window.digitnet.diagram.captions")
    assert len(captions) == 3
    for one, next_one in zip(captions, captions[1:], strict=False):
        assert one["right"] < next_one["left"], f"{one['text']} runs into {next_one['text']}"
    return float(diagram)


def test_write_a_number_and_look_at_its_middle_digit(app_page: Page) -> None:
    page = app_page
    write_number(page)
    expect(page.locator("body")).to_have_attribute("data-number", "174", timeout=10_000)
    expect(page.locator("#number-text")).to_have_text("174")
    expect(page.locator("#number-boxes .number-box")).to_have_count(3)
    # The middle digit: its answer, its input and its activations on the stage.
    page.locator("#number-digits .number-digit").nth(1).click()
    expect(page.locator("#number-digits .number-digit").nth(1)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#answer-digit")).to_have_text("7")
    expect(page.locator("#answer-message")).to_contain_text("digit 2 of 3 in 174")
    seen = page.evaluate(
        "[window.digitnet.state.result.input, window.digitnet.numbers.reading.digits[1].input,"
        " window.digitnet.state.result.layers[1].activations]"
    )
    assert seen[0] == seen[1] and max(seen[0]) > 0.5
    click_neuron(page, 1, 3)
    formula = page.locator("#neuron-panel [data-testid=formula]")
    expect(formula).to_contain_text(f"{seen[2][3]:.3f}".replace("-", "\u2212"))
    # The neuron panel is as wide as beside one digit: its two pictures are seen whole, and
    # the diagram keeps room, on a laptop and on a 1024-pixel screen.
    for width in (LAPTOP["width"], 1024):
        page.set_viewport_size({"width": width, "height": LAPTOP["height"]})
        assert diagram_width_beside_open_neuron(page) >= 250, f"at {width} pixels"
    page.set_viewport_size(LAPTOP)
    assert unexplained(page) == []  # every control and number explains itself
    shot(page, "numbers")
    # The pad, smaller beside the open neuron, still reads what is written on it.
    page.locator("#clear").click()
    expect(page.locator("#number-result")).to_be_hidden()
    page.evaluate("document.body.removeAttribute('data-number')")
    assert page.evaluate("document.getElementById('stage').classList.contains('inspecting')")
    for stroke in (ONE, SEVEN, *FOUR):
        draw(page, stroke)
    expect(page.locator("body")).to_have_attribute("data-number", "174", timeout=10_000)
    # Back to one digit: the square pad, no number.
    page.locator("#neuron-close").click()
    page.locator("#number-mode").click()
    expect(page.locator("#number-result")).to_be_hidden()
    expect(page.locator("#answer-message")).to_have_text("Draw a digit")


def photo_of_a_number(path: Path) -> None:
    """A phone-like photo (uneven light, blur, noise, JPEG) of 3, 0 and 8 written with a pen."""
    canvas = Image.new("L", (420, 200), 255)
    pen = ImageDraw.Draw(canvas)
    strokes = [
        [(60, 50), (100, 40), (120, 70), (95, 100), (125, 125), (105, 155), (60, 150)],
        [
            (200, 45),
            (235, 60),
            (245, 100),
            (235, 145),
            (200, 158),
            (170, 140),
            (160, 100),
            (172, 60),
            (200, 45),
        ],
        [
            (330, 45),
            (355, 60),
            (345, 95),
            (310, 115),
            (300, 140),
            (330, 158),
            (362, 140),
            (350, 112),
            (315, 92),
            (305, 62),
            (330, 45),
        ],
    ]
    for stroke in strokes:
        pen.line(stroke, fill=0, width=9, joint="curve")
    sn.photograph(canvas, np.random.default_rng(7)).save(path, quality=80)


def test_open_a_photo_through_the_file_input(app_page: Page, tmp_path: Path) -> None:
    page = app_page
    photo = tmp_path / "number.jpg"
    photo_of_a_number(photo)
    file_input = page.locator("#photo-input")
    assert file_input.get_attribute("accept") == "image/*"
    assert file_input.get_attribute("capture") is not None
    file_input.set_input_files(str(photo))
    expect(page.locator("body")).to_have_attribute("data-number", "308", timeout=10_000)
    picture = page.locator("#number-picture")
    expect(picture).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert page.evaluate("window.digitnet.state.source") == "photo"
    # The photo's own steps and the chosen digit's, in "How your drawing became 28x28".
    page.locator("#steps summary").click()
    names = page.evaluate("window.digitnet.state.result.steps.map((s) => s.name)")
    assert names[:4] == ["grey", "flat", "inverted", "cleaned"] and names[-1] == "centered"
    # Another model reads the same photo again.
    page.locator("#model-select").select_option("wide")
    page.wait_for_function("window.digitnet.numbers.reading.model === 'wide'", timeout=10_000)
    expect(page.locator("body")).to_have_attribute("data-number", "308")


def test_an_unreadable_file_gets_one_sentence(
    app_page: Page, tmp_path: Path, watcher: Watcher
) -> None:
    watcher.allow_refusals = True
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are not the pixels you are looking for")
    app_page.locator("#photo-input").set_input_files(str(bad))
    expect(app_page.locator("#toast")).to_contain_text("not an image file", timeout=10_000)


def test_drop_a_photo_on_the_page(app_page: Page, tmp_path: Path) -> None:
    page = app_page
    photo = tmp_path / "dropped.jpg"
    photo_of_a_number(photo)
    data = base64.b64encode(photo.read_bytes()).decode()
    page.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
            const stage = document.getElementById("stage");
            const how = { dataTransfer: transfer, bubbles: true, cancelable: true };
            stage.dispatchEvent(new DragEvent("dragover", how));
            stage.dispatchEvent(new DragEvent("drop", how));
        }""",
        data,
    )
    expect(page.locator("body")).to_have_attribute("data-number", "308", timeout=10_000)
    # Drawing on the pad again gives the stage back to the drawing.
    draw(page, [(0.5, 0.15), (0.49, 0.5), (0.48, 0.85)])
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    assert page.evaluate("window.digitnet.state.source") == "draw"
    expect(page.locator("#number-result")).to_be_hidden()


def test_a_digit_of_a_number_shows_its_five_looks(app_page: Page) -> None:
    """With `wide`, which reads each digit five times, a digit of the number shows its own."""
    page = app_page
    page.select_option("#model-select", "wide")
    write_number(page)
    expect(page.locator("body")).to_have_attribute("data-number", "174", timeout=10_000)
    page.locator("#number-digits .number-digit").nth(2).click()
    expect(page.locator("#answer-digit")).to_have_text("4")
    looks = page.locator("#each-look .look")
    expect(looks).to_have_count(5)
    expect(looks.first).to_have_attribute("title", re.compile(r"^as prepared: 4 \(\d+%\)$"))
    digit = page.evaluate("window.digitnet.numbers.reading.digits[2].each_look[0].digit")
    assert digit == 4
