"""Reading whole numbers: every digit in a picture, each read by the network like a lone one.

:func:`read_number` splits the picture's ink into digits (:mod:`digitnet.preprocess.segment`:
blobs, merged where they belong together, in lines, left to right), prepares each like MNIST
(the single digit's steps 5 to 7, :func:`~digitnet.preprocess.pipeline.prepare_crop`) and reads
it with the one prediction path (:mod:`digitnet.prediction`). A piece wide enough to be several
touching digits is also cut (:mod:`digitnet.preprocess.cuts`: paths that cross the least ink),
every segment between two cuts is read, and the reading kept is the one with the highest sum
of log-probabilities less priors (see the constants): a cost per cut and per stroke it
crosses, a piece too wide for one digit or too narrow for ``k``, a segment much shorter than
its piece; and every piece or segment read as one digit gains the log of the learnt
probability that it is one whole digit (:mod:`digitnet.one_digit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from digitnet.one_digit import one_digit_probability
from digitnet.prediction import Prediction, percent, predict_prepared
from digitnet.preprocess import (
    FloatImage,
    ImageInput,
    Lattice,
    Piece,
    Prepared,
    Step,
    check_ink,
    cut_lattice,
    find_digit_box,
    find_pieces,
    picture_size,
    prepare_crop,
)

if TYPE_CHECKING:
    from digitnet.network import Network

#: The writer's typical digit width is the TYPICAL_PERCENTILE percentile of the widths of the
#: pieces between NARROW and SINGLE times their line's height (likely one digit each: not a 1,
#: not digits touching; see :func:`typical_width`); with none, it is TYPICAL_WIDTH times the
#: height (the median width of people's pen digits is 0.66 of their own height, and a line's
#: height is its tallest digit's). The constants below were chosen on numbers composed with
#: ``benchmarks/number_errors.py``'s seeds (500, 700; TRY_CUT and ONE_NARROWER also 1100, 2100),
#: never on the benchmark's own.
NARROW = 0.35
SINGLE = 0.85
TYPICAL_WIDTH = 0.6
TYPICAL_PERCENTILE = 40.0
#: A piece at least this many times as wide as the typical digit may be several touching
#: digits: the segments of its cut lattice (:func:`~digitnet.preprocess.cut_lattice`) are read.
TRY_CUT = 1.2
#: A narrower one, from TRY_CUT_DOUBTFUL typical digits wide, is cut too when its reading as
#: one digit scores below DOUBT (the log-probability less the priors): a 1 touching the next
#: digit makes a piece hardly wider than one digit, and "15" was read as an 8. (Cutting every
#: such piece read the same numbers on seeds 2100 and 3100, but took 1.7 times as long.)
TRY_CUT_DOUBTFUL = 0.9
DOUBT = -0.05
#: A piece read as one digit loses WIDE_PENALTY log-probability per typical digit's width
#: beyond WIDE typical digits ...
WIDE = 1.2
WIDE_PENALTY = 1.5
#: ... each cut costs CUT_COST, plus CUT_INK per stroke of ink it crosses (two digits touch
#: at a point; a cut through one digit crosses its strokes) ...
CUT_COST = 0.2
CUT_INK = 0.6
#: ... cutting a piece into k digits costs NARROW_CUT_PENALTY per typical digit's width the
#: piece lacks of NARROW_CUT + k - 2 of them (k digits that touch are seldom narrower), less
#: ONE_NARROWER of them for each segment read as a 1 (a 1 is narrow) ...
NARROW_CUT = 1.3
NARROW_CUT_PENALTY = 3.0
ONE_NARROWER = 0.6
#: ... and a segment less high than SHORT times its piece loses SHORT_PENALTY per piece
#: height it lacks (touching digits are about as high as each other; a cut through one wide
#: digit often leaves a short stub, such as the end of a 7's bar).
SHORT = 0.65
SHORT_PENALTY = 3.0
#: The log-probability given to a piece that is no digit's shape (refused by the rules).
REFUSED_SCORE = -8.0
#: Every piece or segment read as one digit also gains ONE_DIGIT_WEIGHT times the log of the
#: probability that it is one whole digit (:mod:`digitnet.one_digit`, learnt from touching
#: MNIST training digits): two narrow touching digits that the network reads confidently as
#: one lose, and so do the halves of one wide digit. 0 turns it off.
ONE_DIGIT_WEIGHT = 0.5
#: That probability is taken as at least this (no single piece decides alone).
ONE_DIGIT_FLOOR = 1e-4

Box = tuple[int, int, int, int]


@dataclass
class NumberDigit:
    """One digit of a number: the network's ``prediction`` (with the prepared 28x28 input and
    every step), its ``box`` (x0, y0, x1, y1) in the picture's pixels (x1, y1 exclusive), and
    its ``line`` (0 = top)."""

    prediction: Prediction = field(repr=False)
    box: tuple[int, int, int, int]
    line: int

    @property
    def digit(self) -> int | None:
        """The digit read, or None when its ink is no digit's shape."""
        return self.prediction.digit

    @property
    def probability(self) -> float:
        """The network's probability for it (0 for ink that is no digit)."""
        return self.prediction.probability

    @property
    def pixels(self) -> FloatImage:
        """The 28x28 image the network saw."""
        return self.prediction.prepared.pixels


