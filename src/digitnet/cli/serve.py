"""``digitnet serve``: the web page that shows the network think, on a local server.

FastAPI and uvicorn are imported only when the command runs, so ``digitnet --help`` stays fast.
"""

from __future__ import annotations

import argparse
import errno
import socket
import threading
import time
import urllib.request
import webbrowser
from typing import Any

from digitnet.cli.common import add_model_argument, model_of, require
from digitnet.errors import DigitnetError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``digitnet serve``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="open the web page: draw a digit and watch the network think",
        description="Serve the digitnet page (draw, see every neuron, examples, train and "
        "save models) and open it in the browser. The JSON API is described in docs/api.md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0 makes the page reachable from other "
                   "machines)")  # fmt: skip
    p.add_argument("--port", type=int, default=8000, help="port to listen on (0 = any free)")
    add_model_argument(p)
    p.add_argument("--models-dir", default=None,
                   help="folder for models saved from the page (default $DIGITNET_MODELS or "
                   "~/.local/share/digitnet/models)")  # fmt: skip
    p.add_argument("--workers", type=int, default=1,
                   help="processes that answer requests (more serve a class faster; training "
                   "runs keep one owner, see docs/deploy.md)")  # fmt: skip
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a DigitnetError in one sentence if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a kept-alive connection waits ~40 ms for
    # the client's delayed ACK between a response's headers and its body (Nagle's algorithm).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise DigitnetError(
                f"port {port} on {host} is already in use; stop the other server or choose "
                f"another with --port"
            ) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise DigitnetError(
                f"not allowed to listen on port {port}; use --port 8000 or higher"
            ) from None
        raise DigitnetError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def page_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("localhost" if host == "::" else host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def run(args: argparse.Namespace) -> int:
    """Start the server; return its exit code (2 for a problem a person can fix)."""
    require("serve", "fastapi", "uvicorn")
    if not 0 <= args.port <= 65535:
        raise DigitnetError(f"--port must be 0 to 65535, got {args.port}")
    from digitnet.web.workers import MAX_WORKERS

    if not 1 <= args.workers <= MAX_WORKERS:
        raise DigitnetError(f"--workers must be 1 to {MAX_WORKERS}, got {args.workers}")
    if args.workers > 1:
        return _run_workers(args)
    import uvicorn

    from digitnet.web.app import create_app

    app = create_app(model=model_of(args), models_dir=args.models_dir)
    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    url = page_url(args.host, port)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if not server.started:
            return
        print(f"digitnet is serving the page at {url} (Ctrl+C to stop)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


def _answers(url: str) -> bool:
    """Whether the page at ``url`` answers (asked directly, never through a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + "api/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _run_workers(args: argparse.Namespace) -> int:
    """Serve with ``args.workers`` processes (uvicorn's multi-process mode); the training runs
    stay in this one."""
    from digitnet.web.app import create_app
    from digitnet.web.workers import serve_workers

    model = model_of(args)
    create_app(model=model, models_dir=args.models_dir)  # a wrong --model says so here, once
    sock = _bind(args.host, args.port)
    url = page_url(args.host, sock.getsockname()[1])

    def announce(stopped: threading.Event) -> None:
        while not stopped.is_set() and not _answers(url):
            stopped.wait(0.1)
        if stopped.is_set():
            return
        print(
            f"digitnet is serving the page at {url} with {args.workers} worker processes "
            "(Ctrl+C to stop)",
            flush=True,
        )
        if not args.no_browser:
            webbrowser.open(url)

    try:
        serve_workers(sock, args.workers, model, args.models_dir, announce)
    finally:
        sock.close()
    return 0
