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
7. :func:`center_by_mass`     paste into 28x28 with the centre of mass where MNIST has it

:func:`prepare` runs all the steps and keeps every intermediate picture (a web page shows them);
:func:`predict_image` also feeds the result to a network. Pictures that hold no digit (blank,
noise, a scribble, a blob) are refused with a reason instead of being given a confident guess.

Every image in this module is a float32 numpy array of shape ``(height, width)`` with values in
0..1, unless said otherwise.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from digitnet.errors import ImageError

if TYPE_CHECKING:
    from digitnet.network import Network

FloatImage: TypeAlias = NDArray[np.float32]
Mask: TypeAlias = NDArray[np.bool_]
ImageInput: TypeAlias = "str | Path | bytes | BinaryIO | Image.Image | NDArray[np.generic]"

# ----------------------------------------------------------------------------------- constants
#: Where MNIST's digits have their centre of mass, as (row, column) in a 28x28 image whose pixel
#: (r, c) sits at coordinates (r, c). Measured on the 60,000 training images: for each image the
#: intensity-weighted mean row and column, then the mean over all images (standard deviation
#: 0.29 pixels on each axis; the 10,000 test images give 13.993, 14.008). It is half a pixel below
#: and right of the geometric centre (13.5, 13.5), because MNIST's authors centred on pixel 14.
MNIST_CENTER_ROW = 13.996
MNIST_CENTER_COL = 14.007
MNIST_SIZE = 28
#: MNIST's digits are scaled so that the longer side of their bounding box is 20 pixels.
BOX_SIZE = 20
#: MNIST's typical stroke width in pixels of the 20x20 box: the median over the 60,000 training
#: images of :func:`stroke_width` (2 x ink / outline length). Half of the digits lie between
#: 2.08 and 2.91, 90% between 1.62 and 3.77.
MNIST_STROKE_WIDTH = 2.46
#: Strokes whose width after scaling would fall outside this range are thickened to
#: MNIST_STROKE_WIDTH or thinned to THIN_TARGET; inside it they are left alone, so that 95% of
#: MNIST's digits stay unchanged. (Thinning MNIST's few bold digits all the way to the median
#: cost the networks accuracy: they learnt bold digits too.)
STROKE_WIDTH_RANGE = (1.7, 5.0)
THIN_TARGET = 3.5

#: Images are shrunk so that their longer side is at most this many pixels before any work:
#: enough for a digit that fills a tenth of a photo, and fast enough for live drawing.
WORK_SIZE = 192
#: The lighting is estimated on a copy whose longer side is this many pixels ...
LIGHTING_SIZE = 32
#: ... with a grey closing (or opening) whose window is this fraction of that copy's longer side:
#: strokes narrower than the window vanish from the estimate, slow lighting changes stay.
LIGHTING_WINDOW = 0.5
#: Background pixels above (median + NOISE_SIGMAS * robust standard deviation) count as ink.
NOISE_SIGMAS = 4.0
#: Pictures whose pixel noise is above this fraction of the ink's contrast get a median filter.
NOISY = 0.02
#: A connected blob of ink is kept if its area is at least this fraction of the largest blob's.
SPECK_FRACTION = 0.1
#: Pillow refuses larger images as decompression bombs; we say so in one sentence instead.
MAX_PIXELS = 90_000_000
#: Upscale small crops to this many pixels before thickening or thinning their strokes.
THICKNESS_WORK_SIZE = 80

# Rules for "this is not a digit" (see check_ink and check_shape), set with wide margins around
# what MNIST's 60,000 training digits and the synthetic digits of digitnet.synthetic measure:
#: ink at most this much brighter than the background (after flattening) is no ink at all;
#: MNIST's and the synthetic digits measure 0.48 or more, photos of blank paper under uneven
#: light 0.07 or less.
MIN_CONTRAST = 0.2
#: ink must stand out from the background by this many times the pixel noise (see pixel_noise).
MIN_SIGNAL_TO_NOISE = 5.0
#: fewer ink pixels (above half the ink level) than this, or a box shorter than MIN_BOX_SIDE
#: pixels, is a speck.
MIN_INK_PIXELS = 6
MIN_BOX_SIDE = 6
#: more blobs of ink of at least a tenth of the largest's size than this is noise.
MAX_PARTS = 6
#: strokes wider than this (pixels of the 20x20 box) are a blob; MNIST's widest digit measures
#: 8.2, 99.9% of them less than 5.7.
MAX_STROKE_WIDTH = 7.0
#: total stroke length (ink area / stroke width) at most this many times the box's longer side;
#: MNIST's digits measure 0.9 to 3.6, scribbles of 15-40 random lines 3 to 10 (median 6).
MAX_LENGTH = 4.2
#: fraction of the fitted digit's box covered with ink (see coverage); MNIST's maximum is 0.76
#: before thinning fat strokes, 99.9% of the digits measure less than 0.64.
MAX_COVERAGE = 0.7

# The network's own confidence (see make_prediction): below these it says "not sure". On MNIST's
# test digits this flags 2.2% (video) and 0.2% (wide) of the answers, of which only 48% and 58%
# are right, against 97.8% and 99.5% of the confident ones.
MIN_PROBABILITY = 0.5
MIN_MARGIN = 0.15

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, the weights of Pillow's "L"


