"""Handing ``/api/runs...`` to the one process that owns the training runs.

With ``digitnet serve --workers N`` (N > 1) every worker process answers predictions itself,
but training runs need a single owner, so that a run started through one connection can be
seen, followed and stopped through any other. The owner is the ``digitnet serve`` process:
it serves the same app on a private unix socket. :class:`RunsForwarder`, in each worker,
sends every request under ``/api/runs`` there (as HTTP/1.0, so the answer simply ends when
the connection closes) and streams the answer back as it comes, server-sent events included.
"""

from __future__ import annotations

import asyncio
import json

from digitnet.web.http import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/api/runs"
#: Seconds to wait for the owner to begin its answer.
ANSWER_SECONDS = 30.0
CHUNK = 65536
#: Headers that belong to one connection, not to the request or answer carried.
REQUEST_DROP = frozenset(
    {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"te",
     b"upgrade", b"proxy-connection", b"trailer"}
)  # fmt: skip
ANSWER_DROP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"server", b"date",
     b"x-digitnet-worker"}
)  # fmt: skip
GONE = "the server that runs the training does not answer; restart digitnet serve"


def forwarded(path: str) -> bool:
    """Whether a request for ``path`` belongs to the training runs' owner."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def request_head(scope: Scope, length: int) -> bytes:
    """The HTTP/1.0 request line and headers that carry this request to the owner."""
    target = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"")
    if query:
        target += b"?" + query
    lines = [scope["method"].encode("ascii") + b" " + target + b" HTTP/1.0"]
    lines += [k + b": " + v for k, v in scope.get("headers", []) if k.lower() not in REQUEST_DROP]
    lines += [b"host: digitnet-runs", b"content-length: " + str(length).encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def answer_head(head: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and headers of the owner's answer (ValueError if it is not HTTP)."""
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError("not an HTTP answer")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() not in ANSWER_DROP:
            headers.append((name.strip().lower(), value.strip()))
    return int(parts[1]), headers


async def refuse(send: Send, status: int, message: str) -> None:
    """Answer ``{"error": message}`` with ``status``."""
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes | None:
    """The request's body (None if the client went away first)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _pump(reader: asyncio.StreamReader, send: Send) -> None:
    """Pass the answer's body on as it comes, until the owner closes the connection."""
    while True:
        try:
            chunk = await reader.read(CHUNK)
        except OSError:
            chunk = b""
        if not chunk:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _client_gone(receive: Receive) -> None:
    """Return when the client disconnects."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return


class RunsForwarder:
    """ASGI middleware: requests under ``/api/runs`` go to the owner on ``socket_path``."""

    def __init__(self, app: ASGIApp, socket_path: str) -> None:
        self.app = app
        self.socket_path = socket_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not forwarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return
        try:
            reader, writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            await refuse(send, 503, GONE)
            return
        try:
            writer.write(request_head(scope, len(body)) + body)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_SECONDS)
            status, headers = answer_head(head)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError):  # fmt: skip
            writer.close()
            await refuse(send, 503, GONE)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        pump = asyncio.ensure_future(_pump(reader, send))
        gone = asyncio.ensure_future(_client_gone(receive))
        try:
            await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, gone):
                task.cancel()
            writer.close()
        if pump.done() and not pump.cancelled() and pump.exception() is not None:
            return  # the client went away while the answer streamed: nothing more to do
