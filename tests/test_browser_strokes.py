"""People-like pen strokes replayed on the page with the mouse (benchmarks/page_strokes.py):
the page answers the whole drawing, and its answer is what `predict` reads from the very
pixels it sent: one reading path."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from digitnet import load_pretrained
from digitnet.prediction import predict_image
from test_speed_paths import load_benchmark
from test_web_browser import app_page, server, watcher  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_replayed_strokes_are_read_as_predict_reads_their_pixels(app_page: Page) -> None:  # noqa: F811
    bench = load_benchmark("page_strokes")
    pictures, labels = bench.drawings(6)
    assert sum(len(d.strokes) > 1 for d in pictures) >= 1  # some take several strokes
    net = load_pretrained("video")
    bench.use_model(app_page, "video")
    right = 0
    for drawing, label in zip(pictures, labels, strict=True):
        bench.replay(app_page, drawing)
        digit, pixels = bench.page_answer(app_page)
        assert pixels.any() and pixels.shape == (112, 112)  # what the page sends
        assert digit == predict_image(net, pixels).digit
        right += digit == label
    assert right >= 4  # people-like drawings: most, not all, are read right
    row = bench.measure(app_page, "video", pictures[:2], labels[:2])
    assert row["same"] == 2 and row["page"] == row["python"]