# ----------------------------------------------------------------------------------- results
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
    """

    pixels: FloatImage = field(repr=False)
    steps: list[Step] = field(repr=False)
    found: bool
    reason: str | None = None
    box: tuple[int, int, int, int] | None = None

    def step(self, name: str) -> Step:
        """The step called ``name``; KeyError if the pipeline stopped before it."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


@dataclass
class Prediction:
    """What the network read in one picture.

    ``probabilities`` are the 10 output activations divided by their sum, so that they add up
    to one: with a sigmoid output layer the raw activations (kept in ``outputs``) each lie in
    0..1 but need not sum to one; a softmax layer's outputs are unchanged. ``ranking`` lists
    ``(digit, probability)`` from most to least likely. ``digit`` is the most likely digit, or
    None when no digit was found in the picture (see ``prepared.reason``). ``confident`` is
    True when a digit was found and the network clearly prefers it (top probability at least
    ``MIN_PROBABILITY`` and ahead of the runner-up by ``MIN_MARGIN``). ``message`` says it all in
    one line. For a refused picture ``probability`` is 0 and ``probabilities`` and ``ranking``
    are what the network answers for the black image it was then given.
    """

    digit: int | None
    probability: float
    probabilities: list[float] = field(repr=False)
    ranking: list[tuple[int, float]] = field(repr=False)
    confident: bool
    message: str
    prepared: Prepared = field(repr=False)
    outputs: list[float] = field(default_factory=list, repr=False)

    def __str__(self) -> str:
        return self.message


# ----------------------------------------------------------------------------------- reading
def describe(image: object) -> str:
    """A short name for an image input, for error messages: the path, or what kind of object."""
    if isinstance(image, str | Path):
        return str(image)
    if isinstance(image, bytes | bytearray):
        return "the image data"
    name = getattr(image, "name", None)
    if isinstance(name, str):
        return name
    if isinstance(image, Image.Image):
        return "the image"
    return "the image array" if isinstance(image, np.ndarray) else "the image"


def open_image(source: str | Path | bytes | BinaryIO, max_side: int | None = None) -> Image.Image:
    """Open and decode an image file (path, bytes or binary file object) with Pillow.

    Returns a loaded PIL image with its EXIF orientation applied. ``max_side`` lets a JPEG
    decoder skip detail that would be thrown away anyway (decoding at 1/2, 1/4 or 1/8 size).
    Raises ImageError, naming the file, for a missing file, a directory, a file that is not an
    image, a truncated or damaged one, or one too large to be safe (a decompression bomb).
    """
    name = describe(source)
    if isinstance(source, bytes | bytearray):
        return decode(io.BytesIO(bytes(source)), name, max_side)
    if not isinstance(source, str | Path):
        return decode(source, name, max_side)
    path = Path(source)
    if path.is_dir():
        raise ImageError(f"{name} is a directory, not an image file.")
    if not path.exists():
        raise ImageError(f"{name} does not exist.")
    try:
        with path.open("rb") as handle:
            if path.stat().st_size == 0:
                raise ImageError(f"{name} is empty (0 bytes), not an image.")
            return decode(handle, name, max_side)
    except OSError as exc:
        raise ImageError(f"{name} cannot be read ({exc.strerror or exc}).") from None


