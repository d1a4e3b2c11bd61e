"""Touching digits: the ways to cut one piece of ink into several digits.

Two digits whose ink touches are one blob, and the gap between them is seldom a straight
column: a 3 leaning on a 0 touches along a curve, a slanted 7 reaches over the next digit. So a
cut is a *path* from the piece's top row to its bottom row that crosses as little ink as it can
(:func:`cut_paths`: a shortest path by dynamic programming over the ink, one row at a time, each
row's step at most one column sideways), started around the columns where a vertical cut
crosses the least ink and every quarter of a digit's width (:func:`cut_columns`).

The paths, left to right and never crossing, are the lattice of :func:`cut_lattice`: any two
of them (or a side of the piece) bound a *segment*, a candidate digit. Which segments are the
digits only the network can tell, so choosing is :mod:`digitnet.numbers`' job: this module knows
no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from digitnet.preprocess.geometry import stroke_width
from digitnet.preprocess.images import FloatImage
from digitnet.preprocess.segment import Piece, crop_piece

#: Cuts are started at least this fraction of the typical digit's width from a piece's sides,
#: and every CUT_STEP of it in between (besides where the ink is thinnest) ...
CUT_MARGIN = 0.3
CUT_STEP = 0.25
#: ... and where the ink is thinnest they may come closer to the sides: this fraction of the
#: typical digit's width (a 1 touching the next digit is narrow).
THIN_MARGIN = 0.12
#: A cut's path stays within this fraction of the typical digit's width of its start column ...
PATH_BAND = 0.3
#: ... and each column it steps sideways costs as much as this much ink (so that it runs
#: straight through white and bends only to go round ink).
PATH_STEP_COST = 0.08
#: A segment wider than this many typical digits is not looked at (but the whole piece is).
MAX_SEGMENT = 1.9
#: Nor one narrower than this fraction of its line's height.
MIN_SEGMENT = 0.1


def cut_columns(image: FloatImage, width: float, count: int = 4) -> list[int]:
    """Columns of a piece ``(h, w)`` to start cuts at: the ``count`` where a vertical cut
    crosses the least ink (local minima of the column sums, smoothed over 3 columns), thinnest
    first, at least ``THIN_MARGIN`` of the typical digit ``width`` from either side; then every
    ``CUT_STEP`` of ``width``, at least ``CUT_MARGIN`` of it from the sides (two digits that
    touch along a curve touch where the column sums are high, not low)."""
    w = image.shape[1]
    thin_margin = max(2, round(THIN_MARGIN * width))
    margin = max(2, round(CUT_MARGIN * width))
    if w < 2 * thin_margin + 1:
        return []
    sums = image.sum(axis=0).astype(np.float64)
    smooth = np.convolve(np.pad(sums, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    inner = np.arange(thin_margin, w - thin_margin)
    after = smooth[np.minimum(inner + 1, w - 1)]
    minima = inner[(smooth[inner] <= smooth[inner - 1]) & (smooth[inner] <= after)].tolist()
    minima.sort(key=lambda c: (smooth[c], abs(c - w / 2)))
    step = max(2, round(CUT_STEP * width))
    chosen: list[int] = []
    for c in minima[:count] + list(range(margin, w - margin + 1, step)):
        if all(abs(c - o) > step // 2 for o in chosen):
            chosen.append(c)
    return sorted(chosen)


def cut_paths(
    image: FloatImage, columns: list[int], band: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """For each start column, the path through ``image`` ``(h, w)`` from top to bottom that
    crosses the least ink, within ``band`` columns of its start and stepping at most one
    column sideways a row: int ``(k, h)`` (the first column right of the cut, per row) and
    the ink each crosses (float ``(k,)``). All paths are found at once, row by row."""
    h, w = image.shape
    if not columns:
        return np.zeros((0, h), np.int64), np.zeros(0)
    ink = image.astype(np.float64)
    starts = np.asarray(columns)[:, None]
    outside = np.abs(np.arange(w)[None, :] - starts) > band  # (k, w)
    total = np.where(outside, np.inf, ink[0][None, :])
    moves = np.empty((h, len(columns), w), np.int8)  # where each row's best step came from
    from_left = np.full_like(total, np.inf)
    from_right = np.full_like(total, np.inf)
    for row in range(1, h):
        from_left[:, 1:] = total[:, :-1] + PATH_STEP_COST
        from_right[:, :-1] = total[:, 1:] + PATH_STEP_COST
        best = np.minimum(total, np.minimum(from_left, from_right))
        move = moves[row]
        move[:] = 0
        move[(from_left == best) & (total != best)] = -1
        move[(from_right == best) & (total != best) & (from_left != best)] = 1
        total = np.where(outside, np.inf, best + ink[row][None, :])
    paths = np.empty((len(columns), h), np.int64)
    paths[:, -1] = total.argmin(axis=1)
    ways = np.arange(len(columns))
    for row in range(h - 1, 0, -1):
        paths[:, row - 1] = paths[:, row] + moves[row, ways, paths[:, row]]
    crossed = ink[np.arange(h)[None, :], paths].sum(axis=1)
    return paths, crossed


@dataclass
class Lattice:
    """The cuts of one piece, left to right: ``bounds`` int ``(n + 2, h)`` (the piece's left
    side, the ``n`` cut paths, its right side: per row the first column right of each), the
    ink each cut crosses in strokes (``crossed``, ``(n + 2,)``: the ink on its path over the
    piece's stroke width; 0 for the sides) and the ``segments``
    between bounds ``i < j`` that may be a digit, as pieces (the whole piece is ``(0, n+1)``,
    left out here)."""

    bounds: NDArray[np.int64] = field(repr=False)
    crossed: NDArray[np.float64]
    segments: dict[tuple[int, int], Piece] = field(repr=False)


def cut_lattice(piece: Piece, width: float, count: int = 4) -> Lattice:
    """The ways to cut ``piece`` into digits (``width`` is the typical digit's, in pixels):
    the paths of :func:`cut_paths` from the columns of :func:`cut_columns`, made not to cross
    and without repeats, and every segment between two of them that is between
    ``MIN_SEGMENT`` of the line's height and ``MAX_SEGMENT`` typical digits wide and holds
    ink."""
    image = piece.image
    h, w = image.shape
    paths, crossed = cut_paths(image, cut_columns(image, width, count), round(PATH_BAND * width))
    order = np.argsort(paths.mean(axis=1), kind="stable")
    paths = np.maximum.accumulate(paths[order], axis=0)  # no path crosses the one before it
    bounds = np.concatenate([np.zeros((1, h), np.int64), paths, np.full((1, h), w, np.int64)])
    strokes = crossed[order] / max(1.0, stroke_width(image))
    costs = np.concatenate([[0.0], strokes, [0.0]])
    keep = [0] + [i for i in range(1, len(bounds)) if np.any(bounds[i] != bounds[i - 1])]
    bounds, costs = bounds[keep], costs[keep]
    columns = np.arange(w)[None, :]
    segments: dict[tuple[int, int], Piece] = {}
    lowest = MIN_SEGMENT * max(piece.height, 1)
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            if (i, j) == (0, len(bounds) - 1):
                continue
            span = float(np.mean(bounds[j] - bounds[i]))
            if span > MAX_SEGMENT * width:
                break
            if span < lowest:
                continue
            inside = (columns >= bounds[i][:, None]) & (columns < bounds[j][:, None])
            ink = np.where(inside, image, np.float32(0.0)).astype(np.float32)
            corner = (piece.box[0], piece.box[1])
            segment = crop_piece(ink, corner, piece.parts, piece.line, piece.height)
            if segment.image.size and float(segment.image.sum()) > 0.0:
                segments[(i, j)] = segment
    return Lattice(bounds, costs, segments)
