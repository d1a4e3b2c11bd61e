"""End-to-end tests of the ``digitnet serve`` page in a real browser (Debian's Chromium
driven by Playwright): draw, look inside a neuron, examples, train, save and switch models.

The screenshots of the main views land in ``docs/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from conftest import running_server
from digitnet.modelfile import pretrained_path

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server on a free port of 127.0.0.1, in a thread."""
    with running_server(tmp_path_factory.mktemp("models")) as url:
        yield url


class Watcher:
    """Console errors, page errors and requests to other hosts, for one page."""

    def __init__(self, page: Page, base: str) -> None:
        self.base = base
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.refused: list[str] = []  # 4xx answers, which the browser logs as console errors
        self.allow_refusals = False
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type not in ("error", "warning"):
            return
        if "the server responded with a status of 4" in message.text:
            self.refused.append(message.text)
        else:
            self.errors.append(f"console {message.type}: {message.text}")

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.base + "/") or url.startswith(("data:", "blob:"))):
            self.foreign.append(url)

    def check(self) -> None:
        assert self.errors == []
        if not self.allow_refusals:
            assert self.refused == []
        assert self.foreign == [], "the page asked hosts other than 127.0.0.1"


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


def shot(page: Page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def draw(page: Page, points: list[tuple[float, float]]) -> None:
    """One stroke through ``points`` given as fractions (0..1) of the drawing pad."""
    box = page.locator("#pad").bounding_box()
    assert box is not None
    x0, y0 = points[0]
    page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
    page.mouse.down()
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        for k in range(1, 9):
            t = k / 8
            page.mouse.move(
                box["x"] + (xa + (xb - xa) * t) * box["width"],
                box["y"] + (ya + (yb - ya) * t) * box["height"],
            )
    page.mouse.up()


def draw_one(page: Page) -> None:
    draw(page, [(0.5, 0.15), (0.49, 0.5), (0.48, 0.85)])


def no_vertical_scroll(page: Page) -> None:
    height, inner = page.evaluate("[document.documentElement.scrollHeight, innerHeight]")
    assert height <= inner, f"the main view scrolls: {height} > {inner}"


def click_neuron(page: Page, layer: int, index: int) -> None:
    pos = page.evaluate(f"window.digitnet.diagram.position({layer}, {index})")
    assert pos is not None
    page.mouse.click(pos["x"], pos["y"])


# ---------------------------------------------------------------------- draw
def test_draw_a_one_and_see_the_answer(app_page: Page) -> None:
    page = app_page
    expect(page.locator("#answer-message")).to_have_text("Draw a digit")
    draw_one(page)
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    expect(page.locator("#answer-digit")).to_have_text("1")
    expect(page.locator("#bars .bar.win .d")).to_have_text("1")
    expect(page.locator("#each-look")).to_be_hidden()  # video reads once: one pass, drawn
    # What the network sees, and how the drawing got there.
    page.locator("#steps summary").click()
    expect(page.locator("#steps-list .step").first).to_be_visible()
    assert page.locator("#steps-list .step").count() >= 3
    result = page.evaluate("window.digitnet.state.result")
    assert result["digit"] == 1 and max(result["input"]) > 0.5
    no_vertical_scroll(page)
    shot(page, "draw")
    # Undo brings back the empty pad: no guess.
    page.locator("#undo").click()
    expect(page.locator("#answer-message")).to_have_text("Draw a digit")
    expect(page.locator("#answer-digit")).to_have_text("?")


def test_draw_a_seven(app_page: Page) -> None:
    draw(app_page, [(0.22, 0.2), (0.78, 0.2), (0.45, 0.88)])
    expect(app_page.locator("body")).to_have_attribute("data-answer", "7", timeout=5000)


# ---------------------------------------------------------------------- a neuron up close
def test_click_a_neuron_and_see_its_weights_and_sum(app_page: Page) -> None:
    page = app_page
    draw_one(page)
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    click_neuron(page, 1, 3)
    panel = page.locator("#neuron-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#neuron-title")).to_have_text("Layer 1, neuron 3")
    expect(panel.locator("[data-testid=weights-picture]")).to_be_visible()
    formula = panel.locator("[data-testid=formula]")
    expect(formula).to_contain_text("z = \u03a3 w\u00b7a + b")
    expect(formula).to_contain_text("a = \u03c3(z)")
    expect(panel.locator("table.terms tbody tr")).to_have_count(8)
    # The written-out z and a are those of the network for this input.
    a = page.evaluate("window.digitnet.state.result.layers[1].activations[3]")
    expect(formula).to_contain_text(f"{a:.3f}".replace("-", "\u2212"))
    # What it responds to, from digitnet.inspection: its favourite input and top test digits.
    expect(panel.locator("[data-testid=favourite-input]")).to_be_visible(timeout=10_000)
    expect(panel.locator("[data-testid=top-digits] canvas")).to_have_count(6)
    no_vertical_scroll(page)
    shot(page, "neuron")
    # A neuron of the second hidden layer: its weights as a row of cells, traced to the pixels.
    click_neuron(page, 2, 5)
    expect(page.locator("#neuron-title")).to_have_text("Layer 2, neuron 5")
    expect(panel.locator("[data-testid=weights-row] .cell")).to_have_count(16)
    expect(panel.locator("[aria-label='weights traced back to the pixels']")).to_be_visible(
        timeout=10_000
    )
    # An output neuron, then an input pixel.
    click_neuron(page, 3, 1)
    expect(page.locator("#neuron-title")).to_have_text("Output neuron 1: the digit 1")
    click_neuron(page, 0, 14 * 28 + 14)
    expect(page.locator("#neuron-title")).to_have_text("Input pixel (14, 14)")
    page.locator("#neuron-close").click()
    expect(panel).to_be_hidden()


