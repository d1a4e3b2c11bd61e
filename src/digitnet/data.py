"""The data: MNIST's 70,000 handwritten digits, as datasets ready for training.

MNIST is four IDX files (train/test images/labels, read by :mod:`digitnet.idx`), usually
gzip-compressed. A copy is bundled with digitnet; if it is missing, the files are downloaded
once into a cache folder (:mod:`digitnet.download`). Images are ``(n, 28, 28)`` uint8 arrays,
0 = black background, 255 = white ink.

Arrays from :func:`read_idx` and :func:`load_mnist` are read-only views of the file's
bytes (loads are cached in-process and shared); copy them before changing them.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.download import (
    FILES,
    MNIST_SHA256,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    default_cache_dir,
    download_mnist,
)
from digitnet.errors import DataError, DigitnetError
from digitnet.idx import _parse_idx, _read_content, read_idx

__all__ = [
    "FILES",
    "IMAGE_SHAPE",
    "MNIST",
    "MNIST_SHA256",
    "SUMS_FILE",
    "TEST_IMAGES",
    "TEST_LABELS",
    "TRAIN_IMAGES",
    "TRAIN_LABELS",
    "Dataset",
    "default_cache_dir",
    "download_mnist",
    "images_to_inputs",
    "load_mnist",
    "read_idx",
    "split_validation",
]

IMAGE_SHAPE = (28, 28)
SUMS_FILE = "SHA256SUMS.uncompressed"

_BUNDLED_DIR = Path(__file__).resolve().parent / "datasets" / "mnist"


@dataclass
class Dataset:
    """Digits and their labels: ``images`` (n, 28, 28) uint8, ``labels`` (n,) uint8 in 0..9."""

    images: NDArray[np.uint8]
    labels: NDArray[np.uint8]

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.labels.ndim != 1:
            raise DigitnetError(
                f"a Dataset needs images of shape (n, 28, 28) and labels of shape (n,), "
                f"got {self.images.shape} and {self.labels.shape}."
            )
        if len(self.images) != len(self.labels):
            raise DigitnetError(
                f"a Dataset needs one label per image, got {len(self.images):,} images "
                f"and {len(self.labels):,} labels."
            )

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, start: int, stop: int) -> Dataset:
        """Examples start..stop-1 (a view, like slicing a list)."""
        return Dataset(self.images[start:stop], self.labels[start:stop])

    def take(self, indices: ArrayLike) -> Dataset:
        """The examples at the given indices, in that order (a copy)."""
        index = np.asarray(indices, dtype=np.intp)
        return Dataset(self.images[index], self.labels[index])

    def label_counts(self) -> NDArray[np.int64]:
        """How many examples of each digit: shape (10,) (longer if labels go past 9)."""
        return np.bincount(self.labels, minlength=10).astype(np.int64)


@dataclass
class MNIST:
    """The 60,000 training and 10,000 test digits, and the folder they were read from."""

    train: Dataset
    test: Dataset
    source: str


def images_to_inputs(images: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Network inputs: (n, 28, 28) uint8 pixels 0..255 -> (n, 784) float32 in 0..1."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DigitnetError(
            f"images_to_inputs needs uint8 images of shape (n, 28, 28), "
            f"got {images.dtype} of shape {images.shape}."
        )
    flat = images.reshape(len(images), -1)
    return np.divide(flat, np.float32(255), dtype=np.float32)


def split_validation(train: Dataset, validation_size: int = 10_000) -> tuple[Dataset, Dataset]:
    """(training, validation): the last ``validation_size`` examples become the validation set.

    With MNIST's 60,000 training digits and the default this gives Nielsen's 50,000/10,000.
    """
    size = operator.index(validation_size)
    if size < 0:
        raise DigitnetError(f"validation_size must be 0 or more, got {size:,}.")
    if size > 0 and size >= len(train):
        raise DigitnetError(
            f"validation_size is {size:,} but the training set has only {len(train):,} "
            f"examples; keep at least one for training."
        )
    cut = len(train) - size
    return train.subset(0, cut), train.subset(cut, len(train))


# --- Loading a dataset folder ------------------------------------------------------------


def load_mnist(
    data_dir: str | Path | None = None,
    *,
    download: bool = True,
    cache_dir: str | Path | None = None,
    verify: bool | None = None,
) -> MNIST:
    """MNIST's training and test sets.

    Without ``data_dir``: the copy bundled with digitnet; if that is missing, the cache folder
    (``cache_dir``, default :func:`default_cache_dir`), downloading the files there first if
    needed and ``download`` is true. These copies are checked against MNIST's SHA-256 sums
    unless ``verify=False``.

    With ``data_dir``: any dataset in MNIST's file layout (e.g. Fashion-MNIST), the four
    files gzip-compressed or not. Checked against SHA-256 sums only if ``verify=True``: those
    in the folder's SHA256SUMS.uncompressed if it has one, else MNIST's.
    """
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        if not folder.exists():
            raise DataError(f"the data folder {folder} does not exist.")
        if not folder.is_dir():
            raise DataError(f"{folder} is not a folder of IDX files.")
        return _load_folder(folder, verify=bool(verify))
    check = verify is not False
    if _has_files(_BUNDLED_DIR):
        return _load_folder(_BUNDLED_DIR, verify=check)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if _has_files(cache):
        try:
            return _load_folder(cache, verify=check)
        except DataError:
            if not download:
                raise
    elif not download:
        raise DataError(
            f"MNIST is neither bundled with digitnet nor in the cache folder {cache}, "
            f"and download is off."
        )
    download_mnist(cache)  # checks every file it keeps against MNIST's sums
    return _load_folder(cache, verify=False)


def _find_file(folder: Path, name: str) -> Path | None:
    """``folder/name.gz`` or ``folder/name``, whichever exists first, else None."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _has_files(folder: Path) -> bool:
    return all(_find_file(folder, name) is not None for name in FILES)


