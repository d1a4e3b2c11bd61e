"""How fast does ``digitnet serve`` read drawings when a whole classroom draws at once?

    python benchmarks/serve_load.py                        # about a minute
    python benchmarks/serve_load.py --clients 1 30 --duration 10 --training-clients 30
    python benchmarks/serve_load.py --workers 2            # digitnet serve --workers 2
    python benchmarks/serve_load.py --server uvicorn       # create_app() on plain uvicorn
    python benchmarks/serve_load.py --pixels list --steps  # the old request: 12,544 numbers

Starts ``digitnet serve --no-browser --port 0`` in a subprocess (127.0.0.1 only, a temporary
models folder), then sends it the page's own request, ``POST /api/predict`` with a 112x112
drawing (by default as the page sends it: ``pixels_b64`` and ``"steps": false``), from N
concurrent clients for a fixed time each: idle with every N of ``--clients``, then with every
N of ``--training-clients`` while a training run (the ``page`` preset) goes on. Each client
keeps one HTTP/1.1 connection open and sends its next request as soon as the answer is in.
``--server uvicorn`` serves the same app (:func:`~digitnet.web.app.create_app`) on a socket
uvicorn makes itself, for comparison with ``digitnet serve``'s own.

The drawings are mouse-like strokes from :mod:`digitnet.synthetic` (white on black, like the
page's pad), one per request in turn, so that no two consecutive requests are the same; only
those the server reads right when it is idle are kept, so that every answer can be checked: a
``wrong`` answer is a 200 whose digit is not the expected one, an ``error`` anything else
(another status, a broken connection, a time-out). The client is a few lines of asyncio
streams, not httpx, so that it costs the two cores it shares with the server as little as
possible. Prints a Markdown table: requests per second, p50 and p99 latency, the CPU time the server
(with its worker processes) spent per request, errors, wrong
answers. Timings are noisy on shared machines: compare rows from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from digitnet.synthetic import stroke_digit

SIZE = 112  # the page sends its drawing as 112x112 grey pixels
PEN = 112 / 13  # the page's pen: a thirteenth of the pad, in pixels of the 112x112 picture
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 60.0
WARM_UP = 2.0  # seconds of load before the first row
TRAINING_RUN = {"preset": "page", "epochs": 100}  # the Learn tab's run, long enough to last


# ---------------------------------------------------------------------- the server
def serve_help() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "digitnet", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout


#: ``--server uvicorn``: the app of ``digitnet serve`` (``create_app``) on uvicorn's own socket.
UVICORN = """
import sys, threading, time, uvicorn
from digitnet.web.app import create_app
server = uvicorn.Server(uvicorn.Config(create_app(models_dir=sys.argv[1]), host="127.0.0.1",
                                       port=0, log_level="warning"))
