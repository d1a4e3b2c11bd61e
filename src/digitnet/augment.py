"""Random distortions of training digits, so the network learns to read people's digits.

MNIST's digits are neatly centred and sized; digits people draw are shifted, tilted, bigger or
smaller, bolder or fainter. Showing the network each training digit with its own small random
distortion teaches it that these do not change which digit it is.

A distortion is computed backwards: for every pixel ``p`` of the output we find the point ``q``
of the input image it comes from and read the input there by bilinear interpolation::

    q = R(-angle) S⁻¹ (p - centre - shift) / scale + centre + displacement(p)

where ``R`` is a rotation, ``S`` an optional horizontal stretch (wider or narrower, as in scans
that stretch every digit to fill their box) and ``displacement`` an optional smooth random
field (an "elastic" distortion, as in Simard et al. 2003). Points outside the image read as
black. All pixels of all images of a batch are computed at once with numpy; nothing loops over
images.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import DigitnetError
from digitnet.slant import as_images

SIZE = 28
CENTRE = (SIZE - 1) / 2  # 13.5: the middle of the 28x28 grid
PAD = 2  # zero border around each image, so that every bilinear read stays inside
_PADDED = SIZE + 2 * PAD  # 32
_BLOCK = 128  # images warped at a time
# Where each image of a block starts in the flat padded block (float32: exact below 2**24).
_IMAGE_STARTS = np.arange(_BLOCK, dtype=np.float32) * np.float32(_PADDED * _PADDED)
# A pixel's place in a padded image, from its (column, row): column + 32 x row.
_COLUMN_ROW = np.array([[1.0, _PADDED]], dtype=np.float32)
_GRID = 4  # the elastic field is smooth noise on a 4x4 grid of control points


def _smoothing_matrix() -> NDArray[np.float32]:
    """(28, 4) weights that spread values at 4 control points smoothly over 28 pixels."""
    points = np.linspace(0, SIZE - 1, _GRID)
    spacing = points[1] - points[0]
    distance = np.arange(SIZE)[:, None] - points[None, :]
    weights: NDArray[np.float64] = np.exp(-0.5 * (distance / spacing) ** 2)
    weights /= weights.sum(axis=1, keepdims=True)  # each pixel: a weighted mean of the points
    return weights.astype(np.float32)


_SMOOTH = _smoothing_matrix()
# (3, 784): the x (column), y (row) and a 1 for each pixel of a 28x28 image, row after row.
_PIXELS = np.stack(
    [np.tile(np.arange(SIZE), SIZE), np.repeat(np.arange(SIZE), SIZE), np.ones(SIZE * SIZE)]
).astype(np.float32)


@dataclass(frozen=True)
class Augmentation:
    """How strongly to distort training digits; each image draws its own values up to these."""

    shift: float = 2.0  # max shift in pixels, in x and in y
    rotate: float = 12.0  # max rotation in degrees, either way
    scale: float = 0.12  # max relative change of size (0.12: 88% to 112%)
    elastic: float = 0.0  # max elastic displacement in pixels, 0 = off
    thickness: float = 0.0  # probability that a digit's strokes are made bolder or thinner
    stretch: float = 0.0  # max relative change of width alone (0.3: 70% to 130%), 0 = off

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise DigitnetError(
                    f"augmentation {field.name} must be a number 0 or more, got {value!r}."
                )
        for name in ("scale", "stretch"):
            if getattr(self, name) >= 1:
                raise DigitnetError(
                    f"augmentation {name} must be below 1, got {getattr(self, name)}."
                )
        if self.thickness > 1:
            raise DigitnetError(
                f"augmentation thickness is a probability (0..1), got {self.thickness}."
            )

    @classmethod
    def none(cls) -> Augmentation:
        """The augmentation that leaves every digit as it is."""
        return cls(shift=0.0, rotate=0.0, scale=0.0, elastic=0.0, thickness=0.0, stretch=0.0)

    @classmethod
    def from_dict(cls, values: Mapping[str, float]) -> Augmentation:
        """The inverse of :meth:`to_dict`; missing keys take their defaults."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DigitnetError(f"unknown augmentation setting(s): {', '.join(unknown)}.")
        return cls(**{key: float(value) for key, value in values.items()})

    def is_identity(self) -> bool:
        """Whether this augmentation changes nothing."""
        return not any(self.to_dict().values())

    def to_dict(self) -> dict[str, float]:
        """The settings as a plain dict, e.g. to store with a trained model."""
        return {key: float(value) for key, value in asdict(self).items()}


