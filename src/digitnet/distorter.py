"""Distorting training images in a process of its own, on the other core.

Distorting 60,000 digits takes more CPU than the video's network takes to learn from them, so
:mod:`digitnet.batches` prepares them while training goes on. A thread cannot do that work
beside the training thread: the training thread makes a few dozen small NumPy calls per
mini-batch, each holding Python's lock, and the two threads ran no faster together than one
after the other. A :class:`Distorter` is a second Python process (``python -m
digitnet.distorter``) with a lock of its own:

- the training images are copied once into memory both processes map (a ``memfd`` on Linux,
  an unlinked temporary file elsewhere): nothing is pickled, nothing is left on disk;
- each request is a chunk's rows and its mini-batches' distortions, written down a pipe as
  ``.npy`` arrays (``allow_pickle=False``); the process distorts those images with
  :func:`digitnet.augment.distort` into a result area both processes map, and answers;
- the images come out the same bit for bit as :func:`~digitnet.augment.distort` gives in this
  process: the same code runs on the same numbers, each mini-batch's elastic field spread on
  its own, with one BLAS thread.

Any trouble (no ``fork``/``exec``, the process cannot start, dies or answers nonsense) makes
:meth:`Distorter.distort` raise :class:`DistorterGone`, and the caller distorts in its own
process as before. ``DIGITNET_DISTORT_PROCESS=0`` turns the process off.
"""

from __future__ import annotations

import mmap
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np
from numpy.typing import NDArray

from digitnet.augment import Distortion, distort

SIZE = 784
#: The environment variable that turns the process off (``0``), e.g. to compare both ways.
SWITCH = "DIGITNET_DISTORT_PROCESS"
#: The optional arrays of a :class:`Distortion`, in the order they are sent.
_OPTIONAL = ("control", "displacement", "stretch")
#: Seconds to wait for the process to end after its pipe is closed, before killing it.
_GRACE = 5.0


class DistorterGone(RuntimeError):
    """The distorting process cannot do the work (it never started, died or misbehaved)."""


def enabled() -> bool:
    """Whether a process may be used here: a POSIX system, and not turned off."""
    return os.name == "posix" and os.environ.get(SWITCH, "1") != "0"


def _shared(size: int) -> int:
    """A file descriptor of ``size`` bytes of memory a child process can map."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("digitnet-distorter")
    else:  # pragma: no cover - macOS and BSDs
        handle = tempfile.TemporaryFile()
        fd = os.dup(handle.fileno())
        handle.close()
    os.ftruncate(fd, size)
    return fd


def _environment() -> dict[str, str]:
    """The process's environment: one BLAS thread, and this digitnet found first."""
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    environment["MKL_NUM_THREADS"] = "1"
    here = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(
        [here, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    )
    return environment


def _write_arrays(stream: IO[bytes], arrays: list[NDArray[np.generic]]) -> None:
    """Arrays in the ``.npy`` format, down a pipe (``np.save`` would ask a pipe its position)."""
    fmt = np.lib.format
    for array in arrays:
        array = np.ascontiguousarray(array)
        fmt.write_array_header_1_0(stream, fmt.header_data_from_array_1_0(array))
        stream.write(array.data.cast("B"))
    stream.flush()


def _read_array(stream: BinaryIO) -> NDArray[np.generic]:
    """One array written by :func:`_write_arrays` (``np.load`` wants a file it can seek in)."""
    fmt = np.lib.format
    version = fmt.read_magic(stream)
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream)
    if dtype.hasobject or fortran_order:
        raise ValueError("only plain arrays are sent")
    size = int(np.prod(shape)) * dtype.itemsize
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the pipe closed in the middle of an array")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


