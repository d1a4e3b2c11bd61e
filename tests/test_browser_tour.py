"""The tour (issue 11) and the help bubbles, in a real browser: every step from /#tour/1 to the
end, each step's interaction, the check questions, no console errors and no request leaving the
machine. A screenshot of every step lands in docs/screenshots/tour-N.png."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from conftest import running_server
from digitnet import load_pretrained
from digitnet.web.app import STATIC
from test_web_browser import LAPTOP, PHONE, Watcher, draw, draw_one, shot

pytestmark = pytest.mark.browser

TEXTS = json.loads((STATIC / "texts.json").read_text(encoding="utf-8"))
STEPS = TEXTS["tour"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("models")) as url:
        yield url


@pytest.fixture
def watcher(page: Page, server: str) -> Watcher:
    return Watcher(page, server)


def offline(page: Page, base: str) -> list[str]:
    """Refuse every request to another host; the list collects any that was tried."""
    tried: list[str] = []

    def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith((base + "/", "data:", "blob:")):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    page.route("**/*", handle)
    return tried


def answer(page: Page, step: dict[str, Any], wrong_first: bool) -> None:
    """Answer the step's check question (a wrong answer first, if asked), with instant feedback."""
    question = step["question"]
    choices = page.locator(".tour-choice")
    expect(choices).to_have_count(len(question["choices"]))
    feedback = page.locator(".tour-feedback")
    if wrong_first:
        wrong = next(k for k in range(len(question["choices"])) if k != question["answer"])
        choices.nth(wrong).click()
        expect(feedback).to_have_text(question["wrong"])
        expect(feedback).to_have_class(re.compile(r"\bbad\b"))
    choices.nth(question["answer"]).click()
    expect(feedback).to_have_text(question["right"])
    expect(feedback).to_have_class(re.compile(r"\bok\b"))
    expect(choices.nth(question["answer"])).to_have_attribute("data-verdict", "right")


def readout(page: Page, testid: str) -> Any:
    return page.locator(f"#tour [data-testid={testid}]")


def what_if(net: Any, x: np.ndarray, neuron: int, bias: float) -> tuple[float, np.ndarray]:
    """The first hidden layer's ``neuron`` activation and the probabilities, on a copy of the
    network with that neuron's bias set to ``bias`` (what the page computes in whatif.js)."""
    copy = net.copy()
    copy.biases[0][neuron] = bias
    fp = copy.feedforward(x[None, :])
    out = fp.activations[-1][0]
    return float(fp.activations[1][0][neuron]), out / out.sum()


def set_slider(page: Page, value: float) -> None:
    page.locator("#tour-bias").evaluate(
        "(s, v) => { s.value = String(v); s.dispatchEvent(new Event('input', {bubbles: true})); }",
        value,
    )


