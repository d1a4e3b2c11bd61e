"""Knobs while it learns, in a real browser (Chromium through Playwright): a run paused,
stepped one mini-batch at a time and resumed from the Learn view ends with the same weights as
the same run never paused; a learning rate changed mid-run is marked on the curves and kept in
the saved model file's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from conftest import running_server
from digitnet import Network
from test_browser_tour import unexplained
from test_web_browser import LAPTOP, Watcher, no_vertical_scroll, shot

pytestmark = pytest.mark.browser

RUN = {"layers": "784,16,10", "epochs": "3", "limit": "4000", "validation_size": "500"}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def server(models: Path) -> Iterator[str]:
    with running_server(models) as url:
        yield url


@pytest.fixture
def watcher(page: Page, server: str) -> Watcher:
    return Watcher(page, server)


def open_learn(page: Page, server: str, query: str = "") -> None:
    """The Learn view at laptop size, its form filled in for a short run (a ``query`` makes
    a page already open there load afresh)."""
    page.set_viewport_size(LAPTOP)
    page.goto(f"{server}/{query}#learn")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    for name, value in RUN.items():
        page.fill(f"#learn-form input[name={name}]", value)
    page.fill("#learn-form input[name=batch_size]", "10")


@pytest.fixture
def learn_page(page: Page, server: str, watcher: Watcher) -> Iterator[Page]:
    """:func:`open_learn`, with console errors and foreign requests watched."""
    open_learn(page, server)
    yield page
    watcher.check()


def train_to_the_end(page: Page, name: str) -> None:
    expect(page.locator("#save-box")).to_be_visible(timeout=60_000)
    expect(page.locator("#train-status")).to_contain_text("Finished after 3 epochs")
    page.fill("#save-name", name)
    page.locator("#save-run").click()
    expect(page.locator("#save-status")).to_contain_text("Saved as")


def pause_when_it_trains(page: Page) -> int:
    """Start a run and pause it at once (it rests before its first mini-batch, a short run
    is over too soon to catch it later); the mini-batch where it rests."""
    page.locator("#train-start").click()
    expect(page.locator("#train-pause")).to_be_enabled()
    page.locator("#train-pause").click()
    status = page.locator("#train-status")
    expect(status).to_have_attribute("data-state", "paused", timeout=10_000)
    expect(status).to_contain_text("Paused in epoch")
    expect(page.locator("#train-step")).to_be_enabled()
    expect(page.locator("#train-resume")).to_be_enabled()
    expect(page.locator("#train-pause")).to_be_disabled()
    return int(status.get_attribute("data-batch") or -1)


def step(page: Page, times: int, batch: int) -> int:
    status = page.locator("#train-status")
    for _ in range(times):
        page.locator("#train-step").click()
        batch += 1
        expect(status).to_have_attribute("data-batch", str(batch), timeout=10_000)
    return batch


def test_paused_stepped_and_resumed_learns_the_same(learn_page: Page, models: Path) -> None:
    page = learn_page
    page.locator("#train-start").click()
    train_to_the_end(page, "never-paused")
    assert page.locator("#knobs").get_attribute("data-state") == "idle"

    at = pause_when_it_trains(page)
    assert at == 0
    step(page, 3, at)
    assert unexplained(page) == []  # every knob explains itself
    no_vertical_scroll(page)
    shot(page, "learn-paused")
    page.locator("#train-resume").click()
    expect(page.locator("#train-pause")).to_be_enabled()
    train_to_the_end(page, "paused-and-stepped")

    plain = Network.load(models / "never-paused.safetensors")
    paused = Network.load(models / "paused-and-stepped.safetensors")
    for a, b in zip(plain.weights + plain.biases, paused.weights + paused.biases, strict=True):
        assert np.array_equal(a, b)
    assert plain.metadata["history"][-1]["loss"] == paused.metadata["history"][-1]["loss"]


def coloured(page: Page, chart: str, rgb: tuple[int, int, int]) -> int:
    """Pixels of a chart within a little of colour ``rgb``."""
    return int(
        page.evaluate(
            """([id, rgb]) => {
              const chart = document.getElementById(id);
              const c = document.createElement('canvas');  // a copy: one readback each
              [c.width, c.height] = [chart.width, chart.height];
              const ctx = c.getContext('2d', { willReadFrequently: true });
              ctx.drawImage(chart, 0, 0);
              const d = ctx.getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) {
                let off = 0;
                for (let k = 0; k < 3; k++) off += Math.abs(d[i + k] - rgb[k]);
                if (off < 60) n++;
              }
              return n;
            }""",
            [chart, list(rgb)],
        )
    )


def pink(page: Page) -> int:
    """Pixels of the cost chart in the rate marker's colour (#f472b6)."""
    return coloured(page, "loss-chart", (0xF4, 0x72, 0xB6))


