"""All the steps in order: :func:`prepare` turns a picture into MNIST's 28x28 format and keeps
every intermediate picture; :func:`naive_input` is what a network would see without it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from digitnet.preprocess.deslant import stand_upright
from digitnet.preprocess.geometry import (
    BOX_SIZE,
    MNIST_FAINT_SHARE,
    MNIST_SIZE,
    MNIST_STROKE_WIDTH,
    adjust_thickness,
    center_by_mass,
    center_of_mass,
    faint_share,
    fit_in_box,
    resize,
    sharpen,
)
from digitnet.preprocess.images import FloatImage, ImageInput
from digitnet.preprocess.ink import Cleaned, Components, clean_ink, find_digit_box, keep_digit_parts
from digitnet.preprocess.lighting import (
    background_is_light,
    even_paper,
    flatten_lighting,
    lighting_copy,
    pixel_noise,
    to_white_on_black,
)
from digitnet.preprocess.loading import to_grey
from digitnet.preprocess.rules import check_ink, check_shape

#: Images are shrunk so that their longer side is at most this many pixels before any work:
#: enough for a digit that fills a tenth of a photo, and fast enough for live drawing.
WORK_SIZE = 192


@dataclass
class Step:
    """One intermediate picture of the preprocessing, for display.

    ``name`` is a short identifier (``grey``, ``flat``, ...), ``title`` a heading for people,
    ``image`` a float32 ``(height, width)`` array in 0..1 (white = 1) and ``note`` says what was
    measured or decided at this step.
    """

    name: str
    title: str
    image: FloatImage = field(repr=False)
    note: str = ""


@dataclass
class Prepared:
    """The result of :func:`prepare`.

    ``pixels`` is the float32 ``(28, 28)`` image in 0..1 to feed to the network (all zeros
    when no digit was found); ``steps`` holds every intermediate picture in order; ``found`` is
    False when the picture holds no usable digit, and then ``reason`` says why. ``box`` is the
    digit's bounding box ``(top, left, bottom, right)`` (bottom and right exclusive) in the
    coordinates of the working images of ``steps`` (the ``grey`` step onwards), or None.
    ``deslanted`` is True once the slant was removed (:mod:`digitnet.preprocess.deslant`);
    :attr:`mnist_style` is then the pixels from before, as MNIST's own files would hold them.
    """

    pixels: FloatImage = field(repr=False)
    steps: list[Step] = field(repr=False)
    found: bool
    reason: str | None = None
    box: tuple[int, int, int, int] | None = None
    deslanted: bool = False
    unslanted: FloatImage | None = field(default=None, repr=False)

    @property
    def mnist_style(self) -> FloatImage:
        """The 28x28 pixels in MNIST's own format: before deslanting, if it was done."""
        return self.pixels if self.unslanted is None else self.unslanted

    def step(self, name: str) -> Step:
        """The step called ``name``; KeyError if the pipeline stopped before it."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


@dataclass
class Ink:
    """Steps 1 to 4 of a picture (see :func:`clean_picture`): the pictures shown so far
    (``steps``), the ``cleaned`` ink and the pixel ``noise`` in the flattened image's units."""

    steps: list[Step] = field(repr=False)
    cleaned: Cleaned = field(repr=False)
    noise: float


def clean_picture(
    image: ImageInput,
    max_side: int = WORK_SIZE,
    keep: Callable[[Components], NDArray[np.bool_]] = keep_digit_parts,
    threshold: float = 0.5,
) -> Ink:
    """Steps 1 to 4: grey levels (longer side at most ``max_side``), lighting flattened, white
    on black, ink cleaned keeping the blobs ``keep`` chooses of the pixels above ``threshold``
    (see :func:`clean_ink`). Raises
    ImageError when the picture cannot be read."""
    steps: list[Step] = []
    grey = to_grey(image, max_side=max_side)
    h, w = grey.shape
    steps.append(Step("grey", "Grey levels", grey, f"{w}x{h} pixels"))
    # The small copy the two lighting steps look at, made once; even paper (a drawing) needs none.
    small = None if even_paper(grey) is not None else lighting_copy(grey)
    light = background_is_light(grey, small)
    flat = flatten_lighting(grey, light, small)
    steps.append(
        Step("flat", "Lighting flattened", flat, "light background" if light else "dark background")
    )
    bright = to_white_on_black(flat, light)
    steps.append(
        Step(
            "inverted",
            "White digit on black",
            bright,
            "inverted (light background)" if light else "kept (already dark background)",
        )
    )
    noise = pixel_noise(grey) / (max(float(np.median(grey)), 0.05) if light else 1.0)
    cleaned = clean_ink(bright, noise, keep, threshold)
    steps.append(
        Step(
            "cleaned",
            "Contrast stretched, noise removed",
            cleaned.image,
            f"ink level {cleaned.levels.ink:.2f}, noise floor {cleaned.levels.floor:.2f}, "
            f"{cleaned.parts} part(s) kept of {cleaned.blobs} blob(s)",
        )
    )
    return Ink(steps, cleaned, noise)


