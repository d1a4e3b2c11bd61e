"""Reading a digit five times: as prepared, and shifted one pixel up, down, left and right.

A network learnt MNIST's digits, each centred by its centre of mass; a person's digit is
prepared and centred the same way, but the answer can still hinge on where, to a pixel, its
bolder, rounder or broken strokes landed. Reading the digit where it is and moved one pixel
each way, and averaging the five answers (the network's normalised outputs: "test-time
augmentation"), makes the answer depend less on that. So read, the shipped ``wide`` reads the
1,797 real 8x8 scans 95.7% -> 96.3%, 3,000 pen drawings (README "Tried, not kept") 95.7% ->
96.3% and MNIST's test digits 99.40% -> 99.42% (README "Five looks").

It is a way of reading, recorded in the model file (``"reading": {"looks": 5}``, written for
the recipe option ``reading = "shifted"``) so that every reading path (``digitnet predict``,
``digitnet read``, the page) reads the network the way it was meant to
(:func:`digitnet.prediction.read_outputs`). Model files without the record are read once, as
before. The shipped ``video`` is read once: the page draws the one pass through the video's
network that gives its answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The recipe option's values: read each digit once, or also shifted (five looks).
READINGS = ("once", "shifted")
#: (rows down, columns right) of each look: as prepared, then up, down, left and right.
SHIFTS = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
#: How many looks a model file may ask for.
LOOKS = (1, len(SHIFTS))
SIZE = 28


def reading_record(reading: str) -> dict[str, int] | None:
    """What the model file records for the recipe option ``reading`` (None: nothing, once)."""
    return {"looks": len(SHIFTS)} if reading == "shifted" else None


def looks_of(metadata: Mapping[str, Any]) -> int:
    """How many looks a model file's metadata asks for: 1 unless it says 5."""
    record = metadata.get("reading")
    if isinstance(record, Mapping) and record.get("looks") == len(SHIFTS):
        return len(SHIFTS)
    return 1


def shifted(inputs: NDArray[np.float32], rows: int, columns: int) -> NDArray[np.float32]:
    """28x28 inputs ``(n, 784)`` moved ``rows`` down and ``columns`` right (negative: up,
    left); what moves out is lost, what comes in is black."""
    images = inputs.reshape(-1, SIZE, SIZE)
    out = np.zeros_like(images)
    top, left = max(rows, 0), max(columns, 0)
    bottom, right = SIZE + min(rows, 0), SIZE + min(columns, 0)
    out[:, top:bottom, left:right] = images[
        :, top - rows : bottom - rows, left - columns : right - columns
    ]
    return out.reshape(len(images), SIZE * SIZE)
