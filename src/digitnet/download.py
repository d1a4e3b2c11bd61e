"""Downloading MNIST: its four files, their SHA-256 sums and the public mirrors that serve them.

MNIST is four IDX files (train/test images/labels, see :mod:`digitnet.idx`). A copy is
bundled with digitnet; where it was removed, :func:`download_mnist` fetches the files once
into a cache folder (:func:`default_cache_dir`). Each mirror in :data:`MIRRORS` holds the
files as ``<name>.gz``; they are tried in order, and a file is kept only if its uncompressed
content has MNIST's SHA-256 (gzip bytes differ between copies; content does not), so a
corrupt or truncated download never ends up in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from digitnet.errors import DataError, DigitnetError
from digitnet.idx import _read_content

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

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

_CHUNK = 1 << 16


def cache_root() -> Path:
    """digitnet's cache folder: $DIGITNET_CACHE, else ~/.cache/digitnet."""
    root = os.environ.get("DIGITNET_CACHE")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "digitnet"


def default_cache_dir() -> Path:
    """Where downloaded MNIST files go: $DIGITNET_CACHE/mnist, else ~/.cache/digitnet/mnist."""
    return cache_root() / "mnist"


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
