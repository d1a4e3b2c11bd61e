"""Your digits taken elsewhere: a zip of PNG files, and IDX files in MNIST's layout.

:func:`png_zip` packs the original pictures as ``<label>_<id>.png``, so that an unpacked zip
is a folder ``digitnet teach`` reads (and the page imports). :func:`idx_zip` packs the
prepared 28x28 digits as MNIST's four gzip-compressed IDX files, which
``digitnet train --data-dir`` and ``digitnet evaluate --data-dir`` read: the digits held out
by :func:`~digitnet.teach.finetune.split_held_out` (seed 0) are the test set, the others the
training set (with fewer than five digits, both hold them all). :func:`read_zip` opens an
uploaded zip safely (a bounded number of files, each of bounded size).
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile

import numpy as np
from numpy.typing import NDArray

from digitnet.download import FILES
from digitnet.errors import DigitnetError
from digitnet.teach.finetune import HOLDOUT, split_held_out
from digitnet.teach.store import DigitStore, Entry

#: An uploaded zip may hold this many files, each at most this many bytes unpacked.
MAX_FILES = 2000
MAX_FILE_BYTES = 5_000_000


def idx_bytes(array: NDArray[np.uint8]) -> bytes:
    """``array`` (uint8, 1 or 3 dimensions) as an IDX file: magic, sizes, data."""
    arr = np.ascontiguousarray(array, np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.tobytes()


def png_zip(store: DigitStore, entries: list[Entry] | None = None) -> bytes:
    """The original pictures as a zip of ``<label>_<id>.png`` files."""
    entries = store.entries() if entries is None else entries
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for entry in entries:
            archive.writestr(f"{entry.label}_{entry.id}.png", store.original_png(entry))
    return buffer.getvalue()


def idx_files(store: DigitStore) -> dict[str, bytes]:
    """MNIST's four file names (``.gz``) -> gzip-compressed IDX contents."""
    entries = store.entries()
    if not entries:
        raise DigitnetError("you have no digits to export yet")
    images, labels = store.dataset(entries)
    split = split_held_out(labels, HOLDOUT, seed=0)
    test = split.held_out if len(split.held_out) else np.arange(len(labels))
    train = split.taught if len(split.held_out) else np.arange(len(labels))
    arrays: list[NDArray[np.generic]] = [images[train], labels[train], images[test], labels[test]]
    return {
        f"{name}.gz": gzip.compress(idx_bytes(arr.astype(np.uint8)), mtime=0)
        for name, arr in zip(FILES, arrays, strict=True)
    }


def idx_zip(store: DigitStore) -> bytes:
    """:func:`idx_files` in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in idx_files(store).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read_zip(data: bytes, name: str = "the zip file") -> list[tuple[str, bytes]]:
    """The files in a zip (name without folders, contents), skipping folders, hidden files
    and macOS's ``__MACOSX`` folder; a file in a subfolder ``0`` to ``9`` is named
    ``<digit>_<name>`` so that its label survives. A DigitnetError for a damaged zip or one
    too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DigitnetError(f"{name} is not a zip file that can be read ({exc})") from None
    out: list[tuple[str, bytes]] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_FILES:
            raise DigitnetError(f"{name} holds {len(infos)} files; at most {MAX_FILES} are read")
        for info in infos:
            parts = info.filename.replace("\\", "/").split("/")
            base = parts[-1]
            if not base or base.startswith(".") or "__MACOSX" in parts:
                continue
            if info.file_size > MAX_FILE_BYTES:
                raise DigitnetError(f"{base} in {name} is too large to import")
            if len(parts) > 1 and parts[-2].isdigit() and len(parts[-2]) == 1:
                base = f"{parts[-2]}_{base}"
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                raise DigitnetError(f"{base} in {name} cannot be unpacked ({exc})") from None
            out.append((base, content))
    return out
