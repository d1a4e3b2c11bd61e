"""The page's "Beyond the video" panel in a real browser (Chromium through Playwright): fooling
a test digit into another, and the maps of the layers whose marker follows the drawing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from conftest import running_server
from test_browser_tour import unexplained
from test_web_browser import LAPTOP, Watcher, draw, draw_one, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page's server, with a saved model that keeps snapshots of its training."""
    from digitnet.cli import main

    models = tmp_path_factory.mktemp("models")
    argv = ["train", "--layers", "784,16,10", "--epochs", "3", "--limit", "3000"]
    argv += ["--validation-size", "1000", "--snapshots", "-q"]
    assert main([*argv, "-o", str(models / "snappy.safetensors")]) == 0
    with running_server(models) as url:
        yield url


@pytest.fixture
def watcher(page: Page, server: str) -> Watcher:
    return Watcher(page, server)


@pytest.fixture
def app_page(page: Page, server: str, watcher: Watcher) -> Iterator[Page]:
    """The page at laptop size, ready, with console errors and foreign requests watched."""
    page.set_viewport_size(LAPTOP)
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    yield page
    watcher.check()


def open_beyond(page: Page) -> None:
    page.click("#beyond-toggle")
    expect(page.locator("#beyond-panel")).to_be_visible()


def ink(page: Page, selector: str) -> int:
    """How many pixels of a canvas are not black."""
    return int(
        page.evaluate(
            """(sel) => {
              const c = document.querySelector(sel);
              const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) n++;
              return n;
            }""",
            selector,
        )
    )


def test_fooling_a_test_seven_into_a_three(app_page: Page, watcher: Watcher) -> None:
    page = app_page
    page.evaluate("window.digitnet.showTestDigit(0)")  # MNIST's first test digit: a 7
    expect(page.locator("body")).to_have_attribute("data-answer", "7")
    open_beyond(page)
    page.click("#fool-targets button[data-target='3']")
    expect(page.locator("body")).to_have_attribute("data-fooling", "fooled-3", timeout=15_000)
    result = page.locator("#fool-result")
    expect(result).to_contain_text("now reads 3")
    expect(result).to_contain_text("instead of 7")
    expect(result).to_contain_text("you still read a 7")
    assert ink(page, "#fool-change") > 100  # the change is shown, as a picture
    assert ink(page, "#fool-fooled") > 50
    assert unexplained(page) == []  # every control and number explains itself
    shot(page, "beyond-fool")
    # Fed through the network on the stage, the fooled digit is read as a 3 (still a 7).
    page.click("#fool-show")
    expect(page.locator("body")).to_have_attribute("data-answer", "3")
    expect(page.locator("#example-info")).to_contain_text("#0, fooled")
    expect(page.locator("#answer-message")).to_contain_text("labelled 7")
    # Asking for the digit it already reads is one sentence (a 422), not a broken page.
    watcher.allow_refusals = True
    page.evaluate("window.digitnet.beyond.fool(3)")
    expect(result).to_contain_text("already reads this digit as a 3")
    open_beyond_again = page.locator("#beyond-panel")
    expect(open_beyond_again).to_be_visible()


def test_the_maps_marker_moves_while_drawing(app_page: Page) -> None:
    page = app_page
    open_beyond(page)
    expect(page.locator("#map-2")).to_be_visible(timeout=60_000)
    assert page.locator("#maps canvas").count() == 4  # input, two hidden layers, output
    assert page.get_attribute("#map-2", "data-marker") is None  # nothing drawn yet
    draw_one(page)
    expect(page.locator("#map-2")).to_have_attribute(
        "data-marker", re.compile(r".+"), timeout=10_000
    )
    before = [page.get_attribute(f"#map-{k}", "data-marker") for k in range(4)]
    assert all(before)
    draw(page, [(0.25, 0.2), (0.75, 0.2)])  # a bar on top: now it looks like a 7
    page.wait_for_function(
        "(old) => document.querySelector('#map-2').dataset.marker !== old", arg=before[2]
    )
    after = [page.get_attribute(f"#map-{k}", "data-marker") for k in range(4)]
    assert sum(a != b for a, b in zip(before, after, strict=True)) >= 3
    assert unexplained(page) == []  # every control and number explains itself
    shot(page, "beyond-maps")
    # A click on the map shows the test digit there.
    page.click("#map-3", position={"x": 90, "y": 90})
    expect(page.locator("#tab-examples")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#example-info")).to_contain_text("Test digit #")


def weight_pictures(page: Page) -> list[str]:
    return list(
        page.evaluate(
            "[...document.querySelectorAll('#replay-weights canvas')].map((c) => c.toDataURL())"
        )
    )


def test_the_epoch_slider_replays_the_weights_and_the_answer(app_page: Page) -> None:
    page = app_page
    draw_one(page)
    expect(page.locator("#answer-digit")).not_to_have_text("?")
    page.select_option("#model-select", "snappy")
    page.click("#tab-models")
    expect(page.locator("#replay-body")).to_be_visible(timeout=15_000)
    expect(page.locator("body")).to_have_attribute("data-replay-epoch", "3")
    answer = page.locator("#replay-answer")
    expect(answer).to_contain_text("At epoch 3 the network reads")
    last_answer = answer.inner_text()
    last_weights = weight_pictures(page)
    assert len(last_weights) == 16
    slider = page.locator("#replay-epoch")
    assert slider.get_attribute("max") == "3"  # epochs 0 (untrained) to 3
    slider.fill("0")
    expect(page.locator("body")).to_have_attribute("data-replay-epoch", "0")
    expect(answer).to_contain_text("At epoch 0 the network reads")
    assert answer.inner_text() != last_answer
    first_weights = weight_pictures(page)
    assert all(a != b for a, b in zip(first_weights, last_weights, strict=True))
    slider.fill("2")
    expect(answer).to_contain_text("At epoch 2")
    assert unexplained(page) == []  # every control and number explains itself
    shot(page, "beyond-replay")
    # A shipped model has no snapshots: one sentence instead of a slider.
    page.select_option("#model-select", "video")
    page.click("#tab-draw")
    page.click("#tab-models")
    expect(page.locator("#replay-none")).to_contain_text("has no snapshots")


def test_the_forward_pass_sweeps_layer_by_layer(app_page: Page) -> None:
    page = app_page
    draw_one(page)
    expect(page.locator("#answer-digit")).not_to_have_text("?")
    page.click("#forward-play")
    expect(page.locator("body")).to_have_attribute("data-forward", "playing")
    expect(page.locator("body")).to_have_attribute("data-forward", "done", timeout=5_000)
    reached = page.evaluate("window.digitnet.forward.reached")
    assert reached == sorted(reached)  # layer after layer, never back
    assert reached[0] == 0 and {1, 2, 3} <= set(reached)
    # At the end the diagram shows the reading itself again, answer marked.
    assert page.evaluate("window.digitnet.diagram.result === window.digitnet.state.result")
