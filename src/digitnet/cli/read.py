"""``digitnet read IMAGE... [--model M] [--json] [--show-input OUT]``: read whole numbers.

Every digit in each picture is found (:mod:`digitnet.preprocess.segment`), prepared like MNIST
and read by the network (:func:`digitnet.numbers.read_number`). One line per picture::

    house.jpg: 407  (4 99.1%, 0 97.5%, 7 88.0%)

``--json`` prints a list with, per picture, ``{"image", "number", "digits": [{"digit",
"probability", "box": [x0, y0, x1, y1]}, ...], "error"}`` (boxes in the picture's pixels,
x1 and y1 exclusive). A picture that cannot be read, holds no digit or more than 20 marks gets
one sentence (on stderr, and as ``"error"``, with ``"number"`` null); the others are still
answered and the exit code is then 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from digitnet.cli.common import require
from digitnet.cli.predict import (
    add_picture_arguments,
    pictures_and_network,
    read_source,
    show_input_paths,
)
from digitnet.errors import ImageError

SHOW_INPUT_HELP = (
    "save, per picture, the picture with a box drawn around each digit and, beside it, each "
    "digit's 28x28 input, as one PNG. With one IMAGE, OUT is the file to write; with several, "
    "a folder (one NAME.png per picture) or a pattern with {name} and/or {index}"
)
#: Pixels of each 28x28 input in the --show-input picture (each input pixel becomes 3x3).
INPUT_SCALE = 3


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``read`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "read",
        help="read the whole number in pictures: every digit, left to right",
        description="Read every digit in each picture (a drawing, a scan or a phone photo of "
        "a number). The ink is split into digits (parts that belong together merged, touching "
        "digits cut where the network reads the halves best), ordered left to right and line "
        "by line; each digit is prepared like MNIST's and read by the network. Prints the "
        "number and each digit's probability. Pictures without a digit, or with more than 20 "
        "marks, get one sentence; the others are still answered, and the exit code is then 2.",
    )
    add_picture_arguments(p, SHOW_INPUT_HELP)
    return p


def json_entry(name: str, reading: Any) -> dict[str, Any]:
    """The JSON object for one picture that holds a number."""
    return {
        "image": name,
        "number": reading.number,
        "digits": [
            {"digit": d.digit, "probability": round(d.probability, 6), "box": list(d.box)}
            for d in reading.digits
        ],
        "error": None,
    }


def error_entry(name: str, message: str) -> dict[str, Any]:
    """The JSON object for a picture that could not be read: the same keys, no number."""
    return {"image": name, "number": None, "digits": [], "error": message}


def shown_picture(reading: Any) -> np.ndarray:
    """The picture as the steps saw it (grey, at the working size) with a box around each
    digit, and each digit's 28x28 input enlarged beside it below: an RGB uint8 array."""
    grey = np.asarray(reading.steps[0].image, np.float32)
    h, w = grey.shape
    size = 28 * INPUT_SCALE
    strip = size + 4
    per_row = max(1, (w + 4) // strip)
    rows = -(-len(reading.digits) // per_row)
    out = np.full((h + rows * strip + 4, max(w, strip), 3), 255, np.uint8)
    out[:h, :w] = (grey * 255.0 + 0.5).astype(np.uint8)[:, :, None]
    red = np.array([220, 30, 30], np.uint8)
    for i, d in enumerate(reading.digits):
        x0, y0, x1, y1 = (round(v / reading.scale) for v in d.box)
        x1, y1 = min(max(x1 - 1, x0), w - 1), min(max(y1 - 1, y0), h - 1)
        out[y0, x0 : x1 + 1] = out[y1, x0 : x1 + 1] = red
        out[y0 : y1 + 1, x0] = out[y0 : y1 + 1, x1] = red
        pixels = np.kron(d.pixels, np.ones((INPUT_SCALE, INPUT_SCALE), np.float32))
        top, left = h + 4 + (i // per_row) * strip, (i % per_row) * strip
        out[top : top + size, left : left + size] = (pixels * 255.0 + 0.5).astype(np.uint8)[
            :, :, None
        ]
    return out


def save_shown(reading: Any, path: Path) -> None:
    """Save :func:`shown_picture` as a PNG (parent folders made)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(shown_picture(reading), "RGB").save(path, format="PNG")


def run(args: argparse.Namespace) -> int:
    """Run ``digitnet read``; return the exit code (2 if any picture failed, else 0)."""
    require("read", "PIL")
    from digitnet.numbers import read_number

    images, net = pictures_and_network(args)
    targets = show_input_paths(images, args.show_input) if args.show_input else []
    entries: list[dict[str, Any]] = []
    failed = False
    for i, name in enumerate(images):
        label = "stdin" if name == "-" else name
        try:
            reading = read_number(read_source(name), net)
            if not reading.found:
                raise ImageError(f"{label}: no digit found: {reading.reason}.")
            if targets:
                try:
                    save_shown(reading, targets[i])
                except (OSError, ValueError) as exc:
                    raise ImageError(f"cannot write {targets[i]} ({exc}).") from None
        except ImageError as exc:
            failed = True
            print(f"digitnet: error: {exc}", file=sys.stderr)
            entries.append(error_entry(label, str(exc)))
            continue
        if args.json:
            entries.append(json_entry(label, reading))
        else:
            print(f"{label}: {reading.message}")
    if args.json:
        print(json.dumps(entries, indent=2))
    return 2 if failed else 0
