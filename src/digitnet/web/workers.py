"""``digitnet serve --workers N``: predictions spread over N worker processes, training runs
with one owner.

Predictions keep no state between requests, so uvicorn's own multi-process mode
(:class:`uvicorn.supervisors.Multiprocess`) can hand each connection to any of N workers
sharing the listening socket. Training runs are different: their queue, their events and
their processes must live in one place. :func:`serve_workers` keeps them in the
``digitnet serve`` process itself, which serves the same app
(:func:`~digitnet.web.app.create_app`) on a private unix socket, and starts the workers with
:func:`create_worker_app`, whose :class:`~digitnet.web.forward.RunsForwarder` sends every
request under ``/api/runs`` to that socket. So a run started through any connection is seen,
followed (server-sent events), stopped, cancelled and saved through any other.

The workers learn their settings from the environment (``DIGITNET_SERVE_MODEL``,
``DIGITNET_SERVE_MODELS_DIR``, ``DIGITNET_SERVE_RUNS_SOCKET``), which :func:`serve_workers`
sets before starting them.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from digitnet.errors import DigitnetError
from digitnet.web.app import create_app

ENV_MODEL = "DIGITNET_SERVE_MODEL"
ENV_MODELS_DIR = "DIGITNET_SERVE_MODELS_DIR"
ENV_RUNS_SOCKET = "DIGITNET_SERVE_RUNS_SOCKET"
#: The workers' app, as uvicorn imports it in each worker process.
WORKER_APP = "digitnet.web.workers:create_worker_app"
MAX_WORKERS = 32
START_SECONDS = 30.0


def create_worker_app() -> FastAPI:
    """One worker's app, configured by the environment :func:`serve_workers` sets."""
    return create_app(
        model=os.environ.get(ENV_MODEL) or "video",
        models_dir=os.environ.get(ENV_MODELS_DIR) or None,
        runs_socket=os.environ.get(ENV_RUNS_SOCKET) or None,
    )


def serve_workers(
    sock: socket.socket,
    workers: int,
    model: str,
    models_dir: str | Path | None,
    on_ready: Callable[[threading.Event], None] | None = None,
) -> None:
    """Serve on the listening ``sock`` with ``workers`` processes until SIGINT or SIGTERM.

    ``on_ready`` is called in a thread of its own once the training runs' owner is up and the
    workers are starting, with an event set when the server stops.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    folder = tempfile.mkdtemp(prefix="digitnet-serve-")  # only this user may enter it
    path = os.path.join(folder, "runs.sock")
    owner = uvicorn.Server(
        uvicorn.Config(
            create_app(model=model, models_dir=models_dir, preload=False),
            uds=path,
            http="h11",
            log_level="warning",
            timeout_graceful_shutdown=3,
        )
    )
    thread = threading.Thread(target=owner.run, name="digitnet-runs-owner", daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not owner.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise DigitnetError("the server for the training runs did not start")
            time.sleep(0.02)
        os.environ[ENV_MODEL] = model
        os.environ[ENV_MODELS_DIR] = str(models_dir or "")
        os.environ[ENV_RUNS_SOCKET] = path
        config = uvicorn.Config(
            WORKER_APP,
            factory=True,
            workers=workers,
            log_level="warning",
            timeout_graceful_shutdown=3,
        )
        supervisor = Multiprocess(config, sockets=[sock])
        if on_ready is not None:
            threading.Thread(target=on_ready, args=(supervisor.should_exit,), daemon=True).start()
        supervisor.run()
    finally:
        owner.should_exit = True
        thread.join(10)
        shutil.rmtree(folder, ignore_errors=True)