@dataclass
class NumberReading:
    """What :func:`read_number` read: the ``number`` as text (``?`` for ink that is no digit,
    lines separated by a space), its ``digits`` in reading order, the ``steps`` of the whole
    picture (grey to the split into digits), the picture's ``size`` (width, height) and its
    ``scale`` (picture pixels per pixel of the steps' pictures). ``found`` is False when the
    picture holds no digit, and ``reason`` then says why."""

    number: str
    digits: list[NumberDigit]
    steps: list[Step] = field(repr=False)
    size: tuple[int, int]
    scale: float
    found: bool = True
    reason: str | None = None

    @property
    def inputs(self) -> NDArray[np.float32]:
        """The prepared inputs, float32 ``(n, 28, 28)``."""
        if not self.digits:
            return np.zeros((0, 28, 28), np.float32)
        return np.stack([d.pixels for d in self.digits]).astype(np.float32)

    @property
    def message(self) -> str:
        """One line: the number and each digit's probability, or why there is none."""
        if not self.found:
            return f"no digit found: {self.reason}"
        each = ", ".join(
            f"{'?' if d.digit is None else d.digit} {percent(d.probability)}" for d in self.digits
        )
        return f"{self.number}  ({each})"


@dataclass
class Choice:
    """The best reading of a piece: its digits' pieces and prepared inputs, and its score."""

    pieces: list[Piece]
    prepared: list[Prepared]
    predictions: list[Prediction]
    score: float


#: A piece's key: its box and blobs, and for a segment of its cut lattice the bounds (i, j)
#: (two segments between different paths may share a box); (0, 0) for a whole piece.
Key = tuple[Box, tuple[int, ...], tuple[int, int]]


