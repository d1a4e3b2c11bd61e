"""Shared fixtures. Browser tests use Debian's Chromium through pytest-playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("DIGITNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' own digitnet cache folder ($DIGITNET_CACHE, inherited by the commands they
    run), so that they neither read nor fill the user's ~/.cache/digitnet."""
    before = os.environ.get("DIGITNET_CACHE")
    os.environ["DIGITNET_CACHE"] = str(tmp_path_factory.mktemp("digitnet-cache"))
    yield
    if before is None:
        del os.environ["DIGITNET_CACHE"]
    else:
        os.environ["DIGITNET_CACHE"] = before


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (``playwright install`` cannot download browsers here)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium`")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
        "headless": True,
    }


@contextmanager
def running_server(models_dir: Path) -> Iterator[str]:
    """``digitnet serve``'s app on a real uvicorn server, on a free port of 127.0.0.1, in a
    thread; yields its base URL and stops it afterwards."""
    import uvicorn

    from digitnet.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        create_app(models_dir=models_dir), host="127.0.0.1", port=port, log_level="warning"
    )
    config.timeout_graceful_shutdown = 2
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