def step_bias(page: Page) -> tuple[int, float]:
    """Drag the bias: the activation shown and layer 2 change, and the answer where it should."""
    net = load_pretrained("video")
    x = np.array(page.evaluate("window.digitnet.state.result.input"), dtype=np.float64)
    real = int(page.evaluate("window.digitnet.state.result.digit"))
    # A neuron and a bias (within the slider's range) that make the network answer another digit.
    flip = None
    for k in range(16):
        trained = float(net.biases[0][k])
        lo, hi = np.floor(min(-20, trained - 10)), np.ceil(max(20, trained + 10))
        for b in np.linspace(lo, hi, 41):
            _, p = what_if(net, x, k, b)
            ranked = np.sort(p)[::-1]
            if int(p.argmax()) != real and ranked[0] - ranked[1] > 0.05:
                flip = (k, round(float(b), 1))
                break
        if flip:
            break
    assert flip is not None, "no bias of a first-layer neuron changes the answer for this drawing"
    k, b = flip
    page.locator("#tour-neuron").select_option(str(k))
    shown = readout(page, "whatif-a")
    expect(shown).to_have_attribute("data-neuron", str(k))
    trained_a = page.evaluate(f"window.digitnet.state.result.layers[1].activations[{k}]")
    # A real drag of the slider's thumb to its left end: the lowest bias.
    slider = page.locator("#tour-bias")
    box = slider.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 40, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    low = float(slider.evaluate("s => s.min"))
    assert float(slider.input_value()) == pytest.approx(low)
    expected, _ = what_if(net, x, k, low)
    assert float(shown.get_attribute("data-a") or "nan") == pytest.approx(expected, abs=2e-3)
    assert expected != pytest.approx(trained_a, abs=1e-3) or trained_a < 1e-3
    # The bias that changes the answer: the what-if answer is the copy's, the model's stays.
    set_slider(page, b)
    a, p = what_if(net, x, k, b)
    assert float(shown.get_attribute("data-a") or "nan") == pytest.approx(a, abs=2e-3)
    answer_box = readout(page, "whatif-answer")
    expect(answer_box).to_have_attribute("data-digit", str(int(p.argmax())))
    expect(answer_box).to_have_class(re.compile(r"\bchanged\b"))
    expect(page.locator("#tour [data-testid=whatif-layer2] .changed").first).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-answer", str(real))  # the model: as it was
    # The model never changed: the server still reads the same activation.
    detail = page.evaluate(
        f"fetch('/api/models/video/neurons/1/{k}').then(r => r.json()).then(d => d.bias)"
    )
    assert detail == pytest.approx(float(net.biases[0][k]), abs=1e-3)
    return k, b - float(net.biases[0][k])


