"""Writing files safely: check where a file goes before any work, then write it atomically.

Every file digitnet writes (model files, pictures, reports) goes first to a temporary file in
the same folder, flushed to the disk and renamed over the target only when complete: a file is
either whole or untouched, never half-written. A full disk, a read-only folder, an exhausted
quota or a folder without write permission is a :class:`DigitnetError` in one sentence, and
leaves neither a temporary file nor a partial target behind.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digitnet.errors import DigitnetError


def check_output(path: str | Path, suffixes: tuple[str, ...] = (), what: str = "file") -> Path:
    """``path`` as a Path, or a :class:`DigitnetError` in one sentence if it cannot be written:
    a wrong extension (when ``suffixes`` are given), a folder, or a folder that is missing."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise DigitnetError(
            f"cannot write {path.name}: a {what} must end in {' or '.join(suffixes)}, "
            f"not {path.suffix or 'nothing'}"
        )
    if path.is_dir():
        example = path / f"{what.replace(' ', '-')}{suffixes[0] if suffixes else ''}"
        raise DigitnetError(f"{path} is a folder; give a file name such as {example}")
    if not path.parent.exists():
        raise DigitnetError(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


#: The write errors a person can fix, in words (``{folder}`` is the target's folder).
WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file is larger than the file system allows",
    errno.EROFS: "{folder} is on a read-only file system",
    errno.EACCES: "there is no permission to write in {folder}",
    errno.EPERM: "there is no permission to write in {folder}",
}
#: How libraries written in Rust (safetensors) name the OS error behind theirs.
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


#: A writer that fails without saying why (PyTorch) failed for want of space below this.
FULL_BELOW = 1 << 20


def write_error(path: Path, exc: BaseException) -> DigitnetError | None:
    """The one-sentence :class:`DigitnetError` for ``exc`` raised while writing ``path``, if
    it is one of :data:`WRITE_ERRORS`; else None. Besides an OSError's errno, it reads the
    "(os error N)" that safetensors puts in its own exceptions, and takes any other failure
    of a writer on a disk with less than :data:`FULL_BELOW` bytes free for a full disk (call
    it before deleting what was written)."""
    if isinstance(exc, DigitnetError) or not isinstance(exc, Exception):
        return None
    code = exc.errno if isinstance(exc, OSError) else None
    if code is None and not isinstance(exc, OSError):
        found = _OS_ERROR.search(str(exc))
        code = int(found.group(1)) if found else _full(path.parent)
    if code not in WRITE_ERRORS:
        return None
    return DigitnetError(f"cannot write {path}: {WRITE_ERRORS[code].format(folder=path.parent)}")


def _full(folder: Path) -> int | None:
    """ENOSPC if the disk of ``folder`` has less than :data:`FULL_BELOW` bytes free."""
    try:
        free = os.statvfs(folder)
    except OSError:
        return None
    return errno.ENOSPC if free.f_bavail * free.f_frsize < FULL_BELOW else None


def _sync(path: Path) -> None:
    """Flush ``path`` to the disk, so that a crash after the rename cannot leave it empty."""
    fd = os.open(path, os.O_RDWR)  # Windows flushes only what is open for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, flush it to
    the disk, give it a new file's usual permissions and rename it to ``path``, else delete it.

    A full disk, a read-only file system, an exhausted quota or a missing write permission,
    whether creating the temporary file, in the block or when renaming, raises a
    :class:`DigitnetError` in one sentence ("cannot write FILE: the disk is full").
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        error = write_error(path, exc)
        if error is None and isinstance(exc, FileNotFoundError):
            error = DigitnetError(f"cannot write {path}: the folder {path.parent} does not exist")
        if error is None:
            raise
        raise error from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _sync(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException as exc:
        error = write_error(path, exc)  # before deleting: a full disk is still full
        tmp.unlink(missing_ok=True)
        if error is None:
            raise
        raise error from None
