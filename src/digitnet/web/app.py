"""The ASGI application behind ``digitnet serve``: the page and its JSON API.

:func:`create_app` builds it from the routers in :mod:`digitnet.web.routes`. Every endpoint
is described in ``docs/api.md``. Errors are ``{"error": "one sentence"}`` with a 4xx status:
400 for a body that is not JSON, 413 for a body over :data:`MAX_BODY_BYTES`, 404 for an
unknown model, neuron, example, run or endpoint, 409 for a name already taken or a run with
nothing to save, 429 for a training run when the queue is full, 405 for a method a path does
not take, and 422 for a well-formed request with wrong values (image size, pixel values,
settings). The OpenAPI schema at ``/api/openapi.json`` describes every endpoint and every
request body.

Every answer carries ``X-Digitnet-Worker``: the id of the process that answered it. With
``digitnet serve --workers N`` the workers hand the training runs' requests to the one process
that owns them (:mod:`digitnet.web.forward`, :mod:`digitnet.web.workers`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from digitnet.version import __version__
from digitnet.web.features import NeuronFeatures
from digitnet.web.forward import RunsForwarder
from digitnet.web.http import (
    ERROR_RESPONSES,
    MAX_BODY_BYTES,
    ASGIApp,
    BodyLimit,
    Message,
    Receive,
    Scope,
    Send,
    install_error_handlers,
)
from digitnet.web.models import ModelStore
from digitnet.web.routes import (
    beyond,
    digits,
    examples,
    fallback,
    knobs,
    models,
    numbers,
    page,
    predict,
    replay,
    runs,
    teaching,
)
from digitnet.web.routes.page import STATIC
from digitnet.web.runs import RunManager

__all__ = ["MAX_BODY_BYTES", "STATIC", "create_app"]


def _preload() -> None:
    try:
        from digitnet.data import load_mnist

        load_mnist()
    except Exception:  # noqa: BLE001 - the endpoints that need MNIST report the problem
        pass


class WorkerHeader:
    """Says which process answered: ``X-Digitnet-Worker: <pid>`` on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        worker = (b"x-digitnet-worker", str(os.getpid()).encode())

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), worker]}
            await send(message)

        await self.app(scope, receive, send_marked)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Read MNIST in the background at start-up; stop the training runs at shutdown."""
    if app.state.preload:  # so the first example needn't wait
        threading.Thread(target=_preload, name="digitnet-load-mnist", daemon=True).start()
    yield
    manager: RunManager = app.state.runs
    await run_in_threadpool(manager.stop_all, 2.0)


def create_app(
    model: str = "video",
    models_dir: str | Path | None = None,
    max_body: int = MAX_BODY_BYTES,
    *,
    runs_socket: str | None = None,
    preload: bool = True,
) -> FastAPI:
    """The FastAPI app: the page at ``/``, its files under ``/static``, the API under ``/api``.

    ``model`` is the model the page starts with (``video``, ``wide``, a saved model's name or
    a ``.safetensors`` file); ``models_dir`` is where models saved from the page go. With
    ``runs_socket`` the training runs belong to the app serving that unix socket, and every
    request under ``/api/runs`` goes there. ``preload`` reads MNIST at start-up.
    """
    store = ModelStore(models_dir, model)
    app = FastAPI(
        title="digitnet",
        version=__version__,
        description="See inside the network of 3Blue1Brown's 'But what is a neural network?'",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        # A JSON body sent without a Content-Type header is read as JSON, as it always was.
        strict_content_type=False,
    )
    app.state.store = store
    app.state.runs = RunManager()
    app.state.max_body = max_body
    app.state.features = NeuronFeatures()
    app.state.preload = preload
    if runs_socket:  # innermost: after the body limit
        app.add_middleware(RunsForwarder, socket_path=runs_socket)
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(WorkerHeader)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        page,
        models,
        predict,
        numbers,
        examples,
        runs,
        knobs,
        digits,
        teaching,
        beyond,
        replay,
    ):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    fallback.install(app)  # last: it answers the /api/... requests the routers leave
    return app