class Reader:
    """Chooses, piece by piece, how many digits it holds and where to cut it (see
    :func:`read_number`). :meth:`explore` prepares every piece and every segment of its cut
    lattice that may be a digit, :meth:`read` reads them all with one forward pass,
    :meth:`best` chooses."""

    def __init__(self, net: Network, steps: list[Step], pieces: list[Piece]) -> None:
        self.net = net
        self.width = typical_width(pieces)
        self.steps = steps
        self.inputs: dict[Key, tuple[Piece, Prepared]] = {}
        self.lattices: dict[Key, Lattice] = {}
        self.predictions: dict[Key, Prediction] = {}
        self.whole: dict[Key, float] = {}

    def prepare(self, piece: Piece, bounds: tuple[int, int] = (0, 0)) -> Key:
        """Prepare ``piece`` (or the segment between ``bounds`` of a lattice) as one digit,
        once."""
        key = (piece.box, piece.parts, bounds)
        if key not in self.inputs:
            self.inputs[key] = (piece, prepare_crop(piece.image, self.steps, piece.box))
        return key

    def explore(self, piece: Piece, try_cut: float | None = None) -> Key:
        """Prepare ``piece`` and, when it is at least ``try_cut`` (default ``TRY_CUT``)
        typical digits wide (so may be several digits), every segment of its cut lattice
        (:func:`~digitnet.preprocess.cut_lattice`)."""
        key = self.prepare(piece)
        width = piece.box[3] - piece.box[1]
        least = TRY_CUT if try_cut is None else try_cut
        if width >= least * self.width and key not in self.lattices:
            lattice = cut_lattice(piece, self.width)
            self.lattices[key] = lattice
            for bounds, segment in lattice.segments.items():
                self.prepare(segment, bounds)
        return key

    def read(self) -> None:
        """Read every piece and segment prepared and not read yet, in one batched forward
        pass, and how likely each is one whole digit
        (:func:`~digitnet.one_digit.one_digit_probability`)."""
        keys = [k for k in self.inputs if k not in self.predictions]
        if not keys:
            return
        answers = predict_prepared(self.net, [self.inputs[k][1] for k in keys])
        self.predictions.update(zip(keys, answers, strict=True))
        if ONE_DIGIT_WEIGHT:
            pixels = np.stack([self.inputs[k][1].pixels.reshape(-1) for k in keys])
            sizes = np.array([self.sizes(self.inputs[k][0]) for k in keys], np.float32)
            whole = one_digit_probability(pixels.astype(np.float32), sizes)
            self.whole.update(zip(keys, whole.tolist(), strict=True))

    def explore_doubtful(self, keys: list[Key]) -> None:
        """Once read: cut also the pieces from ``TRY_CUT_DOUBTFUL`` typical digits wide whose
        reading as one digit scores below ``DOUBT``, and read their segments."""
        for key in keys:
            if key not in self.lattices and self.as_one(key).score < DOUBT:
                self.explore(self.inputs[key][0], TRY_CUT_DOUBTFUL)
        self.read()

    def sizes(self, piece: Piece) -> tuple[float, float, float]:
        """A piece's width and height over its line's height, its width over the typical
        digit's (the sizes :mod:`digitnet.one_digit` needs besides the 28x28)."""
        top, left, bottom, right = piece.box
        line = max(piece.height, 1)
        return (right - left) / line, (bottom - top) / line, (right - left) / self.width

    def as_one(self, key: Key) -> Choice:
        """A piece read as one digit, scored by its log-probability less the penalties."""
        piece, prepared = self.inputs[key]
        prediction = self.predictions[key]
        if not prepared.found:
            score = REFUSED_SCORE
        else:
            width = piece.box[3] - piece.box[1]
            score = math.log(max(prediction.probability, 1e-6))
            score -= WIDE_PENALTY * max(0.0, width / self.width - WIDE)
            if ONE_DIGIT_WEIGHT and key in self.whole:
                score += ONE_DIGIT_WEIGHT * math.log(max(self.whole[key], ONE_DIGIT_FLOOR))
        return Choice([piece], [prepared], [prediction], score)

    def best(self, key: Key) -> Choice:
        """The best reading of a piece: as one digit, or cut into ``k`` segments of its
        lattice, each read as one digit (dynamic programming over the cuts, left to right,
        for each count of digits); each cut costs ``CUT_COST``, and cutting a piece too
        narrow for ``k`` digits costs ``NARROW_CUT_PENALTY`` per typical digit it lacks
        (``ONE_NARROWER`` less of them per 1 read)."""
        whole = self.as_one(key)
        lattice = self.lattices.get(key)
        if lattice is None:
            return whole
        piece = self.inputs[key][0]
        last = len(lattice.bounds) - 1
        # reach[j][k]: the best Choice of k digits from the piece's left side to bound j.
        reach: list[dict[int, Choice]] = [{} for _ in range(last + 1)]
        reach[0][0] = Choice([], [], [], 0.0)
        for (i, j), segment in sorted(lattice.segments.items(), key=lambda item: item[0]):
            one = self.as_one((segment.box, segment.parts, (i, j)))
            rows = (segment.box[2] - segment.box[0]) / max(1, piece.box[2] - piece.box[0])
            one.score -= SHORT_PENALTY * max(0.0, SHORT - rows)
            cost = CUT_COST + CUT_INK * float(lattice.crossed[i]) if i else 0.0
            for k, before in reach[i].items():
                score = before.score + one.score - cost
                if k + 1 not in reach[j] or score > reach[j][k + 1].score:
                    reach[j][k + 1] = Choice(
                        before.pieces + one.pieces,
                        before.prepared + one.prepared,
                        before.predictions + one.predictions,
                        score,
                    )
        width = piece.box[3] - piece.box[1]
        expected = width / self.width
        best = whole
        for k, choice in reach[last].items():
            ones = sum(p.digit == 1 for p in choice.predictions)
            narrow = max(0.0, NARROW_CUT + k - 2 - ONE_NARROWER * ones - expected)
            score = choice.score - NARROW_CUT_PENALTY * narrow
            if k > 1 and score > best.score:
                best = Choice(choice.pieces, choice.prepared, choice.predictions, score)
        return best


