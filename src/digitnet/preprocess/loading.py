"""Step 1: read any picture (file, bytes, PIL image of any mode, numpy array) as grey levels.

:func:`to_grey` is the entry point; :func:`open_image` and :func:`decode` open files with
Pillow and turn every way a file can be bad into one ImageError sentence.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from digitnet.errors import ImageError
from digitnet.preprocess.images import FloatImage, ImageInput

#: Pillow refuses larger images as decompression bombs; we say so in one sentence instead.
MAX_PIXELS = 90_000_000

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, the weights of Pillow's "L"


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
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return values  # NaN or infinities, which to_grey refuses
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
        if not np.all(np.isfinite(grey)):  # a floating-point TIFF can hold NaN and infinities
            raise ImageError(f"{name} contains NaN or infinite values.")
    return np.clip(composite(grey, alpha), 0.0, 1.0).astype(np.float32)
