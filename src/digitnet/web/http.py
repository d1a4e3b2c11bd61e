"""The API's HTTP plumbing: reading JSON bodies, the body size limit and the error handlers.

Every refused request gets ``{"error": "one sentence"}`` with a 4xx status: 400 for a body
that is not JSON, 413 for one over the limit, 422 for wrong values; a 404 or 405 from the
router says which path or method was not found.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from digitnet.web.errors import ApiError

MAX_BODY_BYTES = 1_000_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
T = TypeVar("T", bound=BaseModel)


# ---------------------------------------------------------------------- request bodies
def sentence(exc: ValidationError | RequestValidationError) -> str:
    """The first validation problem as one sentence: ``field: what is wrong``."""
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    err = errors[0]
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
    msg = str(err.get("msg", "is not valid"))
    if err.get("type") == "extra_forbidden":
        msg = "is not a known field"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{loc}: {msg}{more}" if loc else f"{msg}{more}"


async def read_body(request: Request, model: type[T]) -> T:
    """Parse the request's JSON body into ``model``; 400 for non-JSON, 422 for bad values."""
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "the request needs a JSON body")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, sentence(exc)) from None


# ---------------------------------------------------------------------- error handlers
async def api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        message = f"there is no {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return JSONResponse({"error": message}, status_code=exc.status_code)


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"error": sentence(exc)}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error an ``{"error": "..."}`` JSON answer."""
    app.exception_handler(ApiError)(api_error)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(RequestValidationError)(validation_error)


# ---------------------------------------------------------------------- body size limit
class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, by Content-Length and by count."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": f"the request body is larger than the limit of {self.limit:,} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _declared_too_big(self, scope: Scope) -> bool:
        """Whether the Content-Length header already says the body is over the limit."""
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    if int(value) > self.limit:
                        return True
                except ValueError:
                    pass
        return False

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it grows over the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        if self._declared_too_big(scope):
            await self._refuse(send)
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
