"""Several digits in one picture: find the ink of each, from the cleaned ink of steps 1 to 4.

:func:`find_pieces` cleans a picture like :func:`~digitnet.preprocess.pipeline.prepare` does,
but keeps every blob of ink (not just the largest digit's), then

1. labels the blobs (8-connected, after closing gaps of a pixel, so a dotted stroke holds);
2. joins blobs that lie close one above the other (a 5 whose top bar was lifted, a stroke
   broken across), then sorts them into lines (blobs that share most of their height);
3. in each line, merges the blobs that belong to one digit: blobs whose columns mostly
   overlap (a 4 in two strokes) and small pieces close to a larger one (a broken or dotted
   stroke); what is left small and far from any digit is a speck;
4. orders the digits left to right, the lines top to bottom.

Digits that touch are one blob: :mod:`digitnet.preprocess.cuts` lists the ways to cut it.
Each digit then goes through the single digit's steps 5 to 7
(:func:`~digitnet.preprocess.pipeline.prepare_crop`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from digitnet.preprocess.images import FloatImage, ImageInput, Mask
from digitnet.preprocess.ink import Components, dilate_mask, label_components
from digitnet.preprocess.pipeline import Ink, Step, clean_picture

#: Pictures of numbers are worked on with their longer side at most this many pixels: an
#: eight-digit number written across the picture keeps digits about 40 pixels high.
NUMBER_WORK_SIZE = 384
#: Blobs smaller than this fraction of the largest (or than 6 pixels) are specks of noise.
NUMBER_SPECK_FRACTION = 0.02
#: Two blobs of a line whose column ranges overlap by at least this fraction of the narrower
#: one's width are one digit (a 5's lifted top bar, a 4's second stroke).
MERGE_OVERLAP = 0.5
#: A blob shorter and narrower than this fraction of its line's height is a piece of a digit
#: (a broken or dotted stroke) ...
SMALL_PART = 0.45
#: ... and joins the nearest ink within this fraction of the line's height; else it is a speck.
NEAR_GAP = 0.35
#: Blobs one above the other with at most this fraction of the taller one's height between
#: them are one digit (see :func:`stack`).
STACK_GAP = 0.25
#: Ink is what is brighter than this, on the scale of the picture's ink level (1) over its noise
#: floor (0): lower than a lone digit's 0.5, since one digit of a number may be written
#: fainter or thinner than the others. At 0.3, a thin pen digit beside bold ones in a photo was
#: lost now and then; at 0.2 (0.15 gave the same) the count of digits was right in 2 to 3.4
#: points more of the photographed pen numbers of ``benchmarks/number_errors.py``'s seeds 500
#: and 1100 (150 each, both networks), and unchanged on the others ...
NUMBER_INK = 0.2
#: ... and each blob of it keeps its pixels above this fraction of its own brightest (a bold
#: digit keeps its usual shape and does not grow into its neighbour); each piece is then
#: brightened to its own ink level (see :func:`own_ink` and :func:`piece_of`).
OWN_INK = 0.5
#: More digits than this in one picture is not a number (noise, a texture, a page of text).
MAX_DIGITS = 20
#: More blobs than this (before the pieces of a digit are joined) is noise: not looked at.
MAX_MARKS = 4 * MAX_DIGITS
#: Blobs are labelled after closing gaps of this many pixels (a dotted or broken stroke).
CLOSE_GAP = 1

Box = tuple[int, int, int, int]


@dataclass
class Piece:
    """The ink of one digit (or of a few touching ones): ``image`` is float32 ``(h, w)``,
    white on black, holding only this piece's ink, cropped to ``box`` = (top, left, bottom,
    right) (exclusive) of the working picture; ``parts`` are the labels of its blobs and
    ``line`` the number of its line (0 = top); ``height`` is its line's digit height."""

    image: FloatImage = field(repr=False)
    box: Box
    parts: tuple[int, ...]
    line: int = 0
    height: int = 0


