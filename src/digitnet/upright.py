"""MNIST's digits stood upright once, kept on disk, and read back in a blink.

Deslanting (:mod:`digitnet.slant`) MNIST's 70,000 digits takes about 3.5 s of CPU, as long as
the five epochs of ``digitnet train`` itself. The result depends on the images alone, so a set
of :data:`MIN_CACHED` digits or more is kept in digitnet's cache folder
(``$DIGITNET_CACHE/deslanted``, else ``~/.cache/digitnet/deslanted``) in NumPy's ``.npy``
format (no pickles), named by the SHA-256 of the images and of the deslanted result, and
checked against both when it is read back. A damaged file is deslanted again; a cache that
cannot be written (read-only, full disk) is passed by: it only saves time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from digitnet.download import cache_root
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write
from digitnet.slant import deslant_pixels

#: Sets smaller than this are deslanted every time (a second or less of CPU).
MIN_CACHED = 10_000
#: Part of every file's name: change it whenever deslant_pixels changes a single number.
VERSION = "deslant-1"
_NAME = 32  # hex digits of each digest in a file's name


def cache_folder() -> Path:
    """Where deslanted digits are kept."""
    return cache_root() / "deslanted"


def upright_pixels(images: NDArray[np.uint8], folder: Path | None = None) -> NDArray[np.uint8]:
    """:func:`~digitnet.slant.deslant_pixels` of ``images``, read from the cache ``folder``
    (default :func:`cache_folder`) when it has them, else computed and kept there."""
    if len(images) < MIN_CACHED:
        return deslant_pixels(images)
    folder = cache_folder() if folder is None else folder
    key = digest(images)
    found = _read(folder, key, images.shape)
    if found is not None:
        return found
    pixels = deslant_pixels(images)
    _write(folder / f"{key}-{digest(pixels)}.npy", pixels)
    return pixels


def digest(pixels: NDArray[np.uint8]) -> str:
    """The first hex digits of the SHA-256 of the version, shape and bytes of ``pixels``."""
    h = hashlib.sha256(f"{VERSION} {pixels.dtype} {pixels.shape}".encode())
    h.update(np.ascontiguousarray(pixels).data)
    return h.hexdigest()[:_NAME]


def _read(folder: Path, key: str, shape: tuple[int, ...]) -> NDArray[np.uint8] | None:
    for path in sorted(folder.glob(f"{key}-*.npy")):
        try:
            pixels = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            continue
        if (
            pixels.dtype == np.uint8
            and pixels.shape == shape
            and f"{key}-{digest(pixels)}" == path.stem
        ):
            return np.asarray(pixels, dtype=np.uint8)
    return None


def _write(path: Path, pixels: NDArray[np.uint8]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as tmp, open(tmp, "wb") as out:
            np.save(out, pixels, allow_pickle=False)
    except (OSError, DigitnetError):
        pass  # the cache only saves time
