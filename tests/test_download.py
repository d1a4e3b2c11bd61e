"""Downloading MNIST, against a local HTTP server (never the internet)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from digitnet import data, download
from digitnet.data import load_mnist
from digitnet.download import FILES, download_mnist
from digitnet.errors import DataError, DigitnetError
from digitnet.idx import read_idx

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@dataclass
class Server:
    """A local web server over ``root``; ``requests`` lists the paths asked for."""

    root: Path
    port: int
    requests: list[str] = field(default_factory=list)

    def url(self, folder: str) -> str:
        return f"http://127.0.0.1:{self.port}/{folder}/"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path.startswith("/short/"):
                # Announce the whole good file but send only half of it, then hang up.
                body = (root / "good" / Path(self.path).name).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                return
            super().do_GET()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Server(root, httpd.server_address[1], requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def idx_bytes(array: np.ndarray) -> bytes:
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 8, array.ndim]) + dims + array.astype(np.uint8).tobytes()


def small_mnist(seed: int = 0) -> dict[str, bytes]:
    """The uncompressed contents of a 20 + 5 image dataset in MNIST's four files."""
    rng = np.random.default_rng(seed)
    return {
        FILES[0]: idx_bytes(rng.integers(0, 256, (20, 28, 28))),
        FILES[1]: idx_bytes(rng.integers(0, 10, 20)),
        FILES[2]: idx_bytes(rng.integers(0, 256, (5, 28, 28))),
        FILES[3]: idx_bytes(rng.integers(0, 10, 5)),
    }


GOOD = small_mnist()
SUMS = {name: hashlib.sha256(content).hexdigest() for name, content in GOOD.items()}