def announce():
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    print(f"serving at http://127.0.0.1:{port}/", flush=True)
threading.Thread(target=announce, daemon=True).start()
server.run()
"""


def start_server(models_dir: str, workers: int, kind: str) -> tuple[subprocess.Popen[str], str]:
    """The server on a free port of 127.0.0.1: its process and base URL."""
    if kind == "uvicorn":
        command = [sys.executable, "-c", UVICORN, models_dir]
    else:
        command = [sys.executable, "-m", "digitnet", "serve", "--no-browser", "--host"]
        command += ["127.0.0.1", "--port", "0", "--models-dir", models_dir]
    if workers:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    line = ""
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if "http://" in line:
                return proc, line[line.index("http://") :].split()[0].rstrip("/")
    stop_server(proc)
    raise SystemExit(f"the server did not start in {START_TIMEOUT:.0f} s: {line.strip()!r}")


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
    """A small JSON request with urllib (for starting and following the training run)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return json.loads(response.read())


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and all its descendants that
    are still running, from /proc (0.0 where there is no /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    return sum(times.get(p, 0.0) for p in tree)


# ---------------------------------------------------------------------- the requests
def drawings(count: int, seed: int) -> list[tuple[int, np.ndarray]]:
    """``count`` drawn digits (label, uint8 112x112, ink bright), each digit in turn."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        digit = i % 10
        height = SIZE * rng.uniform(0.55, 0.8)
        image = stroke_digit(digit, rng, size=SIZE, pen=PEN / height, invert=True)
        out.append((digit, np.asarray(image, np.uint8)))
    return out


def predict_body(image: np.ndarray, pixels: str, steps: bool) -> dict[str, Any]:
    """The page's request for a drawing: ``pixels_b64`` (or the old list of numbers)."""
    h, w = image.shape
    body: dict[str, Any] = {"width": w, "height": h, "model": "video"}
    if pixels == "b64":
        body["pixels_b64"] = base64.b64encode(image.tobytes()).decode("ascii")
    else:
        body["pixels"] = image.reshape(-1).tolist()
    if steps or pixels == "b64":  # the old page sent no `steps` (and got the pictures)
        body["steps"] = steps
    return body


def http_request(host: str, port: int, body: dict[str, Any]) -> bytes:
    data = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST /api/predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode("ascii") + data


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; the answer's status and body."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(
        (k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in lines[1:] if h)
    )
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    chunks = []  # chunked transfer encoding
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        chunks.append(await reader.readexactly(size + 2))
        if size == 0:
            return status, b"".join(c[:-2] for c in chunks)


# ---------------------------------------------------------------------- the load
@dataclass
class Result:
    scenario: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wrong: int = 0
    note: str = ""
    cpu: float = math.nan  # CPU seconds the server used during the scenario

    def row(self) -> str:
        lat = sorted(self.latencies)
        n = len(lat)
        p50 = statistics.median(lat) * 1000 if lat else math.nan
        p99 = lat[max(0, math.ceil(0.99 * n) - 1)] * 1000 if lat else math.nan
        rate = n / self.seconds if self.seconds else 0.0
        cpu = f"{self.cpu / n * 1000:.2f}" if n and math.isfinite(self.cpu) else "–"
        return (
            f"| {self.scenario} | {self.clients} | {n} | {rate:.0f} | {p50:.1f} | "
            f"{p99:.1f} | {cpu} | {self.errors} | {self.wrong} |"
        )


