"""The data: MNIST's 70,000 handwritten digits, read from the four IDX files LeCun published.

An IDX file is a tiny header followed by raw bytes::

    magic   4 bytes   0x00 0x00 <type> <ndim>   (type 0x08 = unsigned byte)
    dims    4 bytes each, big-endian            (e.g. 60000, 28, 28)
    data    prod(dims) bytes, row after row

MNIST is four such files (train/test images/labels), usually gzip-compressed. A copy is
bundled with digitnet; if it is missing, the files are downloaded once into a cache folder.
Images are ``(n, 28, 28)`` uint8 arrays, 0 = black background, 255 = white ink.

Arrays from :func:`read_idx` and :func:`load_mnist` are read-only views of the file's
bytes (loads are cached in-process and shared); copy them before changing them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import operator
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import DataError, DigitnetError

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
IMAGE_SHAPE = (28, 28)
SUMS_FILE = "SHA256SUMS.uncompressed"

# SHA-256 of the *uncompressed* MNIST files (gzip bytes differ between copies; content does not).
MNIST_SHA256: Mapping[str, str] = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Base URLs of the public copies of MNIST, tried in this order; each holds "<name>.gz".
MIRRORS: list[str] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

_BUNDLED_DIR = Path(__file__).resolve().parent / "datasets" / "mnist"
_GZIP_MAGIC = b"\x1f\x8b"
_IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}
_CHUNK = 1 << 16


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


# --- Reading IDX files -------------------------------------------------------------------


def read_idx(path: str | Path) -> NDArray[np.uint8]:
    """The array stored in an IDX file (gzip-compressed or raw): (n,) labels or (n, h, w) images."""
    path = Path(path)
    return _parse_idx(_read_content(path), path)


def _read_content(path: Path) -> bytes:
    """The bytes of a file, gunzipped if they are gzip-compressed."""
    if path.is_dir():
        raise DataError(f"{path} is a folder, not an IDX file.")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.") from None
    except OSError as error:
        raise DataError(f"{path} cannot be read: {error.strerror or error}.") from None
    if not raw:
        raise DataError(f"{path} is empty.")
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            reason = str(error).rstrip(".")
            raise DataError(f"{path} is a corrupt gzip file ({reason}).") from None
    if path.suffix == ".gz":
        raise DataError(f"{path} is named .gz but is not gzip-compressed.")
    return raw


def _parse_idx(data: bytes, path: Path) -> NDArray[np.uint8]:
    """Checks the IDX header of ``data`` and returns its array (read-only, no copy)."""
    if not data:
        raise DataError(f"{path} is empty.")
    if len(data) < 4 or data[:2] != b"\x00\x00":
        magic = data[:4].hex().upper()
        raise DataError(
            f"{path} is not an IDX file: it starts with 0x{magic}, expected 0x00000801 (labels) "
            f"or 0x00000803 (images)."
        )
    type_code, ndim = data[2], data[3]
    if type_code != 0x08:
        kind = _IDX_TYPES.get(type_code, "unknown")
        raise DataError(
            f"{path} holds data of type 0x{type_code:02X} ({kind}); only unsigned bytes "
            f"(0x08) are supported."
        )
    if ndim not in (1, 3):
        raise DataError(f"{path} holds {ndim}-dimensional data; expected 1 (labels) or 3 (images).")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated: its header needs {header} bytes, got {len(data)}.")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = 1
    for dim in dims:
        expected *= dim
    got = len(data) - header
    if got < expected:
        raise DataError(
            f"{path} is truncated: expected {expected:,} bytes of data for shape {dims}, "
            f"got {got:,}."
        )
    if got > expected:
        raise DataError(
            f"{path} has {got - expected:,} unexpected bytes after the {expected:,} bytes of "
            f"data its header announces for shape {dims}."
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims)


# --- Loading a dataset folder ------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where downloaded MNIST files go: $DIGITNET_CACHE/mnist, else ~/.cache/digitnet/mnist."""
    root = os.environ.get("DIGITNET_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "digitnet"
    return base / "mnist"


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


# --- Downloading -------------------------------------------------------------------------


def download_mnist(
    cache_dir: str | Path | None = None,
    mirrors: Sequence[str] | None = None,
    *,
    progress: bool = True,
    timeout: float = 30,
    checksums: Mapping[str, str] | None = None,
) -> Path:
    """Downloads the MNIST files missing from ``cache_dir`` and returns that folder.

    Each file is tried on each of ``mirrors`` (default :data:`MIRRORS`) in turn, streamed into
    a temporary file next to its destination and moved into place only if its uncompressed
    content has the SHA-256 in ``checksums`` (file name -> hex digest, default MNIST's).
    Cached files that pass that check are not downloaded again; ones that fail are replaced.
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    urls = list(MIRRORS if mirrors is None else mirrors)
    sums = dict(MNIST_SHA256 if checksums is None else checksums)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"cannot create the cache folder {folder}: {error}.") from None
    for name in FILES:
        if name not in sums:
            raise DigitnetError(f"checksums has no SHA-256 sum for {name}.")
        if not _is_cached(folder, name, sums[name]):
            _fetch(name, folder, urls, sums[name], progress, timeout)
    return folder


def _is_cached(folder: Path, name: str, sha256: str) -> bool:
    """Whether ``folder`` holds ``name`` with the right content; removes copies that do not."""
    for path in (folder / f"{name}.gz", folder / name):
        if not path.is_file():
            continue
        try:
            if hashlib.sha256(_read_content(path)).hexdigest() == sha256:
                return True
        except DataError:
            pass
        path.unlink(missing_ok=True)
    return False


def _fetch(
    name: str, folder: Path, mirrors: list[str], sha256: str, progress: bool, timeout: float
) -> None:
    """Downloads ``name.gz`` from the first mirror that serves it intact into ``folder``."""
    failures = []
    for base in mirrors:
        url = f"{base.rstrip('/')}/{name}.gz"
        handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                digest = _stream(url, out, progress, timeout, label=f"{name}.gz")
            if digest != sha256:
                raise DataError(
                    f"SHA-256 of the content is {digest[:16]}..., expected {sha256[:16]}..."
                )
            os.replace(temp, folder / f"{name}.gz")
            return
        except (OSError, http.client.HTTPException, ValueError, zlib.error) as error:
            reason = _describe(error)
            failures.append(f"{url} ({reason})")
            if progress:
                from tqdm import tqdm

                tqdm.write(f"digitnet: could not download {url}: {reason}", file=sys.stderr)
        finally:
            temp.unlink(missing_ok=True)
    tried = "; ".join(failures) if failures else "no mirrors were given"
    raise DataError(f"could not download {name}.gz from any mirror: {tried}.")


def _stream(url: str, out: BinaryIO, progress: bool, timeout: float, label: str) -> str:
    """Copies the gzip file at ``url`` into ``out``; returns the SHA-256 of its content."""
    from tqdm import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "digitnet"})
    unzip = zlib.decompressobj(wbits=31)  # 31: expect a gzip header and trailer
    sha = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not progress) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                sha.update(unzip.decompress(chunk))
                bar.update(len(chunk))
                received += len(chunk)
    if total is not None and received != total:
        raise DataError(f"received {received:,} of the {total:,} bytes announced")
    if not unzip.eof:
        raise DataError("the gzip data ends too early (truncated download)")
    if unzip.unused_data:
        raise DataError("unexpected bytes follow the gzip data")
    return sha.hexdigest()


def _describe(error: BaseException) -> str:
    """A short reason for a failed download."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    if isinstance(error, http.client.IncompleteRead):
        return f"connection closed after {len(error.partial):,} bytes (truncated download)"
    if isinstance(error, zlib.error):
        return f"not valid gzip data: {error}"
    return str(error).rstrip(".") or type(error).__name__
