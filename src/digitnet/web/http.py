"""The API's HTTP plumbing: the answers to refused requests and the body size limit.

Every refused request gets ``{"error": "one sentence"}`` with a 4xx status: 400 for a body
that is missing, cannot be read as JSON (broken syntax, bytes that are not UTF-8, nesting
too deep for the parser, a number with too many digits) or is not a JSON object, 413 for one
over the limit, 422 for wrong values; a 404 or 405 from the router says which path or method
was not found. The endpoints declare their bodies as FastAPI body parameters (so
``/api/openapi.json`` describes them); :func:`validation_error` and :func:`http_error` turn
FastAPI's answers to a bad body into these sentences. No body makes a 500: should anything
else go wrong, :func:`internal_error` still answers one sentence (and uvicorn logs why).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from digitnet.web.errors import ApiError

MAX_BODY_BYTES = 1_000_000
LOG = logging.getLogger("digitnet.web")

NO_BODY = "the request needs a JSON body"
NOT_JSON = "the request body is not valid JSON"
NOT_OBJECT = "the request body must be a JSON object"
NOT_JSON_TYPE = "the request body must be JSON, sent as Content-Type: application/json"
TOO_DEEP = "the request body is nested too deeply to be read"
TOO_MANY_DIGITS = "the request body holds a number with too many digits to be read"
INTERNAL = "the server failed to answer this request (its log says why)"
#: Longest sentence sent back (a field name or value quoted in it may be long).
MAX_MESSAGE = 240
#: FastAPI's words for a body it could not decode (bytes that are not text).
UNPARSED = "There was an error parsing the body"
#: Errors pydantic gives for a body that is not an object (a list, a string, null, bytes).
NOT_AN_OBJECT = frozenset({"model_attributes_type", "model_type", "dict_type"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Problem = Mapping[str, Any]


class ErrorBody(BaseModel):
    """Every refused request's answer: one sentence saying why."""

    error: str


#: The 4xx answers as the OpenAPI schema shows them (in place of FastAPI's ``detail`` list).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Refused, with one sentence saying why"}
}


# ---------------------------------------------------------------------- request bodies
def clean(message: str) -> str:
    """``message`` cut to ``MAX_MESSAGE`` characters, lone surrogates (from ``"\\ud800"`` in a
    body) escaped, so that it can always be sent as UTF-8 JSON."""
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "\u2026"
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def _part(p: object) -> str:
    text = str(p)
    return text if len(text) <= 40 else text[:39] + "\u2026"


def sentence(errors: Sequence[Problem]) -> str:
    """The first validation problem as one sentence: ``field: what is wrong``."""
    if not errors:
        return "the request is not valid"
    err = errors[0]
    loc = ".".join(_part(p) for p in err.get("loc", ()) if p not in ("body",))
    msg = str(err.get("msg", "is not valid"))
    if err.get("type") == "extra_forbidden":
        msg = "is not a known field"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{loc}: {msg}{more}" if loc else f"{msg}{more}"


def _in_body(error: Problem) -> bool:
    return tuple(error.get("loc", ()))[:1] == ("body",)


def body_problem(error: Problem, body: Any) -> str | None:
    """The 400 sentence for a body that is missing, not JSON or not a JSON object (``body``
    is what FastAPI made of it); None for a problem with the body's values."""
    kind = error.get("type")
    if kind == "json_invalid":  # only ever for a body with bytes in it
        return NO_BODY if isinstance(body, str) and body and not body.strip() else NOT_JSON
    if tuple(error.get("loc", ())) != ("body",):
        return None
    if kind == "missing":
        return NO_BODY
    if kind in NOT_AN_OBJECT:
        return NOT_JSON_TYPE if isinstance(body, bytes) else NOT_OBJECT
    return None


def unparsed(cause: BaseException | None) -> str:
    """The 400 sentence for a body the JSON parser gave up on, from the parser's exception."""
    if isinstance(cause, RecursionError):
        return TOO_DEEP  # e.g. [[[[... a hundred thousand deep
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        return TOO_MANY_DIGITS  # Python reads integers of at most 4,300 digits
    return NOT_JSON  # broken syntax, bytes that are not UTF-8


# ---------------------------------------------------------------------- error handlers
def refuse(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The answer to a refused request: ``{"error": message}``."""
    return JSONResponse({"error": clean(message)}, status_code=status, headers=headers)


async def api_error(_: Request, exc: ApiError) -> JSONResponse:
    return refuse(exc.status, exc.message)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        message = f"there is no {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 400 and exc.detail == UNPARSED:
        message = unparsed(exc.__cause__)  # FastAPI raises it "from" the parser's exception
    else:
        message = str(exc.detail)
    return refuse(exc.status_code, message, exc.headers)


async def too_deep(request: Request, exc: RecursionError) -> JSONResponse:
    """A nesting too deep for Python wherever it was met (the parser's is caught above); one
    line in the log, in case it was not the body's."""
    LOG.warning("%s %s: %s; answered 400", request.method, request.url.path, exc)
    return refuse(400, TOO_DEEP)


async def internal_error(_: Request, exc: Exception) -> JSONResponse:
    """The last resort: an unexpected failure still answers one sentence (no request is
    known to get here; uvicorn logs the exception, so that it can be fixed)."""
    return refuse(500, INTERNAL)


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """400 for a body that is missing, not JSON or not an object; else 422 for the first
    wrong value. Problems with the path or query come first, as they did before the body
    was read."""
    errors = list(exc.errors())
    params = [e for e in errors if not _in_body(e)]
    problem = None if params or not errors else body_problem(errors[0], exc.body)
    if problem is not None:
        return refuse(400, problem)
    return refuse(422, sentence(params or errors))


def install_error_handlers(app: FastAPI) -> None:
    """Make every error an ``{"error": "..."}`` JSON answer."""
    app.exception_handler(ApiError)(api_error)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(RecursionError)(too_deep)
    app.exception_handler(Exception)(internal_error)


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