def decode(data: BinaryIO, name: str, max_side: int | None) -> Image.Image:
    """Decode the image in an open binary file ``data`` (see :func:`open_image`); ``name`` is
    used in error messages."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(data)
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{name} is too large ({width}x{height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} million pixels), possibly a decompression bomb."
                )
            if width < 1 or height < 1:
                raise ImageError(f"{name} has no pixels ({width}x{height}).")
            if max_side is not None and im.format == "JPEG":
                im.draft(im.mode, (max_side, max_side))
            im.load()
            return ImageOps.exif_transpose(im)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(
            f"{name} is not an image file that can be read (PNG, JPEG, BMP, GIF, TIFF, WebP)."
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageError(
            f"{name} is too large to open safely (more than {MAX_PIXELS // 1_000_000} million "
            "pixels), possibly a decompression bomb."
        ) from None
    except Exception as exc:  # Pillow's decoders raise many kinds of errors for bad data
        detail = str(exc).rstrip(".") or type(exc).__name__
        raise ImageError(
            f"{name} is damaged or truncated and cannot be decoded ({detail})."
        ) from None


def shrink_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled down so that the longer side is at most ``max_side``."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrink(plane: Image.Image, max_side: int | None) -> FloatImage:
    """A one-band PIL image (modes L, I or F) as a float32 ``(h, w)`` array, area-averaged down
    so that its longer side is at most ``max_side``. Values are not rescaled."""
    size = shrink_size(plane.width, plane.height, max_side)
    if plane.mode != "F" and (size != plane.size or plane.mode != "L"):
        plane = plane.convert("F")  # average in floating point, not in 8-bit steps
    if size != plane.size:
        plane = plane.resize(size, Image.Resampling.BOX, reducing_gap=3.0)
    return np.asarray(plane, dtype=np.float32)


def scale_numeric(values: NDArray[np.floating], mode: str) -> FloatImage:
    """Map the values of a numeric image (modes I;16, I, F) to 0..1.

    16-bit images are divided by 65535. Otherwise the range decides: values already in 0..1
    stay, 0..255 is divided by 255, 0..65535 by 65535, anything else is stretched min..max.
    """
    if mode.startswith("I;16"):
        return (values / np.float32(65535.0)).astype(np.float32)
    lo, hi = float(values.min()), float(values.max())
    if lo >= 0.0 and hi <= 1.0 and mode == "F":
        return values.astype(np.float32)
    if lo >= 0.0 and hi <= 255.0:
        return (values / np.float32(255.0)).astype(np.float32)
    if lo >= 0.0 and hi <= 65535.0:
        return (values / np.float32(65535.0)).astype(np.float32)
    return ((values - lo) / max(hi - lo, 1e-12)).astype(np.float32)


def split_pil(im: Image.Image, max_side: int | None) -> tuple[FloatImage, FloatImage | None]:
    """Grey levels and opacity of a PIL image of any mode, each float32 ``(h, w)`` in 0..1.

    Colour is turned into luminance (ITU-R 601, like Pillow's "L"); CMYK, YCbCr and HSV go
    through RGB, LAB gives its lightness. Opacity is None when the image has no alpha channel or
    palette transparency.
    """
    mode = im.mode
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
    elif mode in ("RGBa", "La"):  # premultiplied alpha
        im = im.convert("RGBA" if mode == "RGBa" else "LA")
    elif mode == "L" and "transparency" in im.info:
        im = im.convert("LA")
    mode = im.mode
    alpha: FloatImage | None = None
    if mode in ("RGBA", "LA"):
        alpha = shrink(im.getchannel("A"), max_side) / np.float32(255.0)
    if mode.startswith("I") or mode == "F":
        values = shrink(im if mode in ("I", "F") else im.convert("I"), max_side)
        return scale_numeric(values, mode), alpha
    if mode == "LAB":
        grey = im.getchannel("L")  # the lightness
    elif mode in ("CMYK", "YCbCr", "HSV"):
        grey = im.convert("RGB").convert("L")
    else:
        grey = im if mode == "L" else im.convert("L")
    return shrink(grey, max_side) / np.float32(255.0), alpha


def split_array(arr: NDArray[np.generic], name: str) -> tuple[FloatImage, FloatImage | None]:
    """Grey levels and opacity (or None) of a numpy image, each float32 ``(h, w)`` in 0..1.

    Accepts ``(h, w)``, ``(h, w, 1)``, ``(h, w, 2)`` (grey + alpha), ``(h, w, 3)`` (RGB) and
    ``(h, w, 4)`` (RGBA); uint8 is 0..255, uint16 0..65535, bool 0/1, floats 0..1 (floats
    and other integers above 1, up to 255, are taken as 0..255).
    """
    if arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4):
        channels = arr.shape[2]
    elif arr.ndim == 2:
        channels = 0
    else:
        raise ImageError(
            f"{name} has shape {arr.shape}; expected (height, width) or (height, width, 1-4)."
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageError(f"{name} has no pixels (shape {arr.shape}).")
    if arr.dtype == np.bool_:
        values = arr.astype(np.float32)
    elif arr.dtype == np.uint8:
        values = arr.astype(np.float32) / np.float32(255.0)
    elif arr.dtype == np.uint16:
        values = arr.astype(np.float32) / np.float32(65535.0)
    elif arr.dtype.kind in "iuf":
        values = arr.astype(np.float32)
        if not np.all(np.isfinite(values)):
            raise ImageError(f"{name} contains NaN or infinite values.")
        if values.min() < 0.0 or values.max() > 255.0:
            raise ImageError(f"{name} has values outside 0..1 (or 0..255).")
        if values.max() > 1.0:
            values = values / np.float32(255.0)
    else:
        raise ImageError(f"{name} holds {arr.dtype} values, not numbers.")
    if channels == 0:
        return values, None
    if channels == 1:
        return values[:, :, 0], None
    if channels == 2:
        return values[:, :, 0], values[:, :, 1]
    grey = values[:, :, :3] @ LUMA
    return grey.astype(np.float32), (values[:, :, 3] if channels == 4 else None)


def composite(grey: FloatImage, alpha: FloatImage | None) -> FloatImage:
    """Grey levels ``(h, w)`` with transparent parts filled by a background that contrasts with
    the opaque ones: white behind dark marks (a black stroke on a transparent PNG), black
    behind light marks."""
    if alpha is None or float(alpha.min()) >= 0.999:
        return grey
    weight = float(alpha.sum())
    ink = float((alpha * grey).sum()) / weight if weight > 0 else 0.0
    background = np.float32(1.0 if ink < 0.5 else 0.0)
    return (alpha * grey + (np.float32(1.0) - alpha) * background).astype(np.float32)


def to_grey(image: ImageInput, max_side: int | None = None) -> FloatImage:
    """Any image as grey levels: float32 ``(h, w)`` in 0..1, 0 black and 1 white.

    ``image`` may be a path, bytes, a binary file object, a PIL image of any mode (1, L, P, RGB,
    RGBA, LA, CMYK, I;16, I, F, ...) or a numpy array (see :func:`split_array`). The EXIF
    orientation of photos is honoured; transparency is composited (see :func:`composite`).
    With ``max_side`` the result is area-averaged down so its longer side is at most that.
    Raises ImageError for anything that cannot be read as a picture.
    """
    name = describe(image)
    if isinstance(image, np.ndarray):
        grey, alpha = split_array(image, name)
        if max_side is not None and max(grey.shape) > max_side:
            grey = shrink(Image.fromarray(grey, "F"), max_side)
            if alpha is not None:
                alpha = shrink(Image.fromarray(alpha.astype(np.float32), "F"), max_side)
    else:
        if isinstance(image, Image.Image):
            im = ImageOps.exif_transpose(image)
        elif isinstance(image, str | Path | bytes | bytearray) or hasattr(image, "read"):
            im = open_image(image, max_side)
        else:
            raise ImageError(f"{name} ({type(image).__name__}) is not an image, path or array.")
        try:
            grey, alpha = split_pil(im, max_side)
        except (ValueError, OSError) as exc:
            raise ImageError(f"{name} has an unsupported image mode {im.mode} ({exc}).") from None
    return np.clip(composite(grey, alpha), 0.0, 1.0).astype(np.float32)


# ----------------------------------------------------------------------------------- lighting
def background_is_light(grey: FloatImage) -> bool:
    """Whether the paper is lighter than the ink, from a grey ``(h, w)`` image.

    A plane fitted (least squares, on a copy shrunk to ``LIGHTING_SIZE``) to the grey levels
    takes out a lighting gradient; what is left is the background near 0 and the ink, a
    minority, far off on one side. The ink is dark (the background light) when the darkest 0.5%
    of the residual lies further from it than the lightest 0.5%. (A curved surface would bend
    around a large digit and blur this difference.)
    """
    small = shrink(Image.fromarray(grey, "F"), LIGHTING_SIZE)
    coeffs = fit_surface(small, quadratic=False)
    h, w = grey.shape
    # Pixel centres of the full image in the units of the small copy's pixel indices.
    rows = ((np.arange(h)[:, None] + 0.5) * small.shape[0] / h - 0.5) / small.shape[0]
    cols = ((np.arange(w)[None, :] + 0.5) * small.shape[1] / w - 0.5) / small.shape[1]
    darkest, lightest = np.percentile(grey - surface(coeffs, rows, cols), [0.5, 99.5])
    return bool(-darkest > lightest)


def pixel_noise(grey: FloatImage) -> float:
    """Standard deviation of the pixel noise of a ``(h, w)`` image, from the differences
    between horizontal and vertical neighbours: 1.4826 * median |difference| / sqrt 2. Smooth
    lighting and the few pixels on ink edges hardly change this median."""
    if min(grey.shape) < 2:
        return 0.0
    diffs = np.concatenate([np.diff(grey, axis=0).ravel(), np.diff(grey, axis=1).ravel()])
    return 1.4826 * float(np.median(np.abs(diffs))) / math.sqrt(2.0)


def window_filter(image: FloatImage, size: int, reduce: str) -> FloatImage:
    """Grey dilation (``reduce="max"``) or erosion (``"min"``) of ``(h, w)`` with a size x size
    square window, without padding: the result is ``(h - size + 1, w - size + 1)``.

    Done separably (down the columns, then along the rows), and along each axis by doubling:
    the extreme over windows of 1, 2, 4, ... pixels, until two overlapping windows of the
    largest such length p cover ``size`` pixels (the extreme over [i, i + size) is the extreme
    of the windows starting at i and at i + size - p).
    """
    pick = np.maximum if reduce == "max" else np.minimum
    out = image
    for _ in range(2):
        span = 1
        while span * 2 <= size:
            out = pick(out[:-span], out[span:])
            span *= 2
        n = out.shape[0]
        out = pick(out[: n - (size - span)], out[size - span :]).T
    return out.astype(np.float32)


def box_blur(image: FloatImage, radius: int) -> FloatImage:
    """Mean over a (2 radius + 1)^2 window, separably, for a ``(h, w)`` image (edges repeated)."""
    if radius < 1:
        return image
    size = 2 * radius + 1
    out = image
    for _ in range(2):  # down the columns, then (transposed) along the rows
        n = out.shape[0]
        padded = np.concatenate([out[:1].repeat(radius, 0), out, out[-1:].repeat(radius, 0)])
        csum = np.zeros((n + size, out.shape[1]), np.float64)
        np.cumsum(padded, axis=0, out=csum[1:])
        out = ((csum[size:] - csum[:n]) / size).astype(np.float32).T
    return out


def surface_terms(rows: NDArray[np.floating], cols: NDArray[np.floating]) -> list[NDArray[Any]]:
    """The terms 1, y, x, y^2, x y, x^2 of a quadratic surface at (rows, cols) given as
    fractions of the image's height and width (any broadcastable shapes)."""
    return [np.ones_like(rows * cols), rows, cols, rows * rows, rows * cols, cols * cols]


def fit_surface(
    values: FloatImage, mask: Mask | None = None, quadratic: bool = True
) -> NDArray[np.float64]:
    """Least-squares quadratic surface (see :func:`surface_terms`), or plane if not
    ``quadratic``, through the pixels of ``values`` (h, w), only those where ``mask`` is True if
    given; its 6 (or 3) coefficients."""
    h, w = values.shape
    rows, cols = np.nonzero(np.ones(values.shape, np.bool_) if mask is None else mask)
    terms = surface_terms(rows / h, cols / w)
    design = np.stack(terms if quadratic else terms[:3], axis=1)
    target = values[rows, cols].astype(np.float64)
    return np.linalg.lstsq(design, target, rcond=None)[0]


def surface(coeffs: NDArray[np.float64], rows: NDArray[Any], cols: NDArray[Any]) -> FloatImage:
    """A fitted surface (or plane) evaluated at (rows, cols), fractions of the height and
    width."""
    terms = surface_terms(rows, cols)[: len(coeffs)]
    return sum((c * t for c, t in zip(coeffs, terms, strict=True)), np.zeros(())).astype(np.float32)


def fit_paper(small: FloatImage, light: bool, rounds: int = 3) -> NDArray[np.float64]:
    """A quadratic surface (see :func:`fit_surface`) through the paper of ``small`` (h, w),
    ignoring the ink: fitted to all pixels, then ``rounds`` times again to the pixels that are
    not on the ink's side of the last fit by more than 2.5 robust standard deviations (ink is
    darker than the fit on light paper, brighter on a dark background)."""
    h, w = small.shape
    rows, cols = np.arange(h)[:, None] / h, np.arange(w)[None, :] / w
    coeffs = fit_surface(small)
    for _ in range(rounds):
        residual = small - surface(coeffs, rows, cols)
        spread = max(1.4826 * float(np.median(np.abs(residual))), 0.01)
        paper = residual >= -2.5 * spread if light else residual <= 2.5 * spread
        if paper.sum() < 6:
            break
        coeffs = fit_surface(small, paper)
    return coeffs


def extend_with_surface(small: FloatImage, pad: int, light: bool) -> FloatImage:
    """``small`` (h, w) surrounded by ``pad`` pixels on every side that continue the lighting:
    the paper's quadratic surface (see :func:`fit_paper`). Shape ``(h + 2 pad, w + 2 pad)``."""
    h, w = small.shape
    coeffs = fit_paper(small, light)
    rows = np.arange(-pad, h + pad)[:, None] / h
    cols = np.arange(-pad, w + pad)[None, :] / w
    out = surface(coeffs, rows, cols)
    out[pad : pad + h, pad : pad + w] = small
    return out


def estimate_background(grey: FloatImage, light: bool) -> FloatImage:
    """The paper's brightness without the ink, float32 with the shape of ``grey``.

    On a copy shrunk to ``LIGHTING_SIZE`` pixels, a grey closing (dilate then erode, for a light
    background) or opening (for a dark one) with a window half as wide as the copy erases every
    stroke narrower than that; a box blur smooths the result, which is scaled back up. The copy
    is first extended beyond its borders by the lighting's quadratic surface (see
    :func:`extend_with_surface`): repeating the border pixels instead would make the closing
    overestimate the paper along a dark border or in a dark corner. The estimate is kept
    within the copy's range of grey levels.
    """
    h, w = grey.shape
    small = shrink(Image.fromarray(grey, "F"), LIGHTING_SIZE)
    size = max(3, round(LIGHTING_WINDOW * max(small.shape)) | 1)
    radius = size // 2
    # Each of the two filters eats `radius` pixels on every side, the blur another `radius`.
    padded = extend_with_surface(small, 3 * radius, light)
    first, second = ("max", "min") if light else ("min", "max")
    estimate = window_filter(window_filter(padded, size, first), size, second)
    estimate = box_blur(estimate, radius)[radius:-radius, radius:-radius]
    estimate = np.clip(estimate, small.min(), small.max())
    if estimate.shape != grey.shape:
        up = Image.fromarray(estimate, "F").resize((w, h), Image.Resampling.BILINEAR)
        estimate = np.asarray(up, dtype=np.float32)
    return estimate


def flatten_lighting(grey: FloatImage, light: bool | None = None) -> FloatImage:
    """Grey ``(h, w)`` with uneven lighting removed: float32 ``(h, w)`` in 0..1.

    On light paper the image is divided by the background estimate (the paper becomes white and
    ink keeps its darkness relative to the paper around it, however dim the light there); on
    a dark background the estimate is subtracted (the background becomes black).
    """
    if light is None:
        light = background_is_light(grey)
    background = estimate_background(grey, light)
    if light:
        return np.clip(grey / np.maximum(background, np.float32(1e-3)), 0.0, 1.0)
    return np.clip(grey - background, 0.0, 1.0)


def to_white_on_black(flat: FloatImage, light: bool | None = None) -> FloatImage:
    """The digit bright on a dark background, like MNIST: ``1 - flat`` when the background is
    light (see :func:`background_is_light`), else ``flat`` unchanged. Shape ``(h, w)``."""
    if light is None:
        light = background_is_light(flat)
    return (np.float32(1.0) - flat) if light else flat


# ----------------------------------------------------------------------------------- ink
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
    number of ink blobs kept (``parts``) and of significant blobs seen (``blobs``)."""

    image: FloatImage
    levels: InkLevels
    parts: int
    blobs: int
    ink_pixels: int


def keep_digit_parts(components: Components) -> NDArray[np.bool_]:
    """Which components (bool (n,)) belong to the digit: the largest, and every one at least
    ``SPECK_FRACTION`` of its size whose box lies near the digit (within half the digit's size
    of the boxes kept so far). Smaller or far-away blobs are specks of noise or other marks."""
    n = len(components.sizes)
    keep = np.zeros(n, np.bool_)
    if n == 0:
        return keep
    order = np.argsort(-components.sizes, kind="stable")
    biggest = order[0]
    keep[biggest] = True
    top, left, bottom, right = (int(v) for v in components.boxes[biggest])
    for i in order[1:]:
        if components.sizes[i] < SPECK_FRACTION * components.sizes[biggest]:
            break
        margin = max(bottom - top, right - left) // 2 + 1
        t, l, b, r = (int(v) for v in components.boxes[i])
        if t < bottom + margin and b > top - margin and l < right + margin and r > left - margin:
            keep[i] = True
            top, left, bottom, right = min(top, t), min(left, l), max(bottom, b), max(right, r)
    return keep


def clean_ink(image: FloatImage, noise: float = 0.0) -> Cleaned:
    """Threshold and denoise a white-on-black ``(h, w)`` image with pixel noise ``noise``.

    The contrast is stretched (noise floor -> 0, ink -> 1, see :func:`measure_ink`) and, if the
    noise is above ``NOISY`` times the contrast, smoothed with a 3x3 median filter; ink blobs
    are the 8-connected components of the pixels above 0.5, and only the digit's blobs (see
    :func:`keep_digit_parts`) are kept, together with the faint anti-aliased pixels within two
    pixels of them. Everything else becomes 0.
    """
    levels = measure_ink(image)
    stretched = stretch_contrast(image, levels)
    if noise > NOISY * levels.contrast:  # a 3x3 median removes salt-and-pepper noise
        smooth = Image.fromarray(stretched, "F").filter(ImageFilter.MedianFilter(3))
        stretched = np.asarray(smooth, dtype=np.float32)
    mask = stretched > 0.5
    components = label_components(mask)
    keep = keep_digit_parts(components)
    kept_mask = np.concatenate([[False], keep])[components.labels]
    near = dilate_mask(kept_mask, 2)
    cleaned = np.where(near, stretched, np.float32(0.0)).astype(np.float32)
    big = int(np.sum(components.sizes >= max(4, SPECK_FRACTION * components.sizes.max(initial=0))))
    return Cleaned(cleaned, levels, int(keep.sum()), big, int(components.sizes[keep].sum()))


def find_digit_box(cleaned: FloatImage) -> tuple[int, int, int, int] | None:
    """Bounding box ``(top, left, bottom, right)`` (exclusive) of the non-zero pixels of a
    cleaned ``(h, w)`` image, or None when it is empty."""
    rows = np.flatnonzero(cleaned.max(axis=1) > 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(cleaned.max(axis=0) > 0)
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


# ----------------------------------------------------------------------------------- scaling
def perimeter(mask: Mask) -> float:
    """Length of the outline of a boolean ``(h, w)`` mask, in pixels.

    Cauchy-Crofton estimate: count how often lines in four directions (along rows, columns and
    both diagonals) cross the outline; P = pi/8 * (rows + columns + diagonals / sqrt 2). Unlike
    counting pixel edges it does not overcount diagonal outlines by up to sqrt 2.
    """
    m = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.bool_)
    m[1:-1, 1:-1] = mask
    straight = np.count_nonzero(m[1:] != m[:-1]) + np.count_nonzero(m[:, 1:] != m[:, :-1])
    diagonal = np.count_nonzero(m[1:, 1:] != m[:-1, :-1]) + np.count_nonzero(
        m[1:, :-1] != m[:-1, 1:]
    )
    return math.pi / 8.0 * (straight + diagonal / math.sqrt(2.0))


def stroke_width(image: FloatImage) -> float:
    """Typical stroke width in pixels of a white-on-black ``(h, w)`` image: a stroke of length L
    and width w has area w L and outline 2 L, so w = 2 * (sum of intensities) / (perimeter of
    the pixels above 0.5)."""
    outline = perimeter(image > 0.5)
    if outline == 0.0:
        return 0.0
    return 2.0 * float(image.sum()) / outline


def resize(image: FloatImage, height: int, width: int) -> FloatImage:
    """``(h, w)`` resampled to ``(height, width)``: area-averaged when shrinking (anti-aliased
    like MNIST), bicubic when enlarging; clipped to 0..1."""
    if image.shape == (height, width):
        return image
    shrinking = height <= image.shape[0] and width <= image.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    out = Image.fromarray(image, "F").resize((width, height), method)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def crop_to_ink(image: FloatImage) -> FloatImage:
    """The part of ``(h, w)`` inside the bounding box of its non-zero pixels."""
    box = find_digit_box(image)
    if box is None:
        return image
    top, left, bottom, right = box
    return image[top:bottom, left:right]


def adjust_thickness(crop: FloatImage, size: int = BOX_SIZE) -> tuple[FloatImage, float, float]:
    """Thicken or thin the strokes of a cropped digit ``(h, w)`` so that, once its longer side is
    scaled to ``size``, they are about ``MNIST_STROKE_WIDTH`` wide.

    Returns ``(new crop, width before, width after)``, widths in pixels of the ``size`` box.
    Nothing changes when the expected width is within ``STROKE_WIDTH_RANGE``. Otherwise small
    crops are first enlarged (bicubic) to ``THICKNESS_WORK_SIZE`` pixels, then grown by a grey
    dilation (max filter) or shrunk by a grey erosion (min filter) of radius k, where k solves
    ``(w + 2k) * size / (L + 2k) = target`` (the box grows or shrinks with the strokes).
    """
    long_side = max(crop.shape)
    before = stroke_width(crop) * size / long_side
    low, high = STROKE_WIDTH_RANGE
    if before == 0.0 or low <= before <= high:
        return crop, before, before
    if long_side < THICKNESS_WORK_SIZE:
        factor = math.ceil(THICKNESS_WORK_SIZE / long_side)
        crop = resize(crop, crop.shape[0] * factor, crop.shape[1] * factor)
        long_side = max(crop.shape)
    width = before * long_side / size
    target = MNIST_STROKE_WIDTH if before < low else THIN_TARGET
    k = round((target * long_side - size * width) / (2 * size - 2 * target))
    k = max(k, -int(width / 2 - 1)) if k < 0 else k  # never erode a stroke away
    if k > 0:  # grey dilation: every pixel takes the brightest value within k pixels
        crop = crop_to_ink(window_filter(np.pad(crop, 2 * k), 2 * k + 1, "max"))
    elif k < 0:  # grey erosion: the darkest value within -k pixels (outside counts as black)
        crop = crop_to_ink(window_filter(np.pad(crop, -k), -2 * k + 1, "min"))
    after = stroke_width(crop) * size / max(crop.shape)
    return crop, before, after


def fit_in_box(crop: FloatImage, size: int = BOX_SIZE) -> FloatImage:
    """A cropped digit ``(h, w)`` scaled so that its longer side is ``size`` pixels, aspect ratio
    kept: float32 ``(size, round(w * size / h))`` or the transpose; at least one pixel wide."""
    h, w = crop.shape
    scale = size / max(h, w)
    height, width = max(1, round(h * scale)), max(1, round(w * scale))
    fitted = resize(crop, height, width)
    peak = float(fitted.max())
    if 0.0 < peak < 1.0:
        fitted = fitted / np.float32(peak)
    return fitted.astype(np.float32)


def center_of_mass(image: FloatImage) -> tuple[float, float]:
    """Intensity-weighted mean (row, column) of ``(h, w)``; pixel (r, c) is at (r, c)."""
    total = float(image.sum())
    if total <= 0.0:
        return (image.shape[0] - 1) / 2.0, (image.shape[1] - 1) / 2.0
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total


def shift_fraction(image: FloatImage, fraction: float, axis: int) -> FloatImage:
    """Move ``(h, w)`` by ``fraction`` (0 <= fraction < 1) of a pixel along ``axis`` with linear
    interpolation; the result is one pixel longer on that axis."""
    shape = list(image.shape)
    shape[axis] += 1
    out = np.zeros(shape, np.float32)
    head = [slice(None), slice(None)]
    tail = [slice(None), slice(None)]
    head[axis], tail[axis] = slice(0, -1), slice(1, None)
    out[tuple(head)] += np.float32(1.0 - fraction) * image
    out[tuple(tail)] += np.float32(fraction) * image
    return out


def paste(canvas: FloatImage, image: FloatImage, top: int, left: int) -> None:
    """Copy ``image`` into ``canvas`` with its corner at (top, left), cutting what falls out."""
    h, w = image.shape
    ch, cw = canvas.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, ch), min(left + w, cw)
    if t0 < t1 and l0 < l1:
        canvas[t0:t1, l0:l1] = image[t0 - top : t1 - top, l0 - left : l1 - left]


def center_by_mass(
    fitted: FloatImage,
    size: int = MNIST_SIZE,
    center: tuple[float, float] = (MNIST_CENTER_ROW, MNIST_CENTER_COL),
) -> FloatImage:
    """Paste ``(h, w)`` into a black ``(size, size)`` image so that its centre of mass lands on
    ``center`` (MNIST's, measured), with sub-pixel precision (bilinear interpolation)."""
    row, col = center_of_mass(fitted)
    top, left = center[0] - row, center[1] - col
    whole_top, whole_left = math.floor(top), math.floor(left)
    shifted = shift_fraction(fitted, top - whole_top, axis=0)
    shifted = shift_fraction(shifted, left - whole_left, axis=1)
    canvas = np.zeros((size, size), np.float32)
    paste(canvas, shifted, whole_top, whole_left)
    return canvas


# ----------------------------------------------------------------------------------- rules
def coverage(fitted: FloatImage) -> float:
    """Fraction of the digit's box that is ink (pixels above 0.5) in a fitted ``(h, w)``
    digit; a narrow box counts as at least half as wide as it is long, so that a "1" which
    fills its thin box is not mistaken for a blob."""
    h, w = fitted.shape
    area = max(h, w) * max(min(h, w), max(h, w) / 2.0)
    return float(np.count_nonzero(fitted > 0.5)) / area


def stroke_length(crop: FloatImage) -> float:
    """Total stroke length of a cropped digit ``(h, w)`` in units of its longer side: the ink's
    area divided by its stroke width (so it does not depend on the resolution)."""
    width = stroke_width(crop)
    if width == 0.0:
        return 0.0
    return float(crop.sum()) / width / max(crop.shape)


def check_ink(cleaned: Cleaned, box: tuple[int, int, int, int] | None, noise: float) -> str | None:
    """Why a cleaned picture holds no digit, or None when it may. The rules: too little
    contrast (blank, or a photo of nothing), ink hardly brighter than the ``noise`` (see
    :func:`pixel_noise`, in the units of the flattened image), too little ink, too many
    separate blobs (noise)."""
    contrast = cleaned.levels.contrast
    if contrast < MIN_CONTRAST:
        return "the picture is blank (too little contrast between ink and background)"
    if contrast < MIN_SIGNAL_TO_NOISE * noise:
        return (
            f"the picture is noise (the marks stand out only {contrast / noise:.1f} times "
            "the noise level)"
        )
    if box is None or cleaned.ink_pixels < MIN_INK_PIXELS:
        return "there is too little ink to be a digit"
    if max(box[2] - box[0], box[3] - box[1]) < MIN_BOX_SIDE:
        return "the marks are too small to be a digit"
    if cleaned.blobs > MAX_PARTS:
        return f"the ink is scattered in {cleaned.blobs} separate blobs (noise, not one digit)"
    return None


def check_shape(crop: FloatImage, fitted: FloatImage) -> str | None:
    """Why a cropped digit ``(h, w)`` (before any thickness change) and its fitted version are
    not a digit, or None: strokes as wide as a blob, strokes far longer than any digit's (a
    scribble), or ink covering most of the box."""
    width = stroke_width(crop) * BOX_SIZE / max(crop.shape)
    if width > MAX_STROKE_WIDTH:
        return f"the ink is a blob, not pen strokes ({width:.1f} pixels wide in the 20x20 box)"
    length = stroke_length(crop)
    if length > MAX_LENGTH:
        return f"the strokes are {length:.1f} times as long as the box (a scribble, not a digit)"
    cover = coverage(fitted)
    if cover > MAX_COVERAGE:
        return f"the ink covers {cover:.0%} of its box (a blob or scribble, not a digit)"
    return None


# ----------------------------------------------------------------------------------- pipeline
def prepare(image: ImageInput) -> Prepared:
    """Turn a picture (path, bytes, PIL image or array) into MNIST's 28x28 format.

    Returns a :class:`Prepared` with the float32 ``(28, 28)`` pixels and every intermediate
    picture. Raises ImageError when the picture cannot be read; a readable picture without a
    digit gives ``found=False`` and a ``reason``.
    """
    steps: list[Step] = []
    blank = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)

    def refuse(reason: str, box: tuple[int, int, int, int] | None = None) -> Prepared:
        return Prepared(blank, steps, found=False, reason=reason, box=box)

    grey = to_grey(image, max_side=WORK_SIZE)
    h, w = grey.shape
    steps.append(Step("grey", "Grey levels", grey, f"{w}x{h} pixels"))
    light = background_is_light(grey)
    flat = flatten_lighting(grey, light)
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
    return Prepared(pixels, steps, found=True, reason=None, box=box)


