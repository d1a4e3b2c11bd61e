"""The ``digitnet serve`` web page and its JSON API.

:func:`digitnet.web.app.create_app` builds the ASGI application (FastAPI) from the routers
in :mod:`digitnet.web.routes` (one per subject: page, models, predict, examples, runs); the
request bodies are in :mod:`digitnet.web.bodies`, the JSON/error plumbing in
:mod:`digitnet.web.http`. The page itself (HTML, CSS and JavaScript modules, no build step)
lives in ``static/`` and works offline.
"""

from __future__ import annotations


def __getattr__(name: str) -> object:
    # FastAPI loads only when the app is wanted, so `import digitnet.web` stays light.
    if name == "create_app":
        from digitnet.web.app import create_app

        return create_app
    raise AttributeError(f"module 'digitnet.web' has no attribute {name!r}")