def test_a_learning_rate_changed_mid_run_shows_in_the_curves_and_the_file(
    learn_page: Page, models: Path
) -> None:
    page = learn_page
    at = pause_when_it_trains(page)
    at = step(page, 2, at)
    assert pink(page) == 0
    page.fill("#knob-rate", "0.05")
    page.locator("#knob-rate").press("Enter")  # the rate, not a new run
    expect(page.locator("#knobs")).to_have_attribute("data-rate", "0.05")
    page.locator("#train-step").click()  # the new rate takes effect with this mini-batch
    expect(page.locator("#loss-chart")).to_have_attribute("data-marks", "1", timeout=10_000)
    assert pink(page) > 20  # the marker and its label
    expect(page.locator("#train-status")).to_have_attribute("data-batch", str(at + 1))
    page.locator("#train-resume").click()
    train_to_the_end(page, "faster")
    assert pink(page) > 20  # still marked once finished
    shot(page, "learn-rate-changed")
    saved = Network.load(models / "faster.safetensors")
    [change] = saved.metadata["learning_rate_changes"]
    assert change["epoch"] == 1 and change["batch"] == at
    assert change["learning_rate"] == 0.05 and change["previous"] == 0.005
    assert [h["learning_rate"] for h in saved.metadata["history"]] == [0.05] * 3


def test_a_bad_rate_is_refused_in_one_sentence(learn_page: Page, watcher: Watcher) -> None:
    page = learn_page
    watcher.allow_refusals = True
    pause_when_it_trains(page)
    page.fill("#knob-rate", "-1")
    page.locator("#knob-rate-set").click()
    expect(page.locator("#train-error")).to_contain_text("learning_rate")
    assert page.locator("#train-status").get_attribute("data-state") == "paused"
    page.locator("#train-stop").click()
    expect(page.locator("#train-status")).to_contain_text("Stopped", timeout=30_000)
    expect(page.locator("#train-step")).to_be_disabled()
    expect(page.locator("#knob-rate-set")).to_be_disabled()


def test_earlier_runs_stay_on_the_axes_to_compare(learn_page: Page) -> None:
    page = learn_page
    purple = (0xA7, 0x8B, 0xFA)  # the first earlier run's colour
    page.locator("#train-start").click()
    expect(page.locator("#save-box")).to_be_visible(timeout=60_000)
    expect(page.locator("#compare")).to_be_hidden()
    page.fill("#learn-form input[name=learning_rate]", "0.05")
    page.fill("#learn-form input[name=epochs]", "2")
    page.locator("#train-start").click()
    expect(page.locator("#save-box")).to_be_visible(timeout=60_000)
    legend = page.locator("#compare-legend li")
    expect(legend).to_have_count(1)
    expect(legend).to_have_text("run 1: learning rate 0.005, epochs 3")
    assert coloured(page, "acc-chart", purple) > 30
    assert coloured(page, "loss-chart", purple) > 30
    assert unexplained(page) == []
    no_vertical_scroll(page)
    shot(page, "learn-compare")
    page.fill("#learn-form input[name=layers]", "784,32,10")
    page.locator("#train-start").click()
    expect(page.locator("#save-box")).to_be_visible(timeout=60_000)
    expect(legend).to_have_text(
        ["run 1: layers 784-16-10, learning rate 0.005, epochs 3", "run 2: layers 784-16-10"]
    )
    before = coloured(page, "acc-chart", purple)
    page.locator("#compare-clear").click()
    expect(page.locator("#compare")).to_be_hidden()
    assert coloured(page, "acc-chart", purple) < before / 5  # antialiased edges of others


