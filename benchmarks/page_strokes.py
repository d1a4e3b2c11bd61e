"""How well the shipped networks read pen drawings replayed on the web page, as a person draws.

    python benchmarks/page_strokes.py                 # 40 drawings, video and wide
    python benchmarks/page_strokes.py --n 200 --model video

The drawings are `benchmarks/real_digits.py`'s ``pen`` kind (the same seed, so the first N of
its pictures): people-like strokes (writer styles, slant, wobble, mouse speed, size, place) from
:func:`digitnet.synthetic.pen_drawing`. Each is replayed with the mouse on the page's drawing
pad in headless Chromium (``digitnet serve``'s page on a local port; every point the mouse
reported, stroke by stroke), with the page's own pen, and the page's answer is read once it
has answered the whole drawing. For each network the table gives:

- **on the page**: how many of the N replayed drawings the page read right;
- **the page's pixels through `predict`**: the same pixels the page sent, read by
  :func:`digitnet.prediction.predict_image` in Python, and how often it agrees with the page
  (it should always: one reading path);
- **the drawings with their own pens**: the pictures `real_digits.py` measures (thin to fat
  pens, one in three black on white), read from image files by the same path.

Needs Playwright for Python and Chromium (``apt-get install -y chromium``; ``$DIGITNET_CHROMIUM``
names another binary).
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from digitnet import load_pretrained
from digitnet.prediction import predict_image
from digitnet.synthetic import KINDS, PenDrawing, pen_drawing
from digitnet.web.local import CHROMIUM, CHROMIUM_FLAGS, serve_in_thread

#: real_digits.py's seed for the ``pen`` kind (1000 + 101 x its place in KINDS).
SEED = 1000 + 101 * KINDS.index("pen")


def drawings(n: int, seed: int = SEED) -> tuple[list[PenDrawing], np.ndarray]:
    """The first ``n`` drawings of ``make_set("pen", n, seed)``, as strokes, and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    return [pen_drawing(int(d), rng) for d in labels], labels


def replay(page: Any, drawing: PenDrawing) -> None:
    """Clear the pad, then draw ``drawing``'s strokes on it with the mouse, point by point."""
    page.locator("#clear").click()
    box = page.locator("#pad").bounding_box()
    sx, sy = box["width"] / drawing.size, box["height"] / drawing.size
    for stroke in drawing.strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * sx, box["y"] + y * sy)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * sx, box["y"] + y * sy)
        page.mouse.up()


def page_answer(page: Any) -> tuple[int | None, np.ndarray]:
    """The page's answer for what is drawn (None: no digit found), once it is on show, and
    the grey pixels the page sent for it (height, width)."""
    page.wait_for_selector("body[data-reading=false]", state="attached", timeout=30_000)
    digit, sent = page.evaluate(
        "() => { const r = window.digitnet.state.result;"
        " return [r ? r.digit : null, window.digitnet.pad.pixels()]; }"
    )
    grey = np.frombuffer(base64.b64decode(sent["pixels_b64"]), dtype=np.uint8)
    return digit, grey.reshape(sent["height"], sent["width"])


def use_model(page: Any, name: str) -> None:
    page.select_option("#model-select", name)
    page.wait_for_function(f"window.digitnet.state.model === {name!r}")


def measure(page: Any, model: str, pictures: list[PenDrawing], labels: np.ndarray) -> dict:
    """One network's row: right on the page, right and agreeing through `predict`, right
    from the drawings with their own pens."""
    net = load_pretrained(model)
    use_model(page, model)
    on_page = same = python = own = 0
    for drawing, label in zip(pictures, labels, strict=True):
        replay(page, drawing)
        digit, pixels = page_answer(page)
        again = predict_image(net, pixels).digit
        on_page += digit == label
        same += digit == again
        python += again == label
        own += predict_image(net, drawing.render()).digit == label
    return {"model": model, "page": on_page, "same": same, "python": python, "own": own}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="drawings (default: 40)")
    parser.add_argument("--model", action="append", help="video or wide (repeat; default both)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pictures, labels = drawings(args.n)
    started = time.perf_counter()
    rows = []
    with (
        tempfile.TemporaryDirectory() as models,
        serve_in_thread(Path(models)) as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        for model in args.model or ["video", "wide"]:
            rows.append(measure(page, model, pictures, labels))
        browser.close()
    n = len(labels)
    print("| network | on the page | the page's pixels through `predict` (agrees) |", end="")
    print(" the drawings with their own pens |")
    print("| --- | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| `{r['model']}` | **{r['page']} of {n}** | {r['python']} of {n} "
            f"({r['same']} of {n}) | {r['own']} of {n} |"
        )
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
