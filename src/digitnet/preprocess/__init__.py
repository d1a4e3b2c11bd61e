"""Turn any picture of a digit into the 28x28 image MNIST's authors would have made from it.

MNIST's digits were made like this: the writer's digit was cropped to its bounding box, scaled
with anti-aliasing so that its longer side is 20 pixels (keeping the aspect ratio), and pasted
into a 28x28 black image so that its centre of mass sits at the centre. The network only ever
saw such images, so a photo or a drawing must go through the same steps before it is fed in:

1. :func:`to_grey`            any image (file, PIL image, array) -> grey levels 0..1
2. :func:`flatten_lighting`   divide out uneven lighting (a large-scale background estimate)
3. :func:`to_white_on_black`  invert when the background is light: MNIST is white on black
4. :func:`clean_ink`          stretch the contrast, cut the background noise, remove specks
5. :func:`find_digit_box`     the bounding box of what is left; crop to it
6. :func:`adjust_thickness`   bring the stroke width near MNIST's
   :func:`fit_in_box`         scale so that the longer side is 20 pixels
   :func:`sharpen`            sharpen the edges a little (scans and photos are blurrier)
7. :func:`center_by_mass`     paste into 28x28 with the centre of mass where MNIST has it
8. :func:`upright`            only for networks that learnt deslanted digits (their model
                              file says so): remove the slant (``deslant``)

One module per step: ``loading`` (1), ``lighting`` (2, 3), ``ink`` (4, 5), ``geometry`` (6, 7),
``deslant`` (8), ``rules`` (refusing pictures without a digit), ``pipeline`` (all of them in
order), ``segment`` (a picture of several digits split into the ink of each) and ``cuts``
(the ways to cut touching digits apart), with
``images`` (the array types) and ``filters`` (window filters shared by 2 and 6). Each module
holds, at its top, the measured constants of its step and where their numbers come from.
Imports between them go one way, in this order: images, loading, filters, lighting, ink,
geometry, deslant, rules, pipeline, segment, cuts (a module imports only modules before it).
Everything is re-exported here, so ``from digitnet import preprocess as pp; pp.prepare(...)``
is the way in.

:func:`prepare` (pipeline) runs all the steps and keeps every intermediate picture (a web page
shows them). Pictures that hold no digit (blank, noise, a scribble, a blob) are refused with a
reason (rules) instead of being given a confident guess. Feeding the result to a network and
reading its answer is :mod:`digitnet.prediction`'s job; this package knows nothing of networks.

Every image in this package is a float32 numpy array of shape ``(height, width)`` with values
in 0..1 (see :mod:`digitnet.preprocess.images`), unless said otherwise.
"""

from __future__ import annotations

from digitnet.preprocess.cuts import Lattice, cut_columns, cut_lattice, cut_paths
from digitnet.preprocess.deslant import stand_upright
from digitnet.preprocess.filters import box_blur, gaussian_blur, window_filter
from digitnet.preprocess.geometry import (
    BOX_SIZE,
    MNIST_CENTER_COL,
    MNIST_CENTER_ROW,
    MNIST_FAINT_SHARE,
    MNIST_SIZE,
    MNIST_STROKE_WIDTH,
    SHARPEN_AMOUNT,
    SHARPEN_SIGMA,
    STROKE_WIDTH_RANGE,
    THICKNESS_WORK_SIZE,
    THIN_TARGET,
    adjust_thickness,
    center_by_mass,
    center_of_mass,
    crop_to_ink,
    faint_share,
    fit_in_box,
    paste,
    perimeter,
    resize,
    sharpen,
    shift_fraction,
    stroke_width,
)
from digitnet.preprocess.images import FloatImage, ImageInput, Mask
from digitnet.preprocess.ink import (
    NOISE_SIGMAS,
    NOISY,
    SPECK_FRACTION,
    Cleaned,
    Components,
    InkLevels,
    clean_ink,
    dilate_mask,
    find_digit_box,
    keep_digit_parts,
    label_components,
    measure_ink,
    otsu_threshold,
    stretch_contrast,
)
from digitnet.preprocess.lighting import (
    LIGHTING_SIZE,
    LIGHTING_WINDOW,
    background_is_light,
    estimate_background,
    extend_with_surface,
    fit_paper,
    fit_surface,
    flatten_lighting,
    lighting_copy,
    pixel_noise,
    surface,
    surface_terms,
    to_white_on_black,
)
from digitnet.preprocess.loading import (
    LUMA,
    MAX_PIXELS,
    composite,
    decode,
    describe,
    open_image,
    scale_numeric,
    shrink,
    shrink_size,
    split_array,
    split_pil,
    to_grey,
)
from digitnet.preprocess.pipeline import (
    WORK_SIZE,
    Ink,
    Prepared,
    Step,
    clean_picture,
    naive_input,
    prepare,
    prepare_crop,
    upright,
)
from digitnet.preprocess.rules import (
    MAX_COVERAGE,
    MAX_LENGTH,
    MAX_STRAY,
    MAX_STROKE_WIDTH,
    MIN_BOX_SIDE,
    MIN_CONTRAST,
    MIN_INK_PIXELS,
    MIN_SIGNAL_TO_NOISE,
    check_ink,
    check_shape,
    coverage,
    stroke_length,
)
from digitnet.preprocess.segment import (
    MAX_DIGITS,
    NUMBER_WORK_SIZE,
    Piece,
    Pieces,
    find_pieces,
    picture_size,
)