def _read_sums(path: Path) -> dict[str, str]:
    """File name -> SHA-256 hex digest, from a file in ``sha256sum`` output format."""
    sums = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path} cannot be read: {error}.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{path} line {number} is not '<sha256>  <file name>'.")
        sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def _load_folder(folder: Path, verify: bool) -> MNIST:
    """Reads the four MNIST-layout files in ``folder`` (cached while the files are unchanged)."""
    found = []
    for name in FILES:
        path = _find_file(folder, name)
        if path is None:
            raise DataError(f"the data folder {folder} has no {name}.gz or {name} file.")
        stat = path.stat()
        found.append((name, str(path), stat.st_mtime_ns, stat.st_size))
    sums: tuple[tuple[str, str], ...] | None = None
    sums_source = ""
    if verify:
        sums_path = folder / SUMS_FILE
        if sums_path.is_file():
            sums, sums_source = tuple(_read_sums(sums_path).items()), str(sums_path)
        else:
            sums, sums_source = tuple(MNIST_SHA256.items()), "digitnet's MNIST checksums"
    train_x, train_y, test_x, test_y = _load_arrays(tuple(found), sums, sums_source)
    return MNIST(Dataset(train_x, train_y), Dataset(test_x, test_y), source=str(folder))


@functools.lru_cache(maxsize=4)
def _load_arrays(
    files: tuple[tuple[str, str, int, int], ...],
    sums: tuple[tuple[str, str], ...] | None,
    sums_source: str,
) -> tuple[NDArray[np.uint8], ...]:
    """The four arrays of (name, path, mtime, size) ``files``, checked against ``sums``."""
    expected = dict(sums) if sums is not None else None
    arrays = []
    for name, path_text, _, _ in files:
        path = Path(path_text)
        content = _read_content(path)
        if expected is not None:
            if name not in expected:
                raise DataError(f"{sums_source} has no SHA-256 sum for {name}.")
            digest = hashlib.sha256(content).hexdigest()
            if digest != expected[name]:
                raise DataError(
                    f"{path} does not match its SHA-256 sum in {sums_source} "
                    f"(expected {expected[name][:16]}..., got {digest[:16]}...)."
                )
        arrays.append(_parse_idx(content, path))
    _check_pair(arrays[0], arrays[1], files[0][1], files[1][1])
    _check_pair(arrays[2], arrays[3], files[2][1], files[3][1])
    return tuple(arrays)


def _check_pair(
    images: NDArray[np.uint8], labels: NDArray[np.uint8], images_path: str, labels_path: str
) -> None:
    """Checks that an images file holds 28x28 images and its labels file one label each."""
    if images.ndim != 3:
        raise DataError(f"{images_path} holds labels (1 dimension), not images.")
    if labels.ndim != 1:
        raise DataError(f"{labels_path} holds images (3 dimensions), not labels.")
    if images.shape[1:] != IMAGE_SHAPE:
        height, width = images.shape[1:]
        raise DataError(f"{images_path} holds {height}x{width} images; expected 28x28.")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} has {len(images):,} images but {labels_path} has "
            f"{len(labels):,} labels."
        )