@dataclass
class Pieces:
    """What :func:`find_pieces` found: the ``steps`` so far (grey to cleaned, plus a picture of
    the pieces' boxes), the ``ink`` it was found in, the blobs' ``labels`` (int32 ``(h, w)``)
    and the ``pieces`` in reading order; ``reason`` says why there is no number, or is None."""

    steps: list[Step] = field(repr=False)
    ink: Ink = field(repr=False)
    labels: NDArray[np.int32] = field(repr=False)
    pieces: list[Piece]
    reason: str | None = None


def keep_number_parts(components: Components) -> NDArray[np.bool_]:
    """Which blobs (bool (n,)) to keep in a picture of a number: all but specks (smaller than
    ``NUMBER_SPECK_FRACTION`` of the largest blob, or than 6 pixels)."""
    largest = float(components.sizes.max(initial=0))
    return components.sizes >= max(6.0, NUMBER_SPECK_FRACTION * largest)


def overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    """How many pixels the ranges [a0, a1) and [b0, b1) share."""
    return max(0, min(a1, b1) - max(a0, b0))


def gap(a: Box, b: Box) -> float:
    """The distance in pixels between two boxes (0 when they touch or overlap)."""
    rows = max(0, max(a[0], b[0]) - min(a[2], b[2]))
    cols = max(0, max(a[1], b[1]) - min(a[3], b[3]))
    return float(np.hypot(rows, cols))


def union(a: Box, b: Box) -> Box:
    """The smallest box holding both."""
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


Group = tuple[list[int], Box]


def stack(groups: list[Group]) -> list[Group]:
    """Blobs that lie one above the other, close together, joined: their column ranges overlap
    by ``MERGE_OVERLAP`` of the narrower one's width and the rows between them are at most
    ``STACK_GAP`` of the taller one's height (a 5's lifted bar, a stroke broken across)."""
    groups = list(groups)
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                (a_labels, a), (b_labels, b) = groups[i], groups[j]
                narrower = max(1, min(a[3] - a[1], b[3] - b[1]))
                taller = max(a[2] - a[0], b[2] - b[0])
                rows_between = max(0, max(a[0], b[0]) - min(a[2], b[2]))
                if (
                    overlap(a[1], a[3], b[1], b[3]) >= MERGE_OVERLAP * narrower
                    and rows_between <= STACK_GAP * taller
                ):
                    groups[i] = (a_labels + b_labels, union(a, b))
                    groups.pop(j)
                    merged = True
                    break
            if merged:
                break
    return groups


def find_lines(groups: list[Group]) -> list[list[Group]]:
    """Groups of blobs sorted into lines of writing, top line first: tallest first, a group
    joins the line whose rows it shares for at least half of the shorter one's height. A group
    too small to be a digit (shorter and narrower than ``SMALL_PART`` of the tallest) starts
    no line of its own: it joins the line nearest in rows, where :func:`group_line` joins it
    to a digit close by or drops it as a speck."""
    lines: list[tuple[list[Group], list[int]]] = []  # (groups, [top, bottom])
    tallest = max((g[1][2] - g[1][0] for g in groups), default=0)
    for group in sorted(groups, key=lambda g: -(g[1][2] - g[1][0])):
        top, left, bottom, right = group[1]
        best, best_share = None, 0.0
        for members, extent in lines:
            shared = overlap(top, bottom, extent[0], extent[1])
            share = shared / max(1, min(bottom - top, extent[1] - extent[0]))
            if share >= 0.5 and share > best_share:
                best, best_share = members, share
        small = max(bottom - top, right - left) < SMALL_PART * tallest
        if best is None and small and lines:
            rows_apart = [max(0, extent[0] - bottom, top - extent[1]) for _, extent in lines]
            best = lines[int(np.argmin(rows_apart))][0]
        if best is None:
            lines.append(([group], [top, bottom]))
        else:
            best.append(group)
    lines.sort(key=lambda line: line[1][0])
    return [members for members, _ in lines]


