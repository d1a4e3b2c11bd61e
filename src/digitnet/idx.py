"""Reading IDX files, the format LeCun published MNIST in.

An IDX file is a tiny header followed by raw bytes::

    magic   4 bytes   0x00 0x00 <type> <ndim>   (type 0x08 = unsigned byte)
    dims    4 bytes each, big-endian            (e.g. 60000, 28, 28)
    data    prod(dims) bytes, row after row

Files are often gzip-compressed; :func:`read_idx` reads either. Only unsigned bytes with
1 dimension (labels) or 3 dimensions (images) are supported. The arrays it returns are
read-only views of the file's bytes; copy them before changing them. A compressed file is
decompressed only as far as its header says the data goes, so a small file that would
decompress to gigabytes (a gzip bomb) is refused without filling the memory.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from digitnet.errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"
#: The most data an IDX file may announce: 4 GiB, 5 million 28x28 images.
MAX_DATA_BYTES = 1 << 32
_CHUNK = 1 << 20
_IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}


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
    except MemoryError:
        raise DataError(f"{path} is too large to read into memory.") from None
    if not raw:
        raise DataError(f"{path} is empty.")
    if raw[:2] == _GZIP_MAGIC:
        return _gunzip(raw, path)
    if path.suffix == ".gz":
        raise DataError(f"{path} is named .gz but is not gzip-compressed.")
    return raw


def _gunzip(raw: bytes, path: Path) -> bytes:
    """The decompressed content of gzip data ``raw``: its IDX header, then no more data than
    the header announces (more is refused as soon as it shows, before it is all read)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            head = stream.read(4)
            if len(head) == 4 and head[:2] == b"\x00\x00":
                head += stream.read(4 * head[3])
            if not head:
                return head  # _parse_idx says it is empty
            _, dims, expected = _header(head, path)
            chunks, left = [head], expected + 1  # one byte more shows data after the end
            while left > 0 and (chunk := stream.read(min(left, _CHUNK))):
                chunks.append(chunk)
                left -= len(chunk)
    except (OSError, EOFError, zlib.error) as error:
        reason = str(error).rstrip(".")
        raise DataError(f"{path} is a corrupt gzip file ({reason}).") from None
    except MemoryError:
        raise DataError(f"{path} is too large to read into memory.") from None
    if left <= 0:
        raise DataError(
            f"{path} has unexpected bytes after the {expected:,} bytes of data its header "
            f"announces for shape {dims}."
        )
    return b"".join(chunks)


def _header(data: bytes, path: Path) -> tuple[int, tuple[int, ...], int]:
    """The header's length, the shape it announces and the number of data bytes that makes,
    from ``data`` (which starts with the header); DataError for a header that is not IDX's."""
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
    expected = span = 1
    for dim in dims:
        expected *= dim
        span *= max(dim, 1)  # (0, 4294967295, 4294967295) is no array's shape either
    if span > MAX_DATA_BYTES:
        raise DataError(
            f"{path} announces shape {dims}, too large to read (digitnet reads at most "
            f"{MAX_DATA_BYTES:,} bytes of data)."
        )
    return header, dims, expected


def _parse_idx(data: bytes, path: Path) -> NDArray[np.uint8]:
    """Checks the IDX header of ``data`` and returns its array (read-only, no copy)."""
    if not data:
        raise DataError(f"{path} is empty.")
    header, dims, expected = _header(data, path)
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