#: Named strengths of distortion for training (``digitnet train --augment NAME``). A setting
#: not named is off. ``small`` is what the video's network learns best with (its 16 neurons
#: underfit stronger distortions); ``full`` is the shipped ``wide`` network's.
PRESETS: dict[str, dict[str, float]] = {
    "none": {},
    "small": {"shift": 1.0, "rotate": 5.0, "scale": 0.05},
    "light": {"shift": 2.0, "rotate": 10.0, "scale": 0.1},
    "full": {"shift": 2.5, "rotate": 15.0, "scale": 0.15, "elastic": 1.5, "thickness": 0.3},
    # Between small and full: people's digits are bent (elastic) and drawn with every pen.
    "strong": {"shift": 1.5, "rotate": 5.0, "scale": 0.1, "elastic": 1.0, "thickness": 0.3},
    # Full, and widths stretched or squeezed alone, as scans that fill their box stretch them.
    "stretch": {
        "shift": 2.5,
        "rotate": 15.0,
        "scale": 0.15,
        "elastic": 1.5,
        "thickness": 0.3,
        "stretch": 0.3,
    },
}


def augmentation_for(setting: str | Mapping[str, float]) -> Augmentation | None:
    """The distortion a recipe asks for: a preset's name or explicit settings (those not
    named are off); None when nothing would change."""
    if isinstance(setting, str):
        if setting not in PRESETS:
            raise DigitnetError(
                f"unknown augmentation {setting!r}; choose one of: {', '.join(PRESETS)}."
            )
        setting = PRESETS[setting]
    aug = Augmentation.from_dict({**Augmentation.none().to_dict(), **setting})
    return None if aug.is_identity() else aug


@dataclass(frozen=True, eq=False)
class Distortion:
    """One distortion per image of a batch of n images; every array has shape (n,).

    ``angle`` in degrees (positive turns the digit counter-clockwise), ``scale`` a factor
    (above 1 enlarges), ``shift_x``/``shift_y`` in pixels (positive moves right/down),
    ``stroke`` in -1..1 (positive blends that much of a grey dilation in, making strokes
    bolder; negative an erosion, making them thinner), ``displacement`` an optional
    (n, 2, 28, 28) field of (dx, dy) added to where each output pixel reads the input, or
    ``control`` its (n, 2, 4, 4) values at the control points, spread over the pixels only
    when the distortion is applied (50 times less to keep, e.g. for a whole epoch);
    ``stretch`` an optional factor for the width alone (above 1 widens), after the turn.
    """

    angle: NDArray[np.float32]
    scale: NDArray[np.float32]
    shift_x: NDArray[np.float32]
    shift_y: NDArray[np.float32]
    stroke: NDArray[np.float32]
    displacement: NDArray[np.float32] | None = None
    control: NDArray[np.float32] | None = None
    stretch: NDArray[np.float32] | None = None

    @classmethod
    def same(
        cls,
        n: int,
        *,
        angle: float = 0.0,
        scale: float = 1.0,
        shift_x: float = 0.0,
        shift_y: float = 0.0,
        stroke: float = 0.0,
    ) -> Distortion:
        """The same distortion for each of n images."""
        values = (angle, scale, shift_x, shift_y, stroke)
        return cls(*(np.full(n, value, dtype=np.float32) for value in values))

    @classmethod
    def join(cls, parts: list[Distortion]) -> Distortion:
        """The distortions of several batches, one after another, as one batch's."""
        if len(parts) == 1:
            return parts[0]

        def joined(name: str) -> NDArray[np.float32]:
            return np.concatenate([getattr(p, name) for p in parts])

        def optional(name: str) -> NDArray[np.float32] | None:
            arrays = [getattr(p, name) for p in parts if getattr(p, name) is not None]
            return np.concatenate(arrays) if len(arrays) == len(parts) else None

        return cls(
            joined("angle"), joined("scale"), joined("shift_x"), joined("shift_y"),
            joined("stroke"), displacement=optional("displacement"), control=optional("control"),
            stretch=optional("stretch"),
        )  # fmt: skip

    def spread(self, batch_size: int = 0) -> Distortion:
        """This distortion with an elastic field kept as control points spread over the
        pixels, each ``batch_size`` images (0: all) on their own. Spread a batch's as one
        (NumPy's stacked products may round differently for another number of images), so
        that the pixels are the same bit for bit as when that batch was drawn alone."""
        if self.control is None:
            return self
        if 0 < batch_size < len(self.angle):
            n = len(self.angle)
            return Distortion.join(
                [self.part(slice(k, k + batch_size)).spread() for k in range(0, n, batch_size)]
            )
        return dataclasses.replace(self, displacement=_spread(self.control), control=None)

    def part(self, images: slice) -> Distortion:
        """The distortions of some of the images."""
        field = None if self.displacement is None else self.displacement[images]
        control = None if self.control is None else self.control[images]
        stretch = None if self.stretch is None else self.stretch[images]
        arrays = (self.angle, self.scale, self.shift_x, self.shift_y, self.stroke)
        angle, scale, shift_x, shift_y, stroke = (values[images] for values in arrays)
        return Distortion(
            angle, scale, shift_x, shift_y, stroke,
            displacement=field, control=control, stretch=stretch,
        )  # fmt: skip


