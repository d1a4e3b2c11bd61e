"""Writing files safely: check where a file goes before any work, then write it atomically.

Every file digitnet writes (model files, pictures, reports) goes first to a temporary file in
the same folder, which is renamed over the target only when complete: a file is either whole
or untouched, never half-written.
"""

from __future__ import annotations

import os
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


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, give it a
    new file's usual permissions and rename it to ``path``, else delete it."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