class Distorter:
    """A process that distorts chunks of ``images`` ``(n, 784)`` float32, at most
    ``chunk_size`` images at a time. Not thread-safe: one thread sends its requests.
    Always :meth:`close` it."""

    def __init__(self, images: NDArray[np.float32], chunk_size: int) -> None:
        self.chunk_size = chunk_size
        #: The process (kept after :meth:`close`, to see how it ended).
        self.process: subprocess.Popen[bytes] | None = None
        self._running = False
        fds: list[int] = []
        try:
            data = np.ascontiguousarray(images, dtype=np.float32)
            if data.ndim != 2 or data.shape[1] != SIZE:
                raise ValueError(f"images must be (n, {SIZE}), not {data.shape}")
            image_fd = _shared(max(data.nbytes, 1))
            fds.append(image_fd)
            with os.fdopen(os.dup(image_fd), "wb") as out:
                out.write(data.data.cast("B"))
            result_fd = _shared(chunk_size * SIZE * 4)
            fds.append(result_fd)
            self._result_map = mmap.mmap(result_fd, chunk_size * SIZE * 4, prot=mmap.PROT_READ)
            requests_read, requests_write = os.pipe()
            fds += [requests_read, requests_write]
            answers_read, answers_write = os.pipe()
            fds += [answers_read, answers_write]
            child_fds = (image_fd, result_fd, requests_read, answers_write)
            environment = _environment()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "digitnet.distorter", *map(str, child_fds), str(len(data))],
                pass_fds=child_fds,
                env=environment,
                stdin=subprocess.DEVNULL,  # it speaks only through its own pipes
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
            self._running = True
            self._requests = os.fdopen(os.dup(requests_write), "wb")
            self._answers = os.fdopen(os.dup(answers_read), "rb")
        except (OSError, ValueError) as exc:
            self.close()
            raise DistorterGone(f"the distorting process could not start ({exc})") from exc
        finally:
            for fd in fds:
                os.close(fd)

    def distort(
        self, rows: NDArray[np.intp], distortion: Distortion, batch_size: int
    ) -> NDArray[np.float32]:
        """The images at ``rows`` distorted by ``distortion`` (its elastic field, if any, as
        control points, each ``batch_size`` images spread on their own): a new array, the
        same bit for bit as ``distort(images[rows], ...)`` in this process."""
        n = len(rows)
        if not self._running or n > self.chunk_size:
            raise DistorterGone("the distorting process is not running")
        d = distortion
        present = [getattr(d, name) is not None for name in _OPTIONAL]
        header = np.array([n, batch_size, *present], dtype=np.int64)
        arrays: list[NDArray[np.generic]] = [header, np.asarray(rows, dtype=np.int64)]
        arrays += [d.angle, d.scale, d.shift_x, d.shift_y, d.stroke]
        arrays += [getattr(d, name) for name in _OPTIONAL if getattr(d, name) is not None]
        try:
            _write_arrays(self._requests, arrays)
            answer = _read_array(self._answers)
        except (OSError, ValueError, EOFError) as exc:
            self.close()
            raise DistorterGone(f"the distorting process stopped ({exc})") from exc
        if answer.shape != (1,) or int(answer[0]) != n:
            self.close()
            raise DistorterGone("the distorting process could not distort these images")
        result = np.frombuffer(self._result_map, dtype=np.float32, count=n * SIZE)
        return result.reshape(n, SIZE).copy()

    def close(self) -> None:
        """End the process (closing its pipe ends it; it is killed if it hangs)."""
        process = self.process if self._running else None
        self._running = False
        for name in ("_requests", "_answers"):
            stream = getattr(self, name, None)
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if process is not None:
            try:
                process.wait(_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        result_map = getattr(self, "_result_map", None)
        if result_map is not None:
            result_map.close()


def _serve(image_fd: int, result_fd: int, requests_fd: int, answers_fd: int, n: int) -> None:
    """The process's loop: answer requests until the pipe closes."""
    image_map = mmap.mmap(image_fd, max(n * SIZE * 4, 1), prot=mmap.PROT_READ)
    images = np.frombuffer(image_map, dtype=np.float32, count=n * SIZE).reshape(n, SIZE)
    result_size = os.fstat(result_fd).st_size
    result_map = mmap.mmap(result_fd, result_size)
    result = np.frombuffer(result_map, dtype=np.float32)
    with os.fdopen(requests_fd, "rb") as requests, os.fdopen(answers_fd, "wb") as answers:
        while requests.peek(1):
            header = _read_array(requests)
            count, batch_size, *present = (int(v) for v in header)
            rows = _read_array(requests)
            angle, scale, shift_x, shift_y, stroke = (_read_array(requests) for _ in range(5))
            optional = {
                name: _read_array(requests) if there else None
                for name, there in zip(_OPTIONAL, present, strict=True)
            }
            whole = Distortion(angle, scale, shift_x, shift_y, stroke, **optional)  # type: ignore[arg-type]
            try:
                out = result[: count * SIZE].reshape(count, SIZE)
                distort(images[rows], whole.spread(batch_size), out=out)
                done = count
            except Exception:  # the parent redoes it and sees the error itself
                done = -1
            _write_arrays(answers, [np.array([done], dtype=np.int64)])


def _main(args: list[str]) -> int:
    # Ctrl-C is the parent's to handle: it closes the pipe, which ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _serve(*(int(arg) for arg in args[:5]))
    except (OSError, ValueError, EOFError):  # the parent went away or sent nonsense
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