def group_line(members: list[Group]) -> tuple[list[list[int]], int]:
    """The groups of blobs of one line joined into digits (see the module's steps 3 and 4),
    left to right, and the line's digit height (its tallest group's)."""
    height = max(box[2] - box[0] for _, box in members)
    groups: list[Group] = []
    for labels_in, box in sorted(members, key=lambda g: g[1][1]):
        for i, (labels, gbox) in enumerate(groups):
            narrower = min(box[3] - box[1], gbox[3] - gbox[1])
            if overlap(box[1], box[3], gbox[1], gbox[3]) >= MERGE_OVERLAP * max(1, narrower):
                groups[i] = (labels + labels_in, union(gbox, box))
                break
        else:
            groups.append((list(labels_in), box))
    limit = SMALL_PART * height
    # Small groups join their nearest neighbour when it is close, the smallest first.
    while True:
        small = [
            i for i, (_, b) in enumerate(groups) if b[2] - b[0] < limit and b[3] - b[1] < limit
        ]
        if not small or len(groups) < 2:
            break
        i = min(small, key=lambda j: (groups[j][1][2] - groups[j][1][0]) * 1000 + j)
        others = [j for j in range(len(groups)) if j != i]
        j = min(others, key=lambda o: gap(groups[i][1], groups[o][1]))
        if gap(groups[i][1], groups[j][1]) > NEAR_GAP * height:
            groups.pop(i)  # a speck, far from any digit
            continue
        merged = (groups[j][0] + groups[i][0], union(groups[j][1], groups[i][1]))
        groups[j] = merged
        groups.pop(i)
    groups = [g for g in groups if not (g[1][2] - g[1][0] < limit and g[1][3] - g[1][1] < limit)]
    groups.sort(key=lambda g: (g[1][1] + g[1][3]) / 2.0)
    return [labels for labels, _ in groups], height


def piece_of(
    cleaned: FloatImage, labels: NDArray[np.int32], parts: tuple[int, ...], line: int, height: int
) -> Piece:
    """The :class:`Piece` holding the blobs ``parts``: their ink and the faint edge pixels
    within two pixels of them, nothing of the other blobs."""
    mask = np.isin(labels, parts)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    h, w = labels.shape
    top, bottom = max(0, int(rows[0]) - 2), min(h, int(rows[-1]) + 3)
    left, right = max(0, int(cols[0]) - 2), min(w, int(cols[-1]) + 3)
    near = dilate_mask(mask[top:bottom, left:right], 2)
    others = (labels[top:bottom, left:right] > 0) & ~mask[top:bottom, left:right]
    window = cleaned[top:bottom, left:right]
    image = np.where(near & ~others, window, np.float32(0.0))
    image = np.clip(image / max(float(image.max()), 1e-6), 0.0, 1.0).astype(np.float32)
    return crop_piece(image, (top, left), parts, line, height)


def crop_piece(
    image: FloatImage, corner: tuple[int, int], parts: tuple[int, ...], line: int, height: int
) -> Piece:
    """A :class:`Piece` of ``image`` (whose pixel (0, 0) is ``corner`` of the working picture)
    cropped to its non-zero pixels; an empty image gives an empty piece."""
    rows = np.flatnonzero(image.max(axis=1) > 0)
    cols = np.flatnonzero(image.max(axis=0) > 0)
    if rows.size == 0:
        empty = np.zeros((0, 0), np.float32)
        return Piece(empty, (corner[0], corner[1], corner[0], corner[1]), parts, line, height)
    t, b, left, r = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    box = (corner[0] + t, corner[1] + left, corner[0] + b, corner[1] + r)
    return Piece(image[t:b, left:r], box, parts, line, height)


def boxes_picture(cleaned: FloatImage, pieces: list[Piece]) -> FloatImage:
    """The cleaned ink, dimmed, with each piece's box drawn in white (for the steps)."""
    out = (cleaned * np.float32(0.6)).astype(np.float32)
    h, w = out.shape
    for piece in pieces:
        top, left, bottom, right = piece.box
        b, r = min(bottom, h) - 1, min(right, w) - 1
        out[top, left : r + 1] = out[b, left : r + 1] = 1.0
        out[top : b + 1, left] = out[top : b + 1, r] = 1.0
    return out


