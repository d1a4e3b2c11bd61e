"""All the steps in order: :func:`prepare` turns a picture into MNIST's 28x28 format and keeps
every intermediate picture; :func:`naive_input` is what a network would see without it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from digitnet.preprocess.deslant import stand_upright
from digitnet.preprocess.geometry import (
    BOX_SIZE,
    MNIST_SIZE,
    MNIST_STROKE_WIDTH,
    adjust_thickness,
    center_by_mass,
    center_of_mass,
    fit_in_box,
    resize,
)
from digitnet.preprocess.images import FloatImage, ImageInput
from digitnet.preprocess.ink import clean_ink, find_digit_box
from digitnet.preprocess.lighting import (
    background_is_light,
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
    ``deslanted`` is True once the slant was removed (:mod:`digitnet.preprocess.deslant`).
    """

    pixels: FloatImage = field(repr=False)
    steps: list[Step] = field(repr=False)
    found: bool
    reason: str | None = None
    box: tuple[int, int, int, int] | None = None
    deslanted: bool = False

    def step(self, name: str) -> Step:
        """The step called ``name``; KeyError if the pipeline stopped before it."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


def prepare(image: ImageInput, deslant: bool = False) -> Prepared:
    """Turn a picture (path, bytes, PIL image or array) into MNIST's 28x28 format.

    Returns a :class:`Prepared` with the float32 ``(28, 28)`` pixels and every intermediate
    picture. Raises ImageError when the picture cannot be read; a readable picture without a
    digit gives ``found=False`` and a ``reason``. With ``deslant`` the digit is also stood
    upright at the end (:func:`upright`), for networks that learnt deslanted digits.
    """
    steps: list[Step] = []
    blank = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)

    def refuse(reason: str, box: tuple[int, int, int, int] | None = None) -> Prepared:
        return Prepared(blank, steps, found=False, reason=reason, box=box)

    grey = to_grey(image, max_side=WORK_SIZE)
    h, w = grey.shape
    steps.append(Step("grey", "Grey levels", grey, f"{w}x{h} pixels"))
    small = lighting_copy(grey)  # made once for the two steps that look at the lighting
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
    cleaned = clean_ink(bright, noise)
    box = find_digit_box(cleaned.image)
    steps.append(
        Step(
            "cleaned",
            "Contrast stretched, noise removed",
            cleaned.image,
            f"ink level {cleaned.levels.ink:.2f}, noise floor {cleaned.levels.floor:.2f}, "
            f"{cleaned.parts} part(s) kept of {cleaned.blobs} blob(s)",
        )
    )
    reason = check_ink(cleaned, box, noise)
    if reason is not None or box is None:
        return refuse(reason or "there is no ink", box)
    top, left, bottom, right = box
    crop = cleaned.image[top:bottom, left:right]
    steps.append(Step("box", "Cropped to the digit", crop, f"{right - left}x{bottom - top} box"))
    thick, before, after = adjust_thickness(crop)
    fitted = fit_in_box(thick)
    note = f"stroke width {before:.1f} px"
    if abs(after - before) > 1e-6:
        note += f", adjusted to {after:.1f} px (MNIST's typical {MNIST_STROKE_WIDTH})"
    steps.append(Step("fitted", f"Scaled into {BOX_SIZE}x{BOX_SIZE}", fitted, note))
    reason = check_shape(crop, fitted)
    if reason is not None:
        return refuse(reason, box)
    pixels = center_by_mass(fitted)
    row, col = center_of_mass(pixels)
    steps.append(
        Step(
            "centered",
            "Centred by mass in 28x28",
            pixels,
            f"centre of mass at row {row:.2f}, column {col:.2f}",
        )
    )
    prepared = Prepared(pixels, steps, found=True, reason=None, box=box)
    return upright(prepared) if deslant else prepared


def upright(prepared: Prepared) -> Prepared:
    """``prepared`` with its digit stood upright (:mod:`digitnet.preprocess.deslant`) and the
    step ``upright`` added: a copy. Refused or already deslanted pictures come back as they
    are."""
    if not prepared.found or prepared.deslanted:
        return prepared
    pixels, note = stand_upright(prepared.pixels)
    step = Step("upright", "Slant removed", pixels, note)
    return dataclasses.replace(
        prepared, pixels=pixels, steps=[*prepared.steps, step], deslanted=True
    )


def naive_input(image: ImageInput) -> FloatImage:
    """What a network would see without this module: the whole picture in grey, area-averaged
    down to float32 ``(28, 28)`` (aspect ratio not kept) and inverted if its border is mostly
    light. Used to show how much the preprocessing matters."""
    grey = to_grey(image)
    small = resize(grey, MNIST_SIZE, MNIST_SIZE)
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    return (np.float32(1.0) - small) if float(np.median(border)) > 0.5 else small