# ---------------------------------------------------------------------- examples
def test_examples_random_digit_and_mistakes(app_page: Page) -> None:
    page = app_page
    page.locator("#tab-examples").click()
    expect(page.locator("#example-info")).to_contain_text("The right answer", timeout=10_000)
    expect(page.locator("#mistake-grid .thumb").first).to_be_visible(timeout=10_000)
    expect(page.locator("#mistakes-title")).to_contain_text("wrong")
    page.locator("#mistake-grid .thumb").nth(2).click()
    expect(page.locator("#answer-message")).to_contain_text("wrong")
    label = page.evaluate("window.digitnet.state.example.label")
    expect(page.locator("#example-info")).to_contain_text(f"The right answer: {label}")
    page.locator("#mistake-next").click()
    expect(page.locator("#mistake-grid .thumb").nth(3)).to_have_attribute("aria-current", "true")
    page.locator("#random-example").click()
    expect(page.locator("#answer-message")).to_contain_text("labelled")
    no_vertical_scroll(page)
    shot(page, "examples")


# ---------------------------------------------------------------------- learn and models
def test_train_watch_curves_save_and_switch(app_page: Page, watcher: Watcher) -> None:
    page = app_page
    watcher.allow_refusals = True  # saving under "../escape" is refused on purpose
    page.locator("#tab-learn").click()
    # The form's defaults and choices come from the recipe (GET /api/options), every option
    # the page may set has a field, the rarer ones under "More options".
    from digitnet.recipe import Recipe, describe_options

    page_recipe = Recipe.preset("page")
    expect(page.locator("input[name=layers]")).to_have_value("784,16,16,10")
    expect(page.locator("input[name=epochs]")).to_have_value(str(page_recipe.epochs))
    expect(page.locator("select[name=cost]")).to_have_value(page_recipe.cost)
    for option in describe_options(page=True):
        assert page.locator(f"#learn-form [name={option['name']}]").count() == 1, option
    page.locator("#learn-more summary").click()
    page.select_option("select[name=augment]", "small")
    expect(page.locator("select[name=init]")).to_have_value(page_recipe.init)
    page.fill("input[name=layers]", "784,16,10")
    page.fill("input[name=epochs]", "3")
    page.fill("input[name=limit]", "6000")
    page.fill("input[name=validation_size]", "1000")
    # Record every redraw of the cost curve, to see it grow.
    page.evaluate(
        """() => {
        window.curve = [];
        const c = document.getElementById('loss-chart');
        new MutationObserver(() => window.curve.push(Number(c.dataset.points)))
            .observe(c, { attributes: true, attributeFilter: ['data-points'] });
    }"""
    )
    page.locator("#train-start").click()
    expect(page.locator("#train-stop")).to_be_enabled()
    expect(page.locator("#save-box")).to_be_visible(timeout=60_000)
    expect(page.locator("#train-status")).to_contain_text("Finished after 3 epochs")
    settings = page.evaluate("fetch('/api/runs').then(r => r.json())")["runs"][0]["settings"]
    assert settings["augment"] == "small" and settings["layers"] == [784, 16, 10]
    curve = page.evaluate("window.curve")
    grown = sorted(set(curve))
    assert len(grown) >= 3 and grown[-1] >= 4, curve
    assert page.locator("#acc-chart").get_attribute("data-points") == "6"
    assert int(page.locator("#weight-grid").get_attribute("data-updates") or 0) >= 4
    expect(page.locator("#weight-grid canvas")).to_have_count(16)
    no_vertical_scroll(page)
    shot(page, "learn")

    page.fill("#save-name", "../escape")
    page.locator("#save-run").click()
    expect(page.locator("#train-error")).to_contain_text("model name")
    page.fill("#save-name", "tiny-net")
    page.locator("#save-run").click()
    expect(page.locator("#save-status")).to_contain_text("Saved as")
    page.locator("#use-run").click()
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#model-select")).to_have_value("tiny-net")
    draw_one(page)
    page.wait_for_function(
        "window.digitnet.state.result && window.digitnet.state.result.model === 'tiny-net'"
    )
    assert page.evaluate("window.digitnet.state.result.layers.length") == 3

    # Back to the pretrained network from the Models view.
    page.locator("#tab-models").click()
    expect(page.locator(".model-card[data-model=tiny-net]")).to_have_class("model-card current")
    page.locator(".model-card[data-model=video] button").click()
    expect(page.locator("#model-select")).to_have_value("video")
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    page.locator("#tab-models").click()
    expect(page.locator(".model-card[data-model=video]")).to_have_class("model-card current")
    shot(page, "models")