def replay_pictures(page: Page) -> list[str]:
    return list(
        page.evaluate(
            "[...document.querySelectorAll('#learn-replay-weights canvas')]"
            ".map((c) => c.toDataURL())"
        )
    )


def no_run_going_on(server: str) -> None:
    """Wait until the server trains nothing: the Learn view follows a run going on (one an
    earlier test left) instead of replaying the model in use."""
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(server + "/api/runs") as answer:
            runs = json.load(answer)["runs"]
        if not any(r["status"] in ("queued", "running") for r in runs):
            return
        time.sleep(0.2)
    raise AssertionError("a training run did not end within a minute")


def test_the_epoch_slider_replays_a_finished_run(learn_page: Page, server: str) -> None:
    page = learn_page
    no_run_going_on(server)
    open_learn(page, server, "?idle")  # the page as it opens on an idle server
    body = page.locator("body")
    page.evaluate("window.digitnet.showTestDigit(0)")  # MNIST's first test digit: a 7
    expect(body).to_have_attribute("data-answer", "7")
    page.locator("#tab-learn").click()
    # The model in use (video) keeps no snapshots: once the server has said so, no panel.
    expect(page.locator("#learn-replay-none")).to_contain_text("no snapshots", timeout=15_000)
    expect(page.locator("#learn-replay-panel")).to_be_hidden()
    page.locator("#train-start").click()
    expect(page.locator("#learn-replay-body")).to_be_visible(timeout=60_000)
    expect(body).to_have_attribute("data-learn-replay-epoch", "3")
    expect(page.locator("#weight-grid")).to_be_hidden()  # the replay's pictures instead
    answer = page.locator("#learn-replay-answer")
    expect(answer).to_contain_text("At epoch 3 the network reads")
    last_answer, last_pictures = answer.inner_text(), replay_pictures(page)
    assert len(last_pictures) == 16
    slider = page.locator("#learn-replay-epoch")
    assert slider.get_attribute("max") == "3"  # epochs 0 (untrained) to 3
    slider.fill("0")
    expect(body).to_have_attribute("data-learn-replay-epoch", "0")
    expect(answer).to_contain_text("At epoch 0 the network reads")
    assert answer.inner_text() != last_answer
    expect(page.locator("#acc-chart")).to_have_attribute("data-points", "0")  # curves replayed
    first_pictures = replay_pictures(page)
    assert all(a != b for a, b in zip(first_pictures, last_pictures, strict=True))
    slider.fill("1")
    expect(answer).to_contain_text("At epoch 1")
    expect(page.locator("#acc-chart")).to_have_attribute("data-points", "2")
    assert unexplained(page) == []
    no_vertical_scroll(page)
    shot(page, "learn-replay")
    # A new run hides it until that run is over; saved, the model in use replays the same.
    page.fill("#save-name", "replayed")
    page.locator("#save-run").click()
    expect(page.locator("#save-status")).to_contain_text("Saved as")
    page.locator("#use-run").click()
    page.locator("#tab-learn").click()
    expect(body).to_have_attribute("data-learn-replay-epoch", "3")
    expect(body).to_have_attribute("data-learn-replay-hidden-while-training", "false")
    page.locator("#train-start").click()
    # While it trains, the live weights show (checked on the page's own record: a run of a few
    # seconds may be over before a second look)
    page.wait_for_function(
        "document.body.dataset.learnReplayHiddenWhileTraining === 'true'", timeout=60_000
    )
    expect(page.locator("#learn-replay-panel")).to_be_visible(timeout=60_000)
    # A page opened afresh: the model in use, if it keeps snapshots, is replayed.
    page.goto(server + "/?again#draw")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    page.select_option("#model-select", "replayed")
    page.locator("#tab-learn").click()
    expect(page.locator("#learn-replay-model")).to_have_text("model replayed")
    expect(body).to_have_attribute("data-learn-replay-epoch", "3")