def naive_input(image: ImageInput) -> FloatImage:
    """What a network would see without this module: the whole picture in grey, area-averaged
    down to float32 ``(28, 28)`` (aspect ratio not kept) and inverted if its border is mostly
    light. Used to show how much the preprocessing matters."""
    grey = to_grey(image)
    small = resize(grey, MNIST_SIZE, MNIST_SIZE)
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    return (np.float32(1.0) - small) if float(np.median(border)) > 0.5 else small


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
    margin = p_best - ranking[1][1]
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
    confident = p_best >= MIN_PROBABILITY and margin >= MIN_MARGIN
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


def predict_prepared(net: Network, prepared: Sequence[Prepared]) -> list[Prediction]:
    """Read already prepared pictures with one batched forward pass of ``net``.

    Pictures without a digit are still fed (as the black image in their ``pixels``) but get
    ``digit=None``.
    """
    if not prepared:
        return []
    batch = np.stack([p.pixels.reshape(-1) for p in prepared])
    outputs = np.asarray(net.predict_proba(batch))
    return [make_prediction(p, o) for p, o in zip(prepared, outputs, strict=True)]


def predict_images(net: Network, images: Sequence[ImageInput]) -> list[Prediction]:
    """Prepare every picture and read them with one batched forward pass of ``net``.

    ImageError from an unreadable picture propagates (prepare the pictures one by one and use
    :func:`predict_prepared` to handle them separately).
    """
    return predict_prepared(net, [prepare(image) for image in images])


def predict_image(net: Network, image: ImageInput) -> Prediction:
    """Read the digit in one picture (path, bytes, PIL image or array) with ``net``."""
    return predict_images(net, [image])[0]