def own_ink(cleaned: FloatImage) -> Mask:
    """The ink of a number's cleaned picture: each blob of the pixels above ``NUMBER_INK``
    keeps its pixels above ``OWN_INK`` of its own brightest (a bold digit keeps its usual
    shape, and a faint or thin one its own)."""
    faint = label_components(cleaned > NUMBER_INK)
    brightest = np.zeros(len(faint.sizes) + 1, np.float32)
    np.maximum.at(brightest, faint.labels.ravel(), cleaned.ravel())
    level = np.maximum(np.float32(NUMBER_INK), OWN_INK * brightest)
    return (faint.labels > 0) & (cleaned > level[faint.labels])


def find_pieces(image: ImageInput, max_side: int = NUMBER_WORK_SIZE) -> Pieces:
    """Clean a picture (steps 1 to 4, keeping every blob but specks) and split its ink into
    digits: see the module's steps. Raises ImageError when the picture cannot be read; a
    picture without ink, or with more than ``MAX_DIGITS`` digits, gets a ``reason``."""
    ink = clean_picture(image, max_side, keep_number_parts, NUMBER_INK)
    cleaned = ink.cleaned.image
    mask = own_ink(cleaned)
    closed = label_components(dilate_mask(mask, CLOSE_GAP) if CLOSE_GAP else mask)
    labels = np.where(mask, closed.labels, 0).astype(np.int32)
    present = np.unique(labels[labels > 0])
    boxes: dict[int, Box] = {}
    for label in present.tolist():
        top, left, bottom, right = (int(v) for v in closed.boxes[label - 1])
        boxes[label] = (top, left, bottom, right)
    steps = list(ink.steps)
    if not boxes:
        return Pieces(steps, ink, labels, [], "there is no ink")
    if len(boxes) > MAX_MARKS:
        reason = (
            f"the ink is scattered in {len(boxes)} separate marks, more than the {MAX_DIGITS} "
            "digits of a number (noise or a texture, not a number)"
        )
        return Pieces(steps, ink, labels, [], reason)
    lines = find_lines(stack([([label], box) for label, box in boxes.items()]))
    grouped = [group_line(members) for members in lines]
    count = sum(len(groups) for groups, _ in grouped)
    if count > MAX_DIGITS:
        reason = (
            f"the ink is scattered in {count} separate marks, more than the {MAX_DIGITS} "
            "digits of a number (noise or a texture, not a number)"
        )
        return Pieces(steps, ink, labels, [], reason)
    pieces = [
        piece_of(cleaned, labels, tuple(parts), line, height)
        for line, (groups, height) in enumerate(grouped)
        for parts in groups
    ]
    note = f"{len(pieces)} piece(s) of ink in {len(lines)} line(s)"
    steps.append(Step("pieces", "Split into digits", boxes_picture(cleaned, pieces), note))
    return Pieces(steps, ink, labels, pieces, None if pieces else "there is no ink")


def picture_size(image: ImageInput) -> tuple[int, int] | None:
    """(width, height) of a picture as people see it (EXIF orientation applied), read from
    the file's header only; None when it cannot be told (the picture is then unreadable, which
    :func:`find_pieces` reports)."""
    from PIL import Image

    if isinstance(image, np.ndarray):
        return (int(image.shape[1]), int(image.shape[0])) if image.ndim >= 2 else None
    try:
        if isinstance(image, Image.Image):
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
        elif isinstance(image, bytes | bytearray | str | Path):
            source = io.BytesIO(bytes(image)) if isinstance(image, bytes | bytearray) else image
            with Image.open(source) as im:
                width, height = im.size
                orientation = im.getexif().get(0x0112, 1)
        else:
            return None
    except Exception:  # noqa: BLE001 - unreadable: find_pieces says why in one sentence
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