def test_the_tour_from_the_first_step_to_the_last(
    page: Page, server: str, watcher: Watcher
) -> None:
    neuron, shift = 0, 0.0
    tried = offline(page, server)
    page.set_viewport_size(LAPTOP)
    page.goto(server + "/#tour/1")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    card = page.locator("#tour")
    expect(card).to_be_visible()
    assert [s["id"] for s in STEPS] == [
        "problem", "neuron", "layers", "hope", "weights",
        "bias", "sigmoid", "knobs", "matrix", "learning",
    ]  # fmt: skip
    for n, step in enumerate(STEPS, start=1):
        expect(card).to_have_attribute("data-step", str(n))
        assert page.evaluate("location.hash") == f"#tour/{n}"
        expect(page.locator("#tour-title")).to_have_text(step["title"])
        expect(page.locator("#tour-progress")).to_have_attribute("aria-valuenow", str(n))
        expect(page.locator(".tour-spot").first).to_be_visible()  # the live part, highlighted
        sid = step["id"]
        if sid == "problem":
            expect(page.locator("#examples-panel")).to_be_visible()
            expect(page.locator("#answer-message")).to_contain_text("labelled", timeout=10_000)
            pixels = page.locator("#tour-pixels")
            pixels.hover(position={"x": 14.5 / 28 * 196, "y": 14.5 / 28 * 196})
            value = page.evaluate("window.digitnet.state.result.input[14 * 28 + 14]")
            expect(readout(page, "pixel-value")).to_have_text(
                f"Pixel row 14, column 14: {value:.2f}"
            )
        elif sid == "neuron":
            expect(page.locator("#draw-panel")).to_be_visible()
            draw_one(page)
            expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
            lit = page.evaluate("window.digitnet.state.result.input.filter(v => v > 0).length")
            expect(readout(page, "lit-inputs")).to_have_attribute("data-lit", str(lit))
            assert lit > 20
        elif sid == "layers":
            expect(readout(page, "sizes")).to_have_text("Layers: 784 \u2192 16 \u2192 16 \u2192 10")
            expect(readout(page, "brightest")).to_have_attribute("data-digit", "1")
        elif sid == "hope":
            verdict = readout(page, "evidence-verdict")
            expect(verdict).to_have_attribute("data-same", re.compile(r"\d"), timeout=15_000)
            expect(page.locator("#tour .tour-digits canvas")).to_have_count(6)
            page.locator("#tour-neuron-next").click()
            expect(readout(page, "evidence-neuron")).to_have_text("layer 1, neuron 1")
            page.locator("#tour-layer").select_option("2")
            expect(readout(page, "evidence-neuron")).to_have_text("layer 2, neuron 0")
            expect(page.locator("#tour .tour-figs figcaption").first).to_have_text(
                "weights traced to pixels", timeout=15_000
            )
        elif sid == "weights":
            k = int(page.locator("#tour-neuron").input_value())
            z = page.evaluate(f"window.digitnet.state.result.layers[1].weighted_sums[{k}]")
            formula = readout(page, "tour-sum")
            expect(formula).to_have_attribute("data-z", re.compile(r"."), timeout=5000)
            # The formula is the sum for the input the page holds (its pixels rounded to three
            # decimals); the diagram's z is the server's, from the unrounded pixels.
            held = np.array(page.evaluate("window.digitnet.state.result.input"), np.float32)
            net = load_pretrained(page.evaluate("window.digitnet.state.model"))
            held_z = float(net.feedforward(held[None]).weighted_sums[0][0][k])
            assert float(formula.get_attribute("data-z") or "nan") == pytest.approx(
                held_z, abs=1e-4
            )
            assert abs(held_z - z) <= 0.0005 * float(np.abs(net.weights[0][k]).sum())
            expect(formula).to_contain_text("+ b = ")
            expect(formula).to_contain_text("\u00d7")
        elif sid == "bias":
            neuron, shift = step_bias(page)
        elif sid == "sigmoid":
            # The z marked on the curve is the what-if one of the step before.
            z = readout(page, "sigmoid-z")
            expect(z).to_have_attribute("data-z", re.compile(r"."))
            expect(z).to_contain_text(f"Layer 1, neuron {neuron}: z = ")
            trained_z = page.evaluate(
                f"window.digitnet.state.result.layers[1].weighted_sums[{neuron}]"
            )
            assert float(z.get_attribute("data-z") or "nan") == pytest.approx(
                trained_z + shift, abs=1e-3
            )
            relu = readout(page, "relu-z")
            expect(relu).to_have_attribute("data-model", "wide", timeout=10_000)
            expect(relu).to_contain_text("ReLU")
        elif sid == "knobs":
            expect(readout(page, "knobs-total")).to_have_text("13,002")
            expect(page.locator(".diagram-wrap .tour-knob")).to_have_count(3)
            expect(page.locator(".diagram-wrap .tour-knob").first).to_contain_text("12,560")
        elif sid == "matrix":
            check = readout(page, "matrix-check")
            expect(check).to_have_attribute("data-z", re.compile(r"."), timeout=5000)
            total = float(check.get_attribute("data-sum") or "nan")
            assert total == pytest.approx(float(check.get_attribute("data-z") or "nan"), abs=1e-2)
            expect(readout(page, "matrix-shapes")).to_contain_text("W\u00b9 16\u00d7784")
        elif sid == "learning":
            expect(page.locator("#learn")).to_be_visible()
            page.locator("#tour-train").click()
            status = readout(page, "learn-status")
            expect(status).to_have_attribute("data-state", "finished", timeout=90_000)
            turns = int(page.locator("#weight-grid").get_attribute("data-updates") or "0")
            assert turns >= 3  # the random start, then after each of the 2 epochs
        expect(card).to_have_attribute("data-done", "true")
        answer(page, step, wrong_first=n % 3 == 1)
        shot(page, f"tour-{n}")
        if n < len(STEPS):
            # The keyboard goes forward; on one step, back and forward again by the buttons.
            if n == 2:
                page.locator("#tour-prev").click()
                expect(card).to_have_attribute("data-step", "1")
                page.locator("#tour-next").click()
                expect(card).to_have_attribute("data-step", "2")
            page.locator("#tour-title").click()  # focus out of any control of the step
            page.keyboard.press("ArrowRight")
    page.locator("#tour-next").click()  # "Finish"
    expect(card).to_be_hidden()
    assert tried == [], "the page asked hosts other than 127.0.0.1"
    watcher.check()


