"""The one prediction path: feed pictures to a network and say what it read.

:func:`predict_image` reads one picture (path, bytes, PIL image or array), :func:`predict_images`
a batch of them with one forward pass; both prepare the pictures like MNIST first (see
:mod:`digitnet.preprocess`). :func:`predict_prepared` reads pictures already prepared, and
:func:`predict_pixels` an image that already is in MNIST's format (28x28), without any
preprocessing. A network whose model file says it learnt deslanted digits (``preprocessing``
metadata, see :mod:`digitnet.slant`) gets every picture stood upright first, on all of these
paths: the ``upright`` step is then the last of ``prepared.steps``. A network whose model file
asks for five looks (``reading`` metadata, see :mod:`digitnet.looks`) reads each picture as
prepared and shifted a pixel each way, the answers averaged. All of them answer with a
:class:`Prediction`, whose ``message`` is the one way an answer is written, and all use the one
confidence rule, :func:`is_confident`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import ImageError
from digitnet.looks import SHIFTS, looks_of, shifted
from digitnet.preprocess import MNIST_SIZE, FloatImage, ImageInput, Prepared, prepare, upright
from digitnet.slant import wants_deslant

if TYPE_CHECKING:
    from digitnet.network import Network

# The network's own confidence (see is_confident): below these it says "not sure". On MNIST's
# test digits this flags 2.2% (video) and 0.2% (wide) of the answers, of which only 48% and 58%
# are right, against 97.8% and 99.5% of the confident ones.
MIN_PROBABILITY = 0.5
MIN_MARGIN = 0.15

#: Why :func:`predict_pixels` refuses an image without a single lit pixel.
BLANK_REASON = "the picture is blank (no ink at all)"


@dataclass
class Prediction:
    """What the network read in one picture.

    ``probabilities`` are the 10 output activations divided by their sum, so that they add up
    to one: with a sigmoid output layer the raw activations (kept in ``outputs``) each lie in
    0..1 but need not sum to one; a softmax layer's outputs are unchanged. ``ranking`` lists
    ``(digit, probability)`` from most to least likely. ``digit`` is the most likely digit, or
    None when no digit was found in the picture (see ``prepared.reason``). ``confident`` is
    True when a digit was found and the network clearly prefers it (see :func:`is_confident`:
    top probability at least ``MIN_PROBABILITY`` and ahead of the runner-up by ``MIN_MARGIN``).
    ``message`` says it all in one line. For a refused picture ``probability`` is 0 and
    ``probabilities`` and ``ranking`` are what the network answers for the black image it was
    then given.
    """

    digit: int | None
    probability: float
    probabilities: list[float] = field(repr=False)
    ranking: list[tuple[int, float]] = field(repr=False)
    confident: bool
    message: str
    prepared: Prepared = field(repr=False)
    outputs: list[float] = field(default_factory=list, repr=False)
    #: For a network that reads each digit five times (:mod:`digitnet.looks`): each look's
    #: normalised answers, in the order of :data:`~digitnet.looks.SHIFTS`, whose mean is
    #: ``outputs``; empty for a network that reads once.
    each_look: list[list[float]] = field(default_factory=list, repr=False)

    def __str__(self) -> str:
        return self.message


def is_confident(probabilities: ArrayLike) -> bool:
    """The one confidence rule: whether the network clearly prefers one digit.

    ``probabilities`` are one picture's normalised outputs (10 numbers summing to one, see
    :func:`normalised_probabilities`). Confident means the most likely digit has a probability
    of at least ``MIN_PROBABILITY`` and leads the runner-up by at least ``MIN_MARGIN``.
    """
    ranked = sorted((float(p) for p in np.ravel(probabilities)), reverse=True)
    if not ranked:
        return False
    runner_up = ranked[1] if len(ranked) > 1 else 0.0
    return ranked[0] >= MIN_PROBABILITY and ranked[0] - runner_up >= MIN_MARGIN


def normalised_probabilities(outputs: NDArray[np.floating]) -> NDArray[np.float64]:
    """Output activations ``(batch, 10)`` divided by their row sums, so each row sums to one."""
    out = np.clip(np.asarray(outputs, np.float64), 0.0, None)
    sums = out.sum(axis=1, keepdims=True)
    uniform = np.full_like(out, 1.0 / out.shape[1])
    return np.where(sums > 0, out / np.where(sums > 0, sums, 1.0), uniform)


def percent(p: float) -> str:
    """A probability as a percentage with one decimal, e.g. ``97.1%``."""
    return f"{100.0 * p:.1f}%"


def make_prediction(prepared: Prepared, outputs: NDArray[np.floating]) -> Prediction:
    """A :class:`Prediction` from a prepared picture and the network's 10 outputs (10,)."""
    probs = normalised_probabilities(outputs[None, :])[0]
    ranking = sorted(((int(d), float(p)) for d, p in enumerate(probs)), key=lambda t: -t[1])
    best, p_best = ranking[0]
    if not prepared.found:
        return Prediction(
            digit=None,
            probability=0.0,
            probabilities=[float(p) for p in probs],
            ranking=ranking,
            confident=False,
            message=f"no digit found: {prepared.reason}",
            prepared=prepared,
            outputs=[float(o) for o in outputs],
        )
    confident = is_confident([p for _, p in ranking])
    runners = ", ".join(f"{d} {percent(p)}" for d, p in ranking[1:3])
    if confident:
        message = f"{best} ({percent(p_best)})  runners-up: {runners}"
    else:
        message = f"not sure: maybe {best} ({percent(p_best)})  runners-up: {runners}"
    return Prediction(
        digit=best,
        probability=p_best,
        probabilities=[float(p) for p in probs],
        ranking=ranking,
        confident=confident,
        message=message,
        prepared=prepared,
        outputs=[float(o) for o in outputs],
    )