__all__ = [
    # images
    "FloatImage",
    "ImageInput",
    "Mask",
    # loading
    "LUMA",
    "MAX_PIXELS",
    "composite",
    "decode",
    "describe",
    "open_image",
    "scale_numeric",
    "shrink",
    "shrink_size",
    "split_array",
    "split_pil",
    "to_grey",
    # filters
    "box_blur",
    "gaussian_blur",
    "window_filter",
    # lighting
    "LIGHTING_SIZE",
    "LIGHTING_WINDOW",
    "background_is_light",
    "estimate_background",
    "extend_with_surface",
    "fit_paper",
    "fit_surface",
    "flatten_lighting",
    "lighting_copy",
    "pixel_noise",
    "surface",
    "surface_terms",
    "to_white_on_black",
    # ink
    "NOISE_SIGMAS",
    "NOISY",
    "SPECK_FRACTION",
    "Cleaned",
    "Components",
    "InkLevels",
    "clean_ink",
    "dilate_mask",
    "find_digit_box",
    "keep_digit_parts",
    "label_components",
    "measure_ink",
    "otsu_threshold",
    "stretch_contrast",
    # geometry
    "BOX_SIZE",
    "MNIST_CENTER_COL",
    "MNIST_CENTER_ROW",
    "MNIST_FAINT_SHARE",
    "MNIST_SIZE",
    "MNIST_STROKE_WIDTH",
    "SHARPEN_AMOUNT",
    "SHARPEN_SIGMA",
    "STROKE_WIDTH_RANGE",
    "THICKNESS_WORK_SIZE",
    "THIN_TARGET",
    "adjust_thickness",
    "center_by_mass",
    "center_of_mass",
    "crop_to_ink",
    "faint_share",
    "fit_in_box",
    "paste",
    "perimeter",
    "resize",
    "sharpen",
    "shift_fraction",
    "stroke_width",
    # deslant
    "stand_upright",
    # rules
    "MAX_COVERAGE",
    "MAX_LENGTH",
    "MAX_STRAY",
    "MAX_STROKE_WIDTH",
    "MIN_BOX_SIDE",
    "MIN_CONTRAST",
    "MIN_INK_PIXELS",
    "MIN_SIGNAL_TO_NOISE",
    "check_ink",
    "check_shape",
    "coverage",
    "stroke_length",
    # pipeline
    "WORK_SIZE",
    "Ink",
    "Prepared",
    "Step",
    "clean_picture",
    "naive_input",
    "prepare",
    "prepare_crop",
    "upright",
    # segment
    "MAX_DIGITS",
    "NUMBER_WORK_SIZE",
    "Piece",
    "Pieces",
    "find_pieces",
    "picture_size",
    # cuts
    "Lattice",
    "cut_columns",
    "cut_lattice",
    "cut_paths",
]