def sample_distortion(
    n: int, rng: np.random.Generator, aug: Augmentation, *, spread: bool = True
) -> Distortion:
    """A random distortion for each of n images, every parameter uniform within ``aug``'s limits.
    ``spread=False`` keeps an elastic field as its control points (see :class:`Distortion`)."""
    angle = rng.uniform(-aug.rotate, aug.rotate, n)
    scale = 1.0 + rng.uniform(-aug.scale, aug.scale, n)
    shift_x = rng.uniform(-aug.shift, aug.shift, n)
    shift_y = rng.uniform(-aug.shift, aug.shift, n)
    stroke = np.zeros(n)
    if aug.thickness > 0:
        chosen = rng.random(n) < aug.thickness
        # Bolder or thinner, half and half; never the whole erosion, which wipes out thin digits.
        amount = rng.uniform(0.3, 0.8, n) * rng.choice([-1.0, 1.0], n)
        stroke = np.where(chosen, amount, 0.0)
    displacement: NDArray[np.float32] | None = None
    control: NDArray[np.float32] | None = None
    if aug.elastic > 0:
        # Random displacements at 4x4 control points, spread smoothly over the 28x28 pixels.
        control = rng.uniform(-aug.elastic, aug.elastic, (n, 2, _GRID, _GRID)).astype(np.float32)
        if spread:
            displacement, control = _spread(control), None
    # Drawn last and only when asked, so that the other settings draw what they always drew.
    stretch = None
    if aug.stretch > 0:
        stretch = (1.0 + rng.uniform(-aug.stretch, aug.stretch, n)).astype(np.float32)
    return Distortion(
        angle.astype(np.float32),
        scale.astype(np.float32),
        shift_x.astype(np.float32),
        shift_y.astype(np.float32),
        stroke.astype(np.float32),
        displacement=displacement,
        control=control,
        stretch=stretch,
    )


def _spread(control: NDArray[np.float32]) -> NDArray[np.float32]:
    """(n, 2, 28, 28) displacements from their values at the 4x4 control points. The weights
    of each pixel sum to 1, so no pixel moves further than the largest control value."""
    return (_SMOOTH @ control @ _SMOOTH.T).astype(np.float32, copy=False)


def augment_batch(
    images: NDArray[np.uint8] | NDArray[np.floating], rng: np.random.Generator, aug: Augmentation
) -> NDArray[np.float32]:
    """Randomly distorted copies of a batch of digits.

    ``images``: (n, 784) or (n, 28, 28), float in 0..1 or uint8 in 0..255.
    Returns (n, 784) float32 in 0..1. The same ``rng`` state gives the same result.
    """
    x = as_images(images)
    if aug.is_identity():
        return x.reshape(len(x), SIZE * SIZE).copy()
    return distort(x, sample_distortion(len(x), rng, aug))