def typical_width(pieces: list[Piece]) -> float:
    """How wide this writer's digits are, in pixels: the ``TYPICAL_PERCENTILE`` percentile of
    the widths of the pieces that are likely one digit each (between ``NARROW`` and ``SINGLE``
    times their line's height: not a 1, not several digits touching), else ``TYPICAL_WIDTH``
    times the height."""
    widths = []
    for piece in pieces:
        width, height = piece.box[3] - piece.box[1], max(piece.height, 1)
        if NARROW * height <= width <= SINGLE * height:
            widths.append(width)
    if widths:
        return float(np.percentile(widths, TYPICAL_PERCENTILE))
    return TYPICAL_WIDTH * max((p.height for p in pieces), default=1)


def no_number(steps: list[Step], size: tuple[int, int], scale: float, reason: str) -> NumberReading:
    """The reading of a picture that holds no number."""
    return NumberReading("", [], steps, size, scale, found=False, reason=reason)


def read_number(image: ImageInput, net: Network) -> NumberReading:
    """Read every digit in a picture (path, bytes, PIL image or array) with ``net``.

    Returns a :class:`NumberReading`: the number as text and, for each digit, the network's
    :class:`~digitnet.prediction.Prediction` (its prepared 28x28 input and steps inside) and
    its box in the picture. Raises ImageError when the picture cannot be read; a picture
    without a digit (blank, noise, more than ``MAX_DIGITS`` marks) gives ``found=False`` and
    a ``reason``.
    """
    found = find_pieces(image)
    grey = found.steps[0].image
    size = picture_size(image) or (grey.shape[1], grey.shape[0])
    scale = size[0] / grey.shape[1]
    cleaned = found.ink.cleaned
    # The single digit's rules for blank pictures and noise hold for numbers too (all but
    # the count of blobs: a number has many).
    refusal = check_ink(
        replace(cleaned, stray=0),
        find_digit_box(cleaned.image),
        found.ink.noise,
    )
    reason = refusal or found.reason
    if reason is not None:
        return no_number(found.steps, size, scale, reason)
    reader = Reader(net, found.steps, found.pieces)
    keys = [reader.explore(piece) for piece in found.pieces]
    reader.read()
    reader.explore_doubtful(keys)
    digits: list[NumberDigit] = []
    for key in keys:
        choice = reader.best(key)
        for part, prediction in zip(choice.pieces, choice.predictions, strict=True):
            top, left, bottom, right = part.box
            box = (
                math.floor(left * scale),
                math.floor(top * scale),
                min(size[0], math.ceil(right * scale)),
                min(size[1], math.ceil(bottom * scale)),
            )
            digits.append(NumberDigit(prediction, box, part.line))
    if not digits or all(d.digit is None for d in digits):
        first = digits[0].prediction.prepared.reason if digits else None
        return no_number(found.steps, size, scale, first or "there is no digit")
    text = ""
    for i, d in enumerate(digits):
        if i and d.line != digits[i - 1].line:
            text += " "
        text += "?" if d.digit is None else str(d.digit)
    return NumberReading(text, digits, found.steps, size, scale)