HEADER = (
    "| scenario | clients | requests | requests/s | p50 ms | p99 ms | server CPU ms per request "
    "| errors | wrong |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


async def client(
    host: str, port: int, work: list[tuple[int, bytes]], start: int, until: float, out: Result
) -> None:
    """One person drawing: a request, its answer, the next request, until ``until``."""
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    i = start
    while time.perf_counter() < until:
        expected, request = work[i % len(work)]
        i += 1
        began = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            status, body = await asyncio.wait_for(exchange(*conn, request), REQUEST_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            out.errors += 1
            if conn is not None:
                conn[1].close()
            conn = None
            await asyncio.sleep(0.05)
            continue
        took = time.perf_counter() - began
        if status != 200:
            out.errors += 1
            continue
        out.latencies.append(took)
        try:
            if json.loads(body)["digit"] != expected:
                out.wrong += 1
        except (ValueError, KeyError, TypeError):
            out.wrong += 1
    if conn is not None:
        conn[1].close()


async def load(
    host: str, port: int, work: list[tuple[int, bytes]], clients: int, seconds: float, out: Result
) -> None:
    began = time.perf_counter()
    until = began + seconds
    spread = max(1, len(work) // max(clients, 1))
    await asyncio.gather(
        *(client(host, port, work, k * spread, until, out) for k in range(clients))
    )
    out.seconds = time.perf_counter() - began


def calibrate(url: str, images: list[tuple[int, np.ndarray]], args: Any) -> list[int]:
    """The drawings the idle server reads as their digit (so every answer can be checked)."""
    kept = []
    for k, (digit, image) in enumerate(images):
        answer = call(url + "/api/predict", "POST", predict_body(image, args.pixels, args.steps))
        if answer["digit"] == digit:
            kept.append(k)
    return kept


def run_training(url: str, host: str, port: int, work: Any, args: Any) -> list[Result]:
    """Every ``--training-clients`` load while a training run goes on."""
    run = call(url + "/api/runs", "POST", TRAINING_RUN)
    results = []
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while call(f"{url}/api/runs/{run['id']}")["events"] < 2:  # training has begun
            if time.monotonic() > deadline:
                raise SystemExit("the training run did not start")
            time.sleep(0.1)
        for n in args.training_clients:
            before = call(f"{url}/api/runs/{run['id']}")
            result = Result("during training", n)
            asyncio.run(load(host, port, work, n, args.duration, result))
            after = call(f"{url}/api/runs/{run['id']}")
            if after["status"] != "running":
                result.note = f"the run ended ({after['status']}) during the measurement"
            else:
                result.note = f"training went on: {after['events'] - before['events']} events"
            results.append(result)
    finally:
        call(f"{url}/api/runs/{run['id']}/stop", "POST")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--clients", type=int, nargs="*", default=[1, 10, 30, 100], help="idle scenarios")
    add("--training-clients", type=int, nargs="*", default=[30], help="during a training run")
    add("--duration", type=float, default=5.0, help="seconds per scenario")
    add("--drawings", type=int, default=60, help="distinct drawings to send")
    add("--seed", type=int, default=0)
    add("--pixels", choices=["b64", "list"], default="b64", help="b64: as the page sends")
    add("--steps", action="store_true", help="ask for the step pictures (the page: if shown)")
    add("--server", choices=["serve", "uvicorn"], default="serve", help="see above")
    add("--workers", type=int, default=0, help="digitnet serve --workers N")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600 or any(not 1 <= n <= 1000 for n in args.clients):
        parser.error("--duration is 1..600 seconds and --clients 1..1000")
    if args.workers and (args.server != "serve" or "--workers" not in serve_help()):
        print(f"(no --workers option in this server: --workers {args.workers} ignored)")
        args.workers = 0

    images = drawings(args.drawings, args.seed)
    with tempfile.TemporaryDirectory() as models_dir:
        proc, url = start_server(models_dir, args.workers, args.server)
        try:
            host, port_text = url.removeprefix("http://").rsplit(":", 1)
            port = int(port_text)
            kept = calibrate(url, images, args)
            if not kept:
                raise SystemExit("the server read none of the drawings right")
            bodies = [predict_body(images[k][1], args.pixels, args.steps) for k in kept]
            pairs = zip(kept, bodies, strict=True)
            work = [(images[k][0], http_request(host, port, b)) for k, b in pairs]
            warm = Result("warm-up", 4)  # not shown: the first requests of a new server
            asyncio.run(load(host, port, work, 4, WARM_UP, warm))
            results = []
            for n in args.clients:
                result = Result("idle", n)
                cpu = tree_cpu(proc.pid)
                asyncio.run(load(host, port, work, n, args.duration, result))
                result.cpu = tree_cpu(proc.pid) - cpu
                results.append(result)
            if args.training_clients:
                results += run_training(url, host, port, work, args)
        finally:
            stop_server(proc)

    server = "uvicorn with `create_app()`" if args.server == "uvicorn" else "`digitnet serve`"
    if args.workers:
        server = f"`digitnet serve --workers {args.workers}`"
    size = len(json.dumps(bodies[0], separators=(",", ":")))
    encoding = "pixels_b64" if args.pixels == "b64" else "a list of numbers"
    print(
        f"\n`python {' '.join(sys.argv)}`: server {server}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"{len(kept)} of {len(images)} drawings kept (read right when idle); request body "
        f"{size:,} bytes ({encoding}, steps {'on' if args.steps else 'off'}); "
        f"{args.duration:g} s per row.\n"
    )
    print(HEADER)
    for result in results:
        print(result.row())
    for result in results:
        if result.note:
            print(f"\n{result.scenario}, {result.clients} clients: {result.note}.")


if __name__ == "__main__":
    main()
