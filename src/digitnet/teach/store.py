"""*Your digits*: the drawings a person corrected, kept on disk beside the saved models.

A folder (``<models folder>/digits``) holds, for each digit, two PNG files, the original
picture (grey, as drawn or uploaded) and the prepared 28x28 one, and one JSON index,
``index.json``, with each digit's id, label, the model that misread it and when it was added.
Every file is written atomically (:func:`digitnet.files.atomic_write`); ids are 12 hex
digits, checked before they name a file, so a request can never reach outside the folder;
nothing is pickled. Several server processes may share the folder: changes to the index take
a lock file.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitnet.errors import DigitnetError
from digitnet.files import atomic_write

try:  # POSIX: a lock between processes; elsewhere a lock within the process is all there is
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

ID_PATTERN = re.compile(r"^[0-9a-f]{12}$")
INDEX = "index.json"
LOCK = ".lock"
FORMAT = "digitnet-your-digits"
VERSION = 1
#: The most digits a store keeps (a page adds one per click; a bound keeps the index small).
MAX_DIGITS = 5000
#: Originals are kept at most this many pixels a side (larger ones are scaled down).
MAX_SIDE = 512


@dataclass
class Entry:
    """One of your digits: its id, label, the model that misread it and what it answered
    (None for a digit added without a reading, e.g. imported), when, the original's size."""

    id: str
    label: int
    model: str | None
    answer: int | None
    added: str
    width: int
    height: int

    @property
    def original_file(self) -> str:
        return f"{self.id}.png"

    @property
    def prepared_file(self) -> str:
        return f"{self.id}-28.png"


def check_id(digit_id: str) -> str:
    """``digit_id`` if it is a valid id, else a DigitnetError (an id names files)."""
    if not isinstance(digit_id, str) or not ID_PATTERN.fullmatch(digit_id):
        raise DigitnetError(f"{str(digit_id)[:40]!r} is not the id of one of your digits")
    return digit_id


