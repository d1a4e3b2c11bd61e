"""Saving into a full disk or a read-only folder fails with one sentence, leaves nothing
half-written, and the server goes on.

A 64 KiB tmpfs is the full disk and a read-only bind mount the read-only folder; both need
root (the tests skip without it). The shipped ``wide`` network (7 MB) cannot fit.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from digitnet.cli import main
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write, write_error
from digitnet.network import Network

FULL = "the disk is full"
READ_ONLY = "is on a read-only file system"


def mount(*args: str) -> None:
    """Run ``mount ARGS``; skip the test if this machine does not let us."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root ({done.stderr.strip()})")


def unmount(folder: Path) -> None:
    """Unmount ``folder``; a file a library left open (torch does, on failure) is closed by
    the garbage collector first, and a lazy unmount is the last resort."""
    for attempt in range(3):
        if attempt == 1:
            gc.collect()
        lazy = ["-l"] if attempt == 2 else []
        if subprocess.run(["umount", *lazy, str(folder)], capture_output=True).returncode == 0:
            return


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KiB tmpfs: the wide network cannot fit in it."""
    folder = tmp_path / "full"
    folder.mkdir()
    mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        unmount(folder)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A read-only bind mount of an empty folder."""
    source, folder = tmp_path / "source", tmp_path / "read-only"
    source.mkdir()
    folder.mkdir()
    mount("--bind", "-o", "ro", str(source), str(folder))
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY == 0:
            pytest.skip("this kernel made the bind mount writable")
        yield folder
    finally:
        unmount(folder)


def one_sentence(message: str) -> None:
    assert "\n" not in message.strip() and "Errno" not in message and "Traceback" not in message
    assert message.count(". ") == 0, message


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


