"""The page on a free local port, in a thread of this process, for whatever drives it with a
browser or HTTP: digitnet's tests, its page benchmarks, a notebook. Also the way digitnet's
own tests and benchmarks start Debian's headless Chromium (``playwright install`` cannot
download browsers everywhere; ``$DIGITNET_CHROMIUM`` names another binary)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digitnet.web.app import create_app

#: The Chromium binary, and the flags that run it headless in a container without a GPU.
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


@contextmanager
def serve_in_thread(models_dir: Path, start_within: float = 20.0) -> Iterator[str]:
    """``digitnet serve``'s app on a real uvicorn server on a free port of 127.0.0.1, in a
    thread; yields its base URL and stops it afterwards. RuntimeError if it does not start
    within ``start_within`` seconds."""
    import uvicorn

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
    deadline = time.monotonic() + start_within
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the page's server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