def test_a_step_has_its_own_address_and_works_at_phone_width(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    tried = offline(page, server)
    watcher = Watcher(page, server)
    try:
        page.goto(server + "/#tour/6")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        expect(page.locator("#tour")).to_have_attribute("data-step", "6")
        expect(page.locator("#tour-title")).to_have_text(STEPS[5]["title"])
        # The step shows the diagram; scroll up to the pad (above the card) and draw a 7.
        page.locator("#pad").evaluate("p => p.scrollIntoView({block: 'start'})")
        draw(page, [(0.22, 0.2), (0.78, 0.2), (0.45, 0.88)])
        expect(readout(page, "whatif-answer")).to_contain_text("What-if answer", timeout=5000)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= inner, f"the tour scrolls sideways on a phone: {width} > {inner}"
        page.locator("#tour-next").tap()
        expect(page.locator("#tour")).to_have_attribute("data-step", "7")
        assert page.evaluate("location.hash") == "#tour/7"
        # A link to another step, followed while the page is open.
        page.evaluate("location.hash = '#tour/3'")
        expect(page.locator("#tour")).to_have_attribute("data-step", "3")
        page.locator("#tour-close").tap()
        expect(page.locator("#tour")).to_be_hidden()
        assert tried == []
        watcher.check()
    finally:
        context.close()


# ---------------------------------------------------------------------- help where the eye is
#: Elements that show a number (or a picture of numbers): each must explain itself too.
NUMBERS = ", ".join(
    [
        "#answer-digit", "#answer-message", "#bars .bar", "#mistakes-title", "#example-info",
        "#train-status", "#save-status", "#models-dir", ".model-card .muted", "#neuron-body .kv",
        "#neuron-body .formula", "#neuron-body table.terms", "#neuron-body .cell",
        ".tour-readout", ".tour-formula", ".tour-table", ".tour-matrix", "#tour-progress",
        "#lesson-cost", "#lesson-wants .want", "#teach-numbers", "#step-result", "#gallery .digit",
    ]
)  # fmt: skip
CONTROLS = "button, input, select, textarea, summary, canvas, [role=tab]"

UNEXPLAINED = """(selector) => {
  const missing = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length || el.closest("#help-tip")) continue;
    // Its own sentence, or that of the button, label or figure it is part of.
    const found = window.digitnet.help.helpFor(el);
    const part = el.parentElement.closest("button, label, figure");
    const own = found && (found.element === el || found.element === part);
    if (!own || !found.text.trim()) missing.push(el.outerHTML.slice(0, 140));
  }
  return missing;
}"""


@pytest.fixture
def laptop_page(page: Page, server: str, watcher: Watcher) -> Iterator[Page]:
    page.set_viewport_size(LAPTOP)
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    yield page
    watcher.check()


def unexplained(page: Page) -> list[str]:
    return list(page.evaluate(UNEXPLAINED, f"{CONTROLS}, {NUMBERS}"))


def test_every_control_and_number_explains_itself(laptop_page: Page) -> None:
    page = laptop_page
    missing: dict[str, list[str]] = {}
    draw_one(page)
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    page.locator("#steps > summary").click()
    expect(page.locator("#steps-list .step").first).to_be_visible(timeout=5000)
    missing["draw"] = unexplained(page)
    pos = page.evaluate("window.digitnet.diagram.position(1, 3)")
    page.mouse.click(pos["x"], pos["y"])
    expect(page.locator("#neuron-panel [data-testid=top-digits] canvas")).to_have_count(
        6, timeout=10_000
    )
    missing["neuron"] = unexplained(page)
    pos = page.evaluate("window.digitnet.diagram.position(2, 5)")
    page.mouse.click(pos["x"], pos["y"])
    expect(page.locator("#neuron-panel [data-testid=weights-row] .cell")).to_have_count(16)
    missing["neuron, layer 2"] = unexplained(page)
    page.locator("#neuron-close").click()
    page.locator("#tab-examples").click()
    expect(page.locator("#mistake-grid .thumb").first).to_be_visible(timeout=10_000)
    missing["examples"] = unexplained(page)
    page.locator("#tab-learn").click()
    page.locator("#learn-more > summary").click()
    missing["learn"] = unexplained(page)
    page.locator("#tab-draw").click()
    page.locator('#correct button[data-digit="7"]').click()  # one of your digits: a lesson
    page.locator("#tab-teach").click()
    expect(page.locator("#step-once")).to_be_visible(timeout=10_000)
    expect(page.locator("#gallery .digit").first).to_be_visible(timeout=10_000)
    missing["teach"] = unexplained(page)
    page.locator("#tab-models").click()
    expect(page.locator(".model-card").first).to_be_visible()
    missing["models"] = unexplained(page)
    page.locator("#tour-open").click()
    for n in range(1, len(STEPS) + 1):
        expect(page.locator("#tour")).to_have_attribute("data-step", str(n))
        page.wait_for_timeout(300)  # the step's live part has come
        missing[f"tour {n}"] = unexplained(page)
        page.locator("#tour-next").click()
    missing = {view: sorted(set(m)) for view, m in missing.items() if m}
    assert missing == {}, json.dumps(missing, indent=1)


def tip(page: Page) -> Any:
    return page.locator("#help-tip")


def test_hovering_shows_the_help_and_the_toggle_turns_it_off(laptop_page: Page) -> None:
    page = laptop_page
    draw_one(page)
    expect(page.locator("body")).to_have_attribute("data-answer", "1", timeout=5000)
    page.locator("#answer-digit").hover()
    expect(tip(page)).to_be_visible()
    expect(tip(page)).to_have_text(TEXTS["help"]["#answer-digit"])
    # A live number: the sentence, and the element's own value under it (not a second tooltip).
    page.locator("#bars .bar").nth(1).hover()
    expect(tip(page)).to_contain_text(TEXTS["help"]["#bars .bar"])
    expect(tip(page).locator(".help-detail")).to_contain_text("output neuron 1: activation")
    assert page.locator("#bars .bar").nth(1).get_attribute("title") is None
    # A training option: its sentence comes from digitnet.recipe through the form.
    page.locator("#tab-learn").click()
    page.locator("#learn-form [name=epochs]").hover()
    expect(tip(page)).to_have_text("A training setting: passes over the training images.")
    page.locator("#help-toggle").click()
    expect(page.locator("#help-toggle")).to_have_attribute("aria-pressed", "false")
    page.locator("#tab-draw").hover()
    page.wait_for_timeout(600)
    expect(tip(page)).to_be_hidden()
    page.locator("#help-toggle").click()  # on again for the next visitor (kept in localStorage)
    expect(page.locator("#help-toggle")).to_have_attribute("aria-pressed", "true")


def test_tapping_shows_the_help_on_a_phone(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    watcher = Watcher(page, server)
    try:
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        page.locator("#clear").tap()
        expect(tip(page)).to_be_visible()
        expect(tip(page)).to_have_text(TEXTS["help"]["#clear"])
        page.locator("#tab-examples").tap()
        expect(tip(page)).to_have_text(TEXTS["help"]["#tab-examples"])
        expect(page.locator("#examples-panel")).to_be_visible()  # the tap still did its work
        # The first two taps on an element explain it; after that a tap just does its work.
        page.locator("#tab-draw").tap()
        page.locator("#clear").tap()
        expect(tip(page)).to_have_text(TEXTS["help"]["#clear"])
        page.locator("#clear").tap()
        expect(tip(page)).to_be_hidden()
        watcher.check()
    finally:
        context.close()