# ---------------------------------------------------------------------- the CLI
@pytest.mark.parametrize(
    "argv",
    [
        ("export", "wide", "-o", "{folder}/wide.npz"),
        ("export", "wide", "-o", "{folder}/wide.onnx"),
        ("show", "weights", "video", "-o", "{folder}/weights.png"),
    ],
    ids=["export npz", "export onnx", "show weights"],
)
def test_the_cli_says_the_disk_is_full(
    full: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    if "onnx" in argv[-1]:
        pytest.importorskip("onnx")
    argv = tuple(a.format(folder=full) for a in argv)
    code, err = run_cli(capsys, *argv)
    assert code == 2
    assert err == f"digitnet: error: cannot write {argv[-1]}: {FULL}\n"
    one_sentence(err)
    assert list(full.iterdir()) == []  # no temporary file, no partial file


def test_export_to_pytorch_on_a_full_disk(full: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """torch.save fails with a RuntimeError that does not say why: the free space does."""
    pytest.importorskip("torch")
    code, err = run_cli(capsys, "export", "wide", "-o", str(full / "wide.pt"))
    assert (code, err) == (2, f"digitnet: error: cannot write {full / 'wide.pt'}: {FULL}\n")
    assert list(full.iterdir()) == []


@pytest.mark.slow
def test_a_report_on_a_full_disk(full: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = full / "report.html"
    code, err = run_cli(capsys, "report", "video", "-o", str(out), "--no-features", "-q")
    assert (code, err) == (2, f"digitnet: error: cannot write {out}: {FULL}\n")
    assert list(full.iterdir()) == []


@pytest.mark.parametrize("name", ["wide.npz", "weights.png"])
def test_the_cli_says_the_folder_is_read_only(
    read_only: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = read_only / name
    if name.endswith(".npz"):
        code, err = run_cli(capsys, "export", "wide", "-o", str(out))
    else:
        code, err = run_cli(capsys, "show", "weights", "video", "-o", str(out))
    assert (code, err) == (2, f"digitnet: error: cannot write {out}: {read_only} {READ_ONLY}\n")
    one_sentence(err)
    assert list(read_only.iterdir()) == []


# ---------------------------------------------------------------------- Python
def test_saving_a_model_on_a_full_disk_keeps_the_old_file(full: Path) -> None:
    path = full / "net.safetensors"
    small = Network([784, 10], seed=1)
    small.save(path)
    before = path.read_bytes()
    with pytest.raises(DigitnetError, match=f"^cannot write {path}: {FULL}$") as error:
        Network.load("wide").save(path)
    one_sentence(str(error.value))
    assert path.read_bytes() == before  # the old model is whole
    assert [p.name for p in full.iterdir()] == ["net.safetensors"]  # and alone
    assert Network.load(path).sizes == [784, 10]


def test_saving_a_model_into_a_read_only_folder(read_only: Path) -> None:
    path = read_only / "wide.safetensors"
    message = f"^cannot write {path}: {read_only} {READ_ONLY}$"
    with pytest.raises(DigitnetError, match=message):
        Network.load("video").save(path)
    assert list(read_only.iterdir()) == []


def test_atomic_write_on_a_full_disk(full: Path) -> None:
    with pytest.raises(DigitnetError, match=FULL), atomic_write(full / "big.bin") as tmp:
        tmp.write_bytes(bytes(200_000))
    assert list(full.iterdir()) == []
    with atomic_write(full / "small.bin") as tmp:  # the disk has room again
        tmp.write_bytes(bytes(1000))
    assert [p.name for p in full.iterdir()] == ["small.bin"]


def test_write_errors_in_words() -> None:
    path = Path("models") / "net.safetensors"
    quota = write_error(path, OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert str(quota) == f"cannot write {path}: the disk quota is exhausted"
    denied = write_error(path, PermissionError(errno.EACCES, "Permission denied"))
    assert str(denied) == f"cannot write {path}: there is no permission to write in models"
    rust = RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")
    assert str(write_error(path, rust)) == f"cannot write {path}: {FULL}"
    assert write_error(path, OSError(errno.EIO, "I/O error")) is None  # not a person's to fix
    assert write_error(path, KeyboardInterrupt()) is None


# ---------------------------------------------------------------------- the web page
def saving_client(models_dir: Path, net: Network) -> tuple[object, SimpleNamespace]:
    """A test client of the app whose run ``r1`` has finished with ``net``."""
    from fastapi.testclient import TestClient

    from digitnet.web.app import create_app
    from digitnet.web.routes import runs

    app = create_app(models_dir=models_dir)
    run = SimpleNamespace(id="r1", net=net, status="done", saved_as=None)
    app.dependency_overrides[runs.find_run] = lambda: run
    return TestClient(app), run


def test_the_page_saving_on_a_full_disk(full: Path) -> None:
    client, run = saving_client(full, Network.load("wide"))
    answer = client.post("/api/runs/r1/save", json={"name": "big"})  # type: ignore[attr-defined]
    path = full / "big.safetensors"
    assert answer.status_code == 507
    assert answer.json() == {"error": f"cannot write {path}: {FULL}"}
    assert list(full.iterdir()) == []
    assert client.get("/api/health").status_code == 200  # type: ignore[attr-defined]
    run.net = Network([784, 10], seed=1)  # a small network still fits: the server goes on
    answer = client.post("/api/runs/r1/save", json={"name": "small"})  # type: ignore[attr-defined]
    assert answer.status_code == 201, answer.text
    assert [p.name for p in full.iterdir()] == ["small.safetensors"]


def test_the_page_saving_into_a_read_only_folder(read_only: Path) -> None:
    client, _ = saving_client(read_only / "models", Network.load("video"))
    answer = client.post("/api/runs/r1/save", json={"name": "net"})  # type: ignore[attr-defined]
    assert answer.status_code == 507
    assert answer.json() == {
        "error": f"cannot create the models folder {read_only / 'models'}: read-only file system"
    }
    client, _ = saving_client(read_only, Network.load("video"))
    answer = client.post("/api/runs/r1/save", json={"name": "net"})  # type: ignore[attr-defined]
    path = read_only / "net.safetensors"
    assert answer.status_code == 507
    assert answer.json() == {"error": f"cannot write {path}: {read_only} {READ_ONLY}"}
    assert list(read_only.iterdir()) == []
    assert client.get("/api/health").status_code == 200  # type: ignore[attr-defined]
