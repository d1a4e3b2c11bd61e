"""Steps 4 and 5: find the ink. Stretch the contrast between the background's noise floor and
the ink, cut the noise, keep only the digit's blobs of ink (8-connected components), and find
their bounding box."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from digitnet.preprocess.images import FloatImage, Mask

#: Background pixels above (median + NOISE_SIGMAS * robust standard deviation) count as ink.
NOISE_SIGMAS = 4.0
#: Pictures whose pixel noise is above this fraction of the ink's contrast get a median filter.
NOISY = 0.02
#: A connected blob of ink is kept if its area is at least this fraction of the largest blob's.
SPECK_FRACTION = 0.1


def otsu_threshold(image: FloatImage) -> float:
    """Otsu's threshold of a 0..1 image: the level that best splits its histogram (256 bins)
    into two classes (the one with the largest between-class variance)."""
    bins = np.clip((image * 255.0 + 0.5).astype(np.int64), 0, 255)
    hist = np.bincount(bins.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256) / 255.0
    weight = np.cumsum(hist)
    total = weight[-1]
    mean = np.cumsum(hist * levels)
    w0, w1 = weight, total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * w0 - mean * total) ** 2 / (w0 * w1)
    between = np.nan_to_num(between[:-1], nan=0.0, posinf=0.0)
    return float((int(np.argmax(between)) + 0.5) / 255.0)


@dataclass
class InkLevels:
    """Levels measured on a white-on-black image: ``floor`` (background noise ceiling),
    ``ink`` (typical brightness of the strokes) and ``background`` (median of the background)."""

    floor: float
    ink: float
    background: float

    @property
    def contrast(self) -> float:
        """How much brighter the ink is than the background."""
        return self.ink - self.background


def measure_ink(image: FloatImage) -> InkLevels:
    """Background and ink levels of a white-on-black ``(h, w)`` image.

    Otsu's threshold splits ink from background. The background's median plus
    ``NOISE_SIGMAS`` robust standard deviations (1.4826 x median absolute deviation) is the
    noise floor; the 90th percentile of the ink pixels is the ink level.
    """
    threshold = otsu_threshold(image)
    below = image[image <= threshold]
    above = image[image > threshold]
    if below.size == 0 or above.size == 0:
        level = float(np.median(image))
        return InkLevels(floor=level, ink=level, background=level)
    median = float(np.median(below))
    spread = 1.4826 * float(np.median(np.abs(below - median)))
    ink = float(np.percentile(above, 90.0))
    floor = min(median + NOISE_SIGMAS * spread, median + 0.5 * (ink - median))
    return InkLevels(floor=floor, ink=ink, background=median)


def stretch_contrast(image: FloatImage, levels: InkLevels) -> FloatImage:
    """``(h, w)`` with the noise floor mapped to 0 and the ink level to 1, clipped to 0..1."""
    span = max(levels.ink - levels.floor, 1e-6)
    return np.clip((image - levels.floor) / span, 0.0, 1.0).astype(np.float32)


@dataclass
class Components:
    """8-connected components of a mask: ``labels`` int32 ``(h, w)`` (0 = background, 1..n),
    ``sizes`` (n,) pixel counts and ``boxes`` (n, 4) as (top, left, bottom, right), exclusive."""

    labels: NDArray[np.int32]
    sizes: NDArray[np.int64]
    boxes: NDArray[np.int64]


def label_components(mask: Mask) -> Components:
    """Label the 8-connected components of a boolean ``(h, w)`` mask.

    Works on horizontal runs of True pixels: a run touches a run of the row above when their
    column ranges overlap or meet diagonally. The runs of a component then get the smallest run
    number among them by repeated min-propagation over those contacts.
    """
    h, w = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]
    n = len(rows)
    if n == 0:
        empty = np.zeros((0,), np.int64)
        return Components(np.zeros((h, w), np.int32), empty, np.zeros((0, 4), np.int64))
    # Contacts between each run and the runs of the row above, found by binary search on keys
    # that order runs by (row, column).
    stride = w + 2
    start_key = rows * stride + starts
    end_key = rows * stride + ends
    above = (rows - 1) * stride
    first = np.searchsorted(end_key, above + starts, side="left")
    last = np.searchsorted(start_key, above + ends, side="right")
    counts = np.maximum(last - first, 0)
    run_a = np.repeat(np.arange(n), counts)
    run_b = np.repeat(first, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    label = np.arange(n)
    while run_a.size:
        low = np.minimum(label[run_a], label[run_b])
        new = label.copy()
        for ends_of in (run_a, run_b):
            np.minimum.at(new, ends_of, low)
            np.minimum.at(new, label[ends_of], low)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            break
        label = new
    roots, component = np.unique(label, return_inverse=True)
    lengths = ends - starts
    labels = np.zeros(h * w, np.int32)
    labels[np.flatnonzero(mask)] = np.repeat(component + 1, lengths)
    k = len(roots)
    sizes = np.bincount(component, weights=lengths, minlength=k).astype(np.int64)
    boxes = np.empty((k, 4), np.int64)
    boxes[:, 0], boxes[:, 1] = h, w
    boxes[:, 2], boxes[:, 3] = 0, 0
    np.minimum.at(boxes[:, 0], component, rows)
    np.minimum.at(boxes[:, 1], component, starts)
    np.maximum.at(boxes[:, 2], component, rows + 1)
    np.maximum.at(boxes[:, 3], component, ends)
    return Components(labels.reshape(h, w), sizes, boxes)


def dilate_mask(mask: Mask, radius: int) -> Mask:
    """Boolean ``(h, w)`` mask grown by ``radius`` pixels in every direction (a square)."""
    out = mask
    for axis in (0, 1):
        grown = out.copy()
        n = out.shape[axis]
        for step in range(1, min(radius, n - 1) + 1):
            ahead = [slice(None), slice(None)]
            behind = [slice(None), slice(None)]
            ahead[axis], behind[axis] = slice(step, None), slice(None, n - step)
            grown[tuple(behind)] |= out[tuple(ahead)]
            grown[tuple(ahead)] |= out[tuple(behind)]
        out = grown
    return out


@dataclass
class Cleaned:
    """Result of :func:`clean_ink`: the cleaned ``image`` (h, w), the ``levels`` measured, the
    number of ink blobs kept (``parts``), of significant blobs seen (``blobs``) and of those
    not kept (``stray``: marks away from the digit)."""

    image: FloatImage
    levels: InkLevels
    parts: int
    blobs: int
    ink_pixels: int
    stray: int = 0


def keep_digit_parts(components: Components) -> NDArray[np.bool_]:
    """Which components (bool (n,)) belong to the digit: the largest, and every one at least
    ``SPECK_FRACTION`` of its size whose box lies near the digit (within half the digit's size
    of the boxes kept so far, looked at again while that box grows). Smaller or far-away blobs
    are specks of noise or other marks."""
    n = len(components.sizes)
    keep = np.zeros(n, np.bool_)
    if n == 0:
        return keep
    order = np.argsort(-components.sizes, kind="stable")
    biggest = order[0]
    keep[biggest] = True
    top, left, bottom, right = (int(v) for v in components.boxes[biggest])
    candidates = order[components.sizes[order] >= SPECK_FRACTION * components.sizes[biggest]][1:]
    grown = True
    while grown:  # again while the box grows: a dashed stroke is kept dash by dash
        grown = False
        for i in candidates[~keep[candidates]]:
            margin = max(bottom - top, right - left) // 2 + 1
            t, l, b, r = (int(v) for v in components.boxes[i])
            if (
                t < bottom + margin
                and b > top - margin
                and l < right + margin
                and r > left - margin
            ):
                keep[i] = grown = True
                top, left, bottom, right = min(top, t), min(left, l), max(bottom, b), max(right, r)
    return keep


def clean_ink(
    image: FloatImage,
    noise: float = 0.0,
    keep: Callable[[Components], NDArray[np.bool_]] = keep_digit_parts,
    threshold: float = 0.5,
) -> Cleaned:
    """Threshold and denoise a white-on-black ``(h, w)`` image with pixel noise ``noise``.

    The contrast is stretched (noise floor -> 0, ink -> 1, see :func:`measure_ink`) and, if the
    noise is above ``NOISY`` times the contrast, smoothed with a 3x3 median filter; ink blobs
    are the 8-connected components of the pixels above ``threshold``, and only the digit's
    blobs (see :func:`keep_digit_parts`, or the blobs ``keep`` chooses) are kept, together with
    the faint anti-aliased pixels within two pixels of them. Everything else becomes 0.
    """
    levels = measure_ink(image)
    stretched = stretch_contrast(image, levels)
    if noise > NOISY * levels.contrast:  # a 3x3 median removes salt-and-pepper noise
        smooth = Image.fromarray(stretched, "F").filter(ImageFilter.MedianFilter(3))
        stretched = np.asarray(smooth, dtype=np.float32)
    mask = stretched > threshold
    components = label_components(mask)
    kept = keep(components)
    kept_mask = np.concatenate([[False], kept])[components.labels]
    near = dilate_mask(kept_mask, 2)
    cleaned = np.where(near, stretched, np.float32(0.0)).astype(np.float32)
    big = components.sizes >= max(4, SPECK_FRACTION * components.sizes.max(initial=0))
    return Cleaned(
        cleaned,
        levels,
        parts=int(kept.sum()),
        blobs=int(big.sum()),
        ink_pixels=int(components.sizes[kept].sum()),
        stray=int(np.sum(big & ~kept)),
    )


def find_digit_box(cleaned: FloatImage) -> tuple[int, int, int, int] | None:
    """Bounding box ``(top, left, bottom, right)`` (exclusive) of the non-zero pixels of a
    cleaned ``(h, w)`` image, or None when it is empty."""
    rows = np.flatnonzero(cleaned.max(axis=1) > 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(cleaned.max(axis=0) > 0)
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1