def publish(server: Server, folder: str, how: str = "good") -> str:
    """Serves the small dataset under /folder/, spoilt as ``how`` says; returns its URL."""
    target = server.root / folder
    target.mkdir()
    other = small_mnist(seed=1)
    for name, content in GOOD.items():
        packed = gzip.compress(content, mtime=0)
        if how == "corrupt":  # a flipped bit in the middle of the compressed data
            spoilt = bytearray(packed)
            spoilt[len(spoilt) // 2] ^= 0x10
            packed = bytes(spoilt)
        elif how == "truncated":  # the file ends early, and the server says so honestly
            packed = packed[: len(packed) * 2 // 3]
        elif how == "other":  # a perfectly good gzip file of the wrong content
            packed = gzip.compress(other[name], mtime=0)
        elif how == "raw":  # not compressed at all
            packed = content
        (target / f"{name}.gz").write_bytes(packed)
    return server.url(folder)


def assert_cached_intact(cache: Path) -> None:
    """The cache holds exactly the four good files and no temporary leftovers."""
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{name}.gz" for name in FILES)
    for name, content in GOOD.items():
        assert gzip.decompress((cache / f"{name}.gz").read_bytes()) == content
    np.testing.assert_array_equal(
        read_idx(cache / f"{FILES[1]}.gz"), np.frombuffer(GOOD[FILES[1]][8:], np.uint8)
    )


def fetched(server: Server, folder: str) -> list[str]:
    return [path for path in server.requests if path.startswith(f"/{folder}/")]


def test_download_into_an_empty_cache(server: Server, tmp_path: Path) -> None:
    good = publish(server, "good")
    cache = tmp_path / "cache" / "mnist"
    assert download_mnist(cache, [good], progress=False, checksums=SUMS) == cache
    assert_cached_intact(cache)
    assert sorted(server.requests) == sorted(f"/good/{name}.gz" for name in FILES)
    mnist = load_mnist(cache)
    assert (len(mnist.train), len(mnist.test)) == (20, 5)


@pytest.mark.parametrize("how", ["corrupt", "truncated", "other", "raw"])
def test_a_bad_first_mirror_is_rejected_and_the_next_one_used(
    server: Server, tmp_path: Path, how: str
) -> None:
    bad, good = publish(server, "bad", how), publish(server, "good")
    cache = tmp_path / "cache"
    download_mnist(cache, [bad, good], progress=False, checksums=SUMS)
    assert_cached_intact(cache)
    assert len(fetched(server, "bad")) == 4
    assert len(fetched(server, "good")) == 4


def test_a_connection_cut_short_is_rejected(server: Server, tmp_path: Path) -> None:
    good = publish(server, "good")
    cache = tmp_path / "cache"
    download_mnist(cache, [server.url("short"), good], progress=False, checksums=SUMS)
    assert_cached_intact(cache)
    assert len(fetched(server, "short")) == 4


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_when_every_mirror_fails_the_error_lists_each(server: Server, tmp_path: Path) -> None:
    mirrors = [
        server.url("nothing-here"),
        publish(server, "corrupt", "corrupt"),
        publish(server, "other", "other"),
        server.url("short"),
        f"http://127.0.0.1:{closed_port()}/mnist",
        "not a url",
    ]
    publish(server, "good")  # only the "short" handler reads it
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as error:
        download_mnist(cache, mirrors, progress=False, checksums=SUMS)
    message = str(error.value)
    assert message.startswith(f"could not download {FILES[0]}.gz from any mirror")
    assert "HTTP 404" in message
    assert "not valid gzip data" in message
    assert "SHA-256" in message
    assert "received" in message and "bytes announced" in message
    assert "refused" in message.lower()
    assert "unknown url type" in message
    for url in mirrors:
        assert url.rstrip("/") + f"/{FILES[0]}.gz" in message
    assert list(cache.iterdir()) == []  # nothing bad was kept, no temporary files left


def test_cached_files_are_not_fetched_again(server: Server, tmp_path: Path) -> None:
    good = publish(server, "good")
    cache = tmp_path / "cache"
    download_mnist(cache, [good], progress=False, checksums=SUMS)
    assert len(server.requests) == 4
    download_mnist(cache, [good], progress=False, checksums=SUMS)
    assert len(server.requests) == 4
    # A cached file that went bad is fetched again, and only that one.
    (cache / f"{FILES[2]}.gz").write_bytes(b"\x1f\x8b garbage")
    download_mnist(cache, [good], progress=False, checksums=SUMS)
    assert server.requests[4:] == [f"/good/{FILES[2]}.gz"]
    assert_cached_intact(cache)


def test_files_already_in_the_cache_uncompressed_count(server: Server, tmp_path: Path) -> None:
    good = publish(server, "good")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILES[1]).write_bytes(GOOD[FILES[1]])
    download_mnist(cache, [good], progress=False, checksums=SUMS)
    assert f"/good/{FILES[1]}.gz" not in server.requests
    assert len(server.requests) == 3


def test_progress_bars_go_to_stderr_only_when_asked(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = publish(server, "good")
    download_mnist(tmp_path / "quiet", [good], progress=False, checksums=SUMS)
    assert capsys.readouterr().err == ""
    download_mnist(tmp_path / "loud", [server.url("short"), good], checksums=SUMS)
    err = capsys.readouterr().err
    assert f"{FILES[0]}.gz" in err
    assert "could not download" in err  # the failed mirror is reported as it happens


def test_checksums_must_cover_every_file(tmp_path: Path) -> None:
    with pytest.raises(DigitnetError, match=FILES[0]):
        download_mnist(tmp_path, ["http://127.0.0.1:9/"], progress=False, checksums={})


def test_real_mnist_is_downloaded_verified_and_loaded_when_not_bundled(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = server.root / "mnist"
    real.mkdir()
    for name in FILES:
        shutil.copyfile(data._BUNDLED_DIR / f"{name}.gz", real / f"{name}.gz")
    monkeypatch.setattr(download, "MIRRORS", [server.url("missing"), server.url("mnist")])
    monkeypatch.setattr(data, "_BUNDLED_DIR", tmp_path / "not-installed")
    monkeypatch.setenv("DIGITNET_CACHE", str(tmp_path / "cache-root"))
    cache = tmp_path / "cache-root" / "mnist"

    mnist = load_mnist()  # checked against the real MNIST checksums while downloading
    assert mnist.source == str(cache)
    assert mnist.train.images.shape == (60_000, 28, 28)
    assert np.bincount(mnist.train.labels).tolist() == TRAIN_COUNTS
    assert len(fetched(server, "mnist")) == 4
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{name}.gz" for name in FILES)

    load_mnist()
    assert len(fetched(server, "mnist")) == 4  # the cache is used, nothing is downloaded

    # A cache file that went bad is noticed by its checksum and downloaded again.
    labels = cache / f"{FILES[1]}.gz"
    labels.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    with pytest.raises(DataError, match="SHA-256"):
        load_mnist(download=False)
    assert np.bincount(load_mnist().train.labels).tolist() == TRAIN_COUNTS
    assert fetched(server, "mnist")[4:] == [f"/mnist/{FILES[1]}.gz"]


def test_the_download_command(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from digitnet.cli import main

    real = server.root / "mnist"
    real.mkdir()
    for name in FILES:
        shutil.copyfile(data._BUNDLED_DIR / f"{name}.gz", real / f"{name}.gz")
    cache = tmp_path / "cache"
    assert main(["download", "--cache-dir", str(cache), "--mirror", server.url("mnist")]) == 0
    assert "60,000 training and 10,000 test images" in capsys.readouterr().out
    assert len(fetched(server, "mnist")) == 4
    # Every mirror broken: one clear sentence, exit code 2.
    code = main(["download", "--cache-dir", str(tmp_path / "c2"), "--mirror", server.url("nope")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("digitnet: error: ") and "Traceback" not in err