def prepare_crop(
    crop: FloatImage, steps: list[Step], box: tuple[int, int, int, int] | None = None
) -> Prepared:
    """Steps 5 to 7 for the ink of one digit, cropped from a cleaned picture (``box`` says
    where it was): thickness adjusted, scaled into 20x20, edges sharpened, centred by mass in
    28x28. ``steps`` are the pictures before it (a copy gets the new ones). A crop whose shape
    is no digit's is refused (see :func:`check_shape`)."""
    steps = list(steps)
    h, w = crop.shape
    steps.append(Step("box", "Cropped to the digit", crop, f"{w}x{h} box"))
    thick, before, after = adjust_thickness(crop)
    fitted = fit_in_box(thick)
    note = f"stroke width {before:.1f} px"
    if abs(after - before) > 1e-6:
        note += f", adjusted to {after:.1f} px (MNIST's typical {MNIST_STROKE_WIDTH})"
    steps.append(Step("fitted", f"Scaled into {BOX_SIZE}x{BOX_SIZE}", fitted, note))
    reason = check_shape(crop, fitted)
    if reason is not None:
        blank = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
        return Prepared(blank, steps, found=False, reason=reason, box=box)
    sharp = sharpen(fitted)
    steps.append(
        Step(
            "sharpened",
            "Edges sharpened",
            sharp,
            f"faint ink {faint_share(fitted):.0%} -> {faint_share(sharp):.0%} of the ink "
            f"(MNIST's typical {MNIST_FAINT_SHARE:.0%})",
        )
    )
    pixels = center_by_mass(sharp)
    row, col = center_of_mass(pixels)
    steps.append(
        Step(
            "centered",
            "Centred by mass in 28x28",
            pixels,
            f"centre of mass at row {row:.2f}, column {col:.2f}",
        )
    )
    return Prepared(pixels, steps, found=True, reason=None, box=box)


def prepare(image: ImageInput, deslant: bool = False) -> Prepared:
    """Turn a picture (path, bytes, PIL image or array) into MNIST's 28x28 format.

    Returns a :class:`Prepared` with the float32 ``(28, 28)`` pixels and every intermediate
    picture. Raises ImageError when the picture cannot be read; a readable picture without a
    digit gives ``found=False`` and a ``reason``. With ``deslant`` the digit is also stood
    upright at the end (:func:`upright`), for networks that learnt deslanted digits.
    """
    ink = clean_picture(image)
    box = find_digit_box(ink.cleaned.image)
    reason = check_ink(ink.cleaned, box, ink.noise)
    if reason is not None or box is None:
        blank = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
        return Prepared(blank, ink.steps, found=False, reason=reason or "there is no ink", box=box)
    top, left, bottom, right = box
    prepared = prepare_crop(ink.cleaned.image[top:bottom, left:right], ink.steps, box)
    return upright(prepared) if deslant else prepared


def upright(prepared: Prepared, levels: bool = False) -> Prepared:
    """``prepared`` with its digit stood upright (:mod:`digitnet.preprocess.deslant`) and the
    step ``upright`` added: a copy. Refused or already deslanted pictures come back as they
    are. ``levels``: rounded to 256 grey levels, as MNIST's images are for training (for an
    image in MNIST's stored format)."""
    if not prepared.found or prepared.deslanted:
        return prepared
    pixels, note = stand_upright(prepared.pixels, levels)
    step = Step("upright", "Slant removed", pixels, note)
    return dataclasses.replace(
        prepared,
        pixels=pixels,
        steps=[*prepared.steps, step],
        deslanted=True,
        unslanted=prepared.pixels,
    )


def naive_input(image: ImageInput) -> FloatImage:
    """What a network would see without this module: the whole picture in grey, area-averaged
    down to float32 ``(28, 28)`` (aspect ratio not kept) and inverted if its border is mostly
    light. Used to show how much the preprocessing matters."""
    grey = to_grey(image)
    small = resize(grey, MNIST_SIZE, MNIST_SIZE)
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    return (np.float32(1.0) - small) if float(np.median(border)) > 0.5 else small
