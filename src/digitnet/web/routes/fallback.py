"""Every ``/api/...`` request no other route answers: 405 when the path exists under other
methods, else 404 naming the method and the path.

:func:`install` adds it to the app itself, after the routers, so that it only catches what
they leave. It answers the 405 itself rather than leaving it to Starlette, whose ``Allow``
header names only the methods of the first route with that path (``PUT /api/runs`` would be
told ``GET`` but not ``POST``); here ``Allow`` names every method the path takes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def allowed_methods(request: Request) -> list[str]:
    """The methods the app's other routes take on the request's path."""
    routes = [r for r in request.app.router.routes if getattr(r, "endpoint", None) is not unknown]
    allowed = []
    for method in METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


async def unknown(rest: str, request: Request) -> Response:
    """405 if the path takes other methods, else 404."""
    allowed = allowed_methods(request)
    if allowed:
        raise HTTPException(405, headers={"Allow": ", ".join(allowed)})
    return JSONResponse({"error": f"there is no endpoint {request.method} /api/{rest}"}, 404)


def install(app: FastAPI) -> None:
    """Answer every ``/api/...`` request the routes already added leave: call it last."""
    app.add_api_route("/api/{rest:path}", unknown, methods=METHODS, include_in_schema=False)