def read_outputs(net: Network, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
    """The network's outputs ``(n, 10)`` for prepared inputs ``(n, 784)``, read as its model
    file asks (:mod:`digitnet.looks`): once, or the mean over the five looks of
    :data:`~digitnet.looks.SHIFTS`, all of them in one forward pass."""
    return each_look(net, inputs).mean(axis=0)


def each_look(net: Network, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
    """The answers ``(looks, n, 10)`` of ``net`` to prepared inputs ``(n, 784)`` in each of the
    looks its model file asks for: one, the network's outputs, or five, the looks of
    :data:`~digitnet.looks.SHIFTS` (the first: as prepared) in one forward pass, each
    normalised to sum to one. :func:`read_outputs` averages them; the page shows each."""
    if looks_of(net.metadata) == 1:
        return np.asarray(net.predict_proba(inputs), dtype=np.float32)[None]
    x = np.asarray(inputs, dtype=np.float32).reshape(len(inputs), MNIST_SIZE * MNIST_SIZE)
    every = np.concatenate([shifted(x, r, c) for r, c in SHIFTS])
    outputs = np.asarray(net.predict_proba(every), dtype=np.float32)
    # The mean of normalised answers: each look's outputs sum to one first (sigmoid outputs
    # need not), as the answer a person sees does.
    sums = outputs.sum(axis=1, keepdims=True)
    outputs = np.divide(outputs, sums, out=np.full_like(outputs, 0.1), where=sums > 0)
    return outputs.reshape(len(SHIFTS), len(x), -1)


def predict_prepared(net: Network, prepared: Sequence[Prepared]) -> list[Prediction]:
    """Read already prepared pictures with one batched forward pass of ``net``.

    Pictures without a digit are still fed (as the black image in their ``pixels``) but get
    ``digit=None``. If ``net`` learnt deslanted digits, the pictures are stood upright first
    (:func:`~digitnet.preprocess.upright`; each prediction's ``prepared`` is then that copy);
    if its model file asks for five looks, the answers are those of
    :func:`read_outputs` (``outputs`` then hold the mean of the five
    normalised answers, ``each_look`` the five).
    """
    if not prepared:
        return []
    if wants_deslant(net.metadata):
        prepared = [upright(p) for p in prepared]
    batch = np.stack([p.pixels.reshape(-1) for p in prepared])
    looks = each_look(net, batch)
    predictions = [make_prediction(p, o) for p, o in zip(prepared, looks.mean(axis=0), strict=True)]
    if len(looks) > 1:
        for i, prediction in enumerate(predictions):
            prediction.each_look = looks[:, i].tolist()
    return predictions


def prepare_for(net: Network, image: ImageInput) -> Prepared:
    """The picture prepared as ``net`` learnt its digits: MNIST-style, and stood upright if its
    model file says it learnt deslanted digits. Every path that reads a picture prepares it so."""
    return prepare(image, wants_deslant(net.metadata))


def predict_images(net: Network, images: Sequence[ImageInput]) -> list[Prediction]:
    """Prepare every picture and read them with one batched forward pass of ``net``.

    ImageError from an unreadable picture propagates (prepare the pictures one by one and use
    :func:`predict_prepared` to handle them separately).
    """
    return predict_prepared(net, [prepare_for(net, image) for image in images])


def predict_image(net: Network, image: ImageInput) -> Prediction:
    """Read the digit in one picture (path, bytes, PIL image or array) with ``net``."""
    return predict_images(net, [image])[0]


def mnist_pixels(pixels: ArrayLike) -> FloatImage:
    """An image already in MNIST's format as float32 ``(28, 28)`` in 0..1.

    ``pixels`` is ``(28, 28)`` or 784 values (row by row): uint8 0..255 (divided by 255 in
    float32, exactly as :meth:`Network.as_input <digitnet.network.Network.as_input>` does),
    or bool or numbers in 0..1. Anything else raises ImageError.
    """
    arr = np.asarray(pixels)
    size = MNIST_SIZE * MNIST_SIZE
    if arr.shape not in ((MNIST_SIZE, MNIST_SIZE), (size,)):
        raise ImageError(
            f"an image without preprocessing must be {MNIST_SIZE}x{MNIST_SIZE} ({size} values), "
            f"got shape {arr.shape}."
        )
    if arr.dtype == np.uint8:
        image = np.divide(arr, np.float32(255.0), dtype=np.float32)
    elif arr.dtype.kind in "biuf":
        image = arr.astype(np.float32)
        if not np.all(np.isfinite(image)):
            raise ImageError("the image contains NaN or infinite values.")
        if image.min() < 0.0 or image.max() > 1.0:
            raise ImageError("the image has values outside 0..1 (pass 0..255 as uint8).")
    else:
        raise ImageError(f"the image holds {arr.dtype} values, not numbers.")
    return image.reshape(MNIST_SIZE, MNIST_SIZE)


def predict_pixels(net: Network, pixels: ArrayLike) -> Prediction:
    """Read an image that already is in MNIST's format, without any preprocessing.

    ``pixels`` is ``(28, 28)`` or 784 values, uint8 0..255 or numbers in 0..1 (see
    :func:`mnist_pixels`), fed to ``net`` as they are. The answer is the same
    :class:`Prediction` as :func:`predict_image` gives, with a :class:`Prepared` that holds
    just that image (no steps, no box). An image without a single lit pixel is refused
    (``found=False``, ``digit=None``); any other image counts as a digit. A network that learnt
    deslanted digits reads it deslanted, as it learnt MNIST's: uint8 pixels (MNIST's stored
    format) are rounded back to 256 grey levels once upright, as training and the test
    accuracy did, so a test digit gets the answer its evaluation gave.
    """
    image = mnist_pixels(pixels)
    found = bool(image.any())
    prepared = Prepared(image, [], found=found, reason=None if found else BLANK_REASON)
    if wants_deslant(net.metadata) and np.asarray(pixels).dtype == np.uint8:
        prepared = upright(prepared, levels=True)
    return predict_prepared(net, [prepared])[0]