def test_a_failing_run_says_why(app_page: Page, watcher: Watcher) -> None:
    page = app_page
    watcher.allow_refusals = True  # the second run's layers are refused on purpose
    page.locator("#tab-learn").click()
    page.fill("input[name=layers]", "784,16,10")
    page.select_option("select[name=hidden_activation]", "relu")
    page.select_option("select[name=optimizer]", "sgd")
    page.fill("input[name=learning_rate]", "100")
    page.fill("input[name=limit]", "2000")
    page.locator("#train-start").click()
    expect(page.locator("#train-error")).to_contain_text("diverged", timeout=30_000)
    expect(page.locator("#train-start")).to_be_enabled()
    page.fill("input[name=layers]", "784,16,9")
    page.locator("#train-start").click()
    expect(page.locator("#train-error")).to_contain_text("end with 10")


@pytest.mark.skipif(not pretrained_path("wide").is_file(), reason="no wide network installed")
def test_wide_network_shows_its_strongest_neurons(app_page: Page) -> None:
    page = app_page
    page.select_option("#model-select", "wide")
    draw_one(page)
    page.wait_for_function(
        "window.digitnet.state.result && window.digitnet.state.result.model === 'wide'"
    )
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    page.wait_for_timeout(300)  # the last prediction of the stroke has arrived
    # wide reads each digit five times (digitnet.looks), and the page says so.
    expect(page.locator("#answer-message .looks")).to_contain_text("read 5 times")
    # ... and shows each look: the digit moved a pixel, and what that look answered.
    looks = page.locator("#each-look .look")
    expect(looks).to_have_count(5)
    expect(looks.first).to_have_attribute("title", re.compile(r"^as prepared: 1 \(\d+%\)$"))
    expect(looks.nth(1)).to_have_attribute("title", re.compile(r"^moved up: \d \(\d+%\)$"))
    moved = page.evaluate(
        """() => {
          const [first, up] = [...document.querySelectorAll('#each-look canvas')].map(
            (c) => c.getContext('2d').getImageData(0, 0, 28, 28).data);
          let same = 0;  // the look moved up: its row r is the first look's row r + 1
          for (let i = 0; i < 27 * 28; i++) same += up[4 * i] === first[4 * (i + 28)];
          return same === 27 * 28;
        }"""
    )
    assert moved
    layer = page.evaluate("window.digitnet.state.result.layers[1]")
    assert len(layer["shown"]) == 16 and layer["hidden"] == layer["size"] - 16
    click_neuron(page, 1, layer["shown"][0])
    expect(page.locator("#neuron-panel [data-testid=weights-picture]")).to_be_visible()
    page.locator("#neuron-close").click()
    shot(page, "wide")


# ---------------------------------------------------------------------- a phone
def test_phone_width(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    watcher = Watcher(page, server)
    try:
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        assert page.evaluate("getComputedStyle(document.getElementById('pad')).touchAction") == (
            "none"
        )
        draw_one(page)
        expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= inner, f"the page scrolls sideways on a phone: {width} > {inner}"
        shot(page, "phone", full_page=True)
        for view in ("learn", "models", "examples"):
            page.locator(f"#tab-{view}").click()
            page.wait_for_timeout(100)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= inner, f"the {view} view scrolls sideways on a phone"
        watcher.check()
    finally:
        context.close()