def distort(
    images: ArrayLike, d: Distortion, out: NDArray[np.float32] | None = None
) -> NDArray[np.float32]:
    """Applies the distortion ``d`` to a batch: images as in :func:`augment_batch` -> (n, 784),
    written into ``out`` if given (float32, (n, 784))."""
    x = as_images(images)
    n = len(x)
    arrays = (d.angle, d.scale, d.shift_x, d.shift_y, d.stroke, d.stretch)
    if any(values is not None and len(values) != n for values in arrays):
        raise DigitnetError(f"the distortion is not for a batch of {n} images.")
    out = np.empty((n, SIZE * SIZE), dtype=np.float32) if out is None else out
    if out.shape != (n, SIZE * SIZE) or out.dtype != np.float32:
        raise DigitnetError(f"the output must be float32 of shape ({n}, {SIZE * SIZE}).")
    if np.any(d.stroke):
        x = _restroke(x, np.asarray(d.stroke, dtype=np.float32))
    # Blocks of images stay in the CPU cache (several times faster than all at once), and
    # share one padded copy whose zero border is written once.
    padded = np.zeros((min(n, _BLOCK), _PADDED, _PADDED), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        block = slice(start, start + _BLOCK)
        part = d if n <= _BLOCK else d.part(block)
        _warp(x[block], part, padded, out[block])
    return out


def _warp(
    x: NDArray[np.float32], d: Distortion, padded: NDArray[np.float32], out: NDArray[np.float32]
) -> None:
    """Images x (n, 28, 28) read at the points of the affine map and field of d, into out
    (n, 784); ``padded`` (at least n, 32, 32) is work space whose border is zero."""
    n = len(x)
    points = _source_points(d, n).reshape(n, 2, SIZE * SIZE)

    # Points outside the image are clamped into the zero border, so they read as black.
    np.clip(points, 0, _PADDED - 2, out=points)
    corner = np.floor(points)  # the pixel up and to the left of each point
    fraction = np.subtract(points, corner, out=points)  # how far right of / below it, 0..1
    fx, fy = fraction[:, 0], fraction[:, 1]
    # Its place in the flat padded batch, column + 32 x row + the image's start: whole
    # numbers below 2**24, exact in float32 (one product for both terms, per image).
    place = np.matmul(_COLUMN_ROW, corner).reshape(n, SIZE * SIZE)
    place += _IMAGE_STARTS[:n, None]
    index = place.astype(np.intp)

    # The four pixels around each point: the same index into the flat padded batch, shifted
    # by one pixel to the right, one row down, or both (every index is inside: no checks).
    padded[:n, PAD:-PAD, PAD:-PAD] = x
    flat = padded[:n].reshape(-1)
    upper_left = flat.take(index, mode="wrap")
    upper_right = flat[1:].take(index, mode="wrap")
    lower_left = flat[_PADDED:].take(index, mode="wrap")
    lower_right = flat[_PADDED + 1 :].take(index, mode="wrap")

    # Bilinear interpolation, in place: blend left and right, then upper and lower.
    upper_right -= upper_left
    upper_right *= fx
    upper_right += upper_left
    lower_right -= lower_left
    lower_right *= fx
    lower_right += lower_left
    lower_right -= upper_right
    lower_right *= fy
    lower_right += upper_right
    np.clip(lower_right, 0.0, 1.0, out=out)


def _source_points(d: Distortion, n: int) -> NDArray[np.float32]:
    """(n, 2, 28, 28): the (column, row) in the padded input that each output pixel reads."""
    turn = np.deg2rad(np.asarray(d.angle, dtype=np.float64))
    cos = np.cos(turn) / d.scale
    sin = np.sin(turn) / d.scale
    # Output pixel (x, y) reads the input at  A @ (x, y, 1)  with one 2x3 matrix A per image:
    # the inverse of "turn about the centre, scale, then shift", moved into the padded image.
    from_x = CENTRE + d.shift_x
    from_y = CENTRE + d.shift_y
    # A stretch S divides the x of the output's offset from the centre: R(-angle) S⁻¹.
    cos_x, sin_x = (cos, sin) if d.stretch is None else (cos / d.stretch, sin / d.stretch)
    affine = np.empty((n, 2, 3), dtype=np.float32)
    affine[:, 0, 0], affine[:, 0, 1] = cos_x, -sin
    affine[:, 1, 0], affine[:, 1, 1] = sin_x, cos
    affine[:, 0, 2] = CENTRE + PAD - cos_x * from_x + sin * from_y
    affine[:, 1, 2] = CENTRE + PAD - sin_x * from_x - cos * from_y
    points = (affine.reshape(2 * n, 3) @ _PIXELS).reshape(n, 2, SIZE, SIZE)
    if d.displacement is not None:
        points += d.displacement
    elif d.control is not None:
        points += _spread(d.control)
    return points


def _restroke(x: NDArray[np.float32], stroke: NDArray[np.float32]) -> NDArray[np.float32]:
    """A copy of images x (n, 28, 28) with strokes made bolder (stroke > 0) or thinner (< 0)."""
    x = x.copy()
    for chosen, grow in ((stroke > 0, True), (stroke < 0, False)):
        if not chosen.any():
            continue
        some = x[chosen]
        amount = np.abs(stroke[chosen])[:, None, None]
        x[chosen] = some + amount * (_filter3x3(some, grow) - some)
    return x


def _filter3x3(x: NDArray[np.float32], grow: bool) -> NDArray[np.float32]:
    """Grey dilation (max) if ``grow``, else erosion (min), over each pixel and its 4 neighbours:
    gentler than the full 3x3 square, whose erosion wipes out MNIST's thinner strokes."""
    pick = np.maximum if grow else np.minimum
    padded = np.full((len(x), SIZE + 2, SIZE + 2), 0.0 if grow else 1.0, dtype=np.float32)
    padded[:, 1:-1, 1:-1] = x
    out = pick(x, padded[:, :-2, 1:-1])  # the pixel above
    out = pick(out, padded[:, 2:, 1:-1], out=out)  # below
    out = pick(out, padded[:, 1:-1, :-2], out=out)  # left
    return pick(out, padded[:, 1:-1, 2:], out=out)  # right
