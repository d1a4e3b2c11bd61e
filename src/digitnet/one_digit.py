"""Is this piece of ink one whole digit? A small learnt prior for reading whole numbers.

The digit network reads anything as some digit, often confidently: two narrow digits that
touch look like one wide 8 to it, half of a wide 7 like a 1. :func:`one_digit_probability`
answers a different question, from the same prepared 28x28 input plus the piece's width and
height relative to its line (which the 28x28 loses): the probability that the piece is exactly
one whole digit, not two or three touching ones, nor a fragment of one.
:mod:`digitnet.numbers` adds its log to every reading of a piece or segment as one digit.

It is a 787-128-1 network (ReLU, then a sigmoid), its weights in
``pretrained/one_digit.safetensors``, learnt by ``benchmarks/fit_one_digit.py`` from numbers
composed of MNIST *training* digits only (drawn and photographed, half of the digits touching
their neighbour): every piece of ink and every segment of its cut lattice that the reader
looks at, labelled by whether it holds exactly one whole digit. Nothing of the benchmarks' own
numbers, of the stand-in pen drawings or of USPS was used.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

#: The weights' file, shipped with digitnet.
WEIGHTS_FILE = Path(__file__).resolve().parent / "pretrained" / "one_digit.safetensors"
#: The weights' names in that file, in the order :func:`one_digit_probability` uses them.
NAMES = ("hidden_weights", "hidden_biases", "output_weights", "output_bias")


def shape_features(pixels: NDArray[np.float32], sizes: NDArray[np.float32]) -> NDArray[np.float32]:
    """The detector's inputs: the prepared 28x28 inputs ``(n, 784)`` and the logs of each
    piece's ``sizes`` ``(n, 3)``: its width and height over its line's height, its width over
    the writer's typical digit width."""
    logs = np.log(np.maximum(sizes, np.float32(1e-3)))
    return np.concatenate([pixels, logs], axis=1).astype(np.float32)


@cache
def load_weights(path: Path = WEIGHTS_FILE) -> tuple[NDArray[np.float32], ...]:
    """The detector's weights (read once)."""
    from safetensors.numpy import load_file

    tensors = load_file(str(path))
    return tuple(np.asarray(tensors[name], np.float32) for name in NAMES)


def one_digit_probability(
    pixels: NDArray[np.float32],
    sizes: NDArray[np.float32],
    weights: tuple[NDArray[np.float32], ...] | None = None,
) -> NDArray[np.float64]:
    """For each piece (prepared 28x28 ``pixels`` ``(n, 784)``, ``sizes`` ``(n, 3)`` as in
    :func:`shape_features`), the probability ``(n,)`` that it is exactly one whole digit."""
    if len(pixels) == 0:
        return np.zeros(0)
    hidden_w, hidden_b, out_w, out_b = weights if weights is not None else load_weights()
    hidden = np.maximum(shape_features(pixels, sizes) @ hidden_w + hidden_b, 0.0)
    logits = (hidden @ out_w + out_b).astype(np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