def png_bytes(pixels: NDArray[np.uint8]) -> bytes:
    """A 2-D uint8 grey image as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def to_uint8(image: NDArray[np.floating] | NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A grey image (uint8, or floats in 0..1) as uint8 0..255."""
    arr = np.asarray(image)
    if arr.dtype == np.uint8:
        return arr
    return np.clip(np.round(arr.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


class DigitStore:
    """The digits kept in ``folder`` (made when the first one is added)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the index
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DigitnetError(
                    f"cannot create the folder {self.folder}: {exc.strerror or exc}"
                ) from None
            if fcntl is None:
                yield
                return
            try:
                handle = open(self.folder / LOCK, "a")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise DigitnetError(f"cannot write in {self.folder}: {exc.strerror}") from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
            finally:
                handle.close()

    def entries(self) -> list[Entry]:
        """Every digit, oldest first. A missing index is an empty store; a damaged one is a
        DigitnetError in one sentence."""
        path = self.folder / INDEX
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("not an index of your digits")
            out = []
            for item in data["digits"]:
                entry = Entry(
                    id=check_id(item["id"]),
                    label=int(item["label"]),
                    model=None if item.get("model") is None else str(item["model"]),
                    answer=None if item.get("answer") is None else int(item["answer"]),
                    added=str(item["added"]),
                    width=int(item["width"]),
                    height=int(item["height"]),
                )
                if not 0 <= entry.label <= 9:
                    raise ValueError(f"label {entry.label}")
                out.append(entry)
            return out
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DigitnetError(f"the index of your digits, {path}, is damaged ({exc})") from None

    def _write_index(self, entries: list[Entry]) -> None:
        data = {"format": FORMAT, "version": VERSION, "digits": [asdict(e) for e in entries]}
        with atomic_write(self.folder / INDEX) as tmp:
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")

    def get(self, digit_id: str) -> Entry:
        """The digit with this id; a DigitnetError if there is none."""
        check_id(digit_id)
        for entry in self.entries():
            if entry.id == digit_id:
                return entry
        raise DigitnetError(f"there is no digit {digit_id} among your digits")

    # ------------------------------------------------------------------ changes
    def add(
        self,
        original: NDArray[np.floating] | NDArray[np.uint8],
        prepared: NDArray[np.floating],
        label: int,
        model: str | None = None,
        answer: int | None = None,
    ) -> Entry:
        """Keep a digit: its original grey picture (uint8 or 0..1), the prepared 28x28 (0..1),
        its label, the model that read it and its answer (None: imported)."""
        if isinstance(label, bool) or not 0 <= int(label) <= 9:
            raise DigitnetError(f"a label must be a digit from 0 to 9, got {label!r}")
        pixels = to_uint8(original)
        small = to_uint8(prepared)
        if pixels.ndim != 2 or min(pixels.shape) < 1:
            raise DigitnetError(f"the original must be a grey picture, got shape {pixels.shape}")
        if small.shape != (28, 28):
            raise DigitnetError(f"the prepared digit must be 28x28, got shape {small.shape}")
        if max(pixels.shape) > MAX_SIDE:
            image = Image.fromarray(pixels, mode="L")
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
            pixels = np.asarray(image, np.uint8)
        with self._locked():
            entries = self.entries()
            if len(entries) >= MAX_DIGITS:
                raise DigitnetError(
                    f"you have {len(entries)} digits, the most kept; delete some first"
                )
            known = {e.id for e in entries}
            digit_id = secrets.token_hex(6)
            while digit_id in known:
                digit_id = secrets.token_hex(6)
            entry = Entry(
                id=digit_id,
                label=int(label),
                model=model,
                answer=None if answer is None else int(answer),
                added=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                width=int(pixels.shape[1]),
                height=int(pixels.shape[0]),
            )
            written: list[Path] = []
            try:
                for name, data in ((entry.original_file, pixels), (entry.prepared_file, small)):
                    with atomic_write(self.folder / name) as tmp:
                        tmp.write_bytes(png_bytes(data))
                    written.append(self.folder / name)
                self._write_index([*entries, entry])
            except BaseException:
                for path in written:
                    path.unlink(missing_ok=True)
                raise
        return entry

    def delete(self, digit_id: str) -> Entry:
        """Forget a digit and delete its files; a DigitnetError if there is none."""
        check_id(digit_id)
        with self._locked():
            entries = self.entries()
            gone = [e for e in entries if e.id == digit_id]
            if not gone:
                raise DigitnetError(f"there is no digit {digit_id} among your digits")
            self._write_index([e for e in entries if e.id != digit_id])
            for name in (gone[0].original_file, gone[0].prepared_file):
                (self.folder / name).unlink(missing_ok=True)
        return gone[0]

    # ------------------------------------------------------------------ reading
    def _read_png(self, name: str) -> NDArray[np.uint8]:
        path = self.folder / name
        try:
            with Image.open(path) as image:
                return np.asarray(image.convert("L"), np.uint8)
        except (OSError, ValueError) as exc:
            raise DigitnetError(f"{path} cannot be read ({exc})") from None

    def original(self, entry: Entry) -> NDArray[np.uint8]:
        """The original grey picture of a digit, uint8."""
        return self._read_png(entry.original_file)

    def original_png(self, entry: Entry) -> bytes:
        """The original picture's PNG file, as it is on disk."""
        try:
            return (self.folder / entry.original_file).read_bytes()
        except OSError as exc:
            raise DigitnetError(f"{entry.original_file} cannot be read ({exc})") from None

    def prepared(self, entry: Entry) -> NDArray[np.uint8]:
        """The prepared 28x28 digit, uint8 0..255."""
        pixels = self._read_png(entry.prepared_file)
        if pixels.shape != (28, 28):
            raise DigitnetError(f"{entry.prepared_file} is not 28x28")
        return pixels

    def dataset(
        self, entries: list[Entry] | None = None
    ) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
        """The prepared digits (n, 28, 28) uint8 and their labels (n,)."""
        entries = self.entries() if entries is None else entries
        images = np.zeros((len(entries), 28, 28), np.uint8)
        for i, entry in enumerate(entries):
            images[i] = self.prepared(entry)
        return images, np.array([e.label for e in entries], np.int64)

    def describe(self, entry: Entry) -> dict[str, Any]:
        """An entry as JSON values."""
        return asdict(entry)
