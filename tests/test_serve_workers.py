"""``digitnet serve --workers 2``: predictions answered by two worker processes, training runs
owned by one, so that a run started through one connection is seen and followed through any
other (a real ``digitnet serve`` on a free port of 127.0.0.1, stopped at the end)."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

TINY_RUN = {"layers": [784, 16, 10], "epochs": 2, "limit": 1000, "validation_size": 500}
WORKER = "x-digitnet-worker"


def drawing(**extra: Any) -> dict[str, Any]:
    """A vertical white stroke on black: a clear 1."""
    img = np.zeros((112, 112), np.uint8)
    img[18:94, 51:61] = 255
    return {"width": 112, "height": 112, "pixels": img.reshape(-1).tolist(), **extra}


def fresh(url: str) -> httpx.Client:
    """A client that opens a new connection for every request (so any worker may answer)."""
    return httpx.Client(
        base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0), trust_env=False
    )


def until_two_workers(
    url: str, ask: Callable[[httpx.Client], httpx.Response], timeout: float = 60
) -> dict[str, httpx.Response]:
    """Ask, on new connections, several at once, until two worker processes have answered;
    their answers by worker id."""
    seen: dict[str, httpx.Response] = {}
    deadline = time.monotonic() + timeout

    def once(_: int) -> httpx.Response:
        with fresh(url) as client:
            return ask(client)

    with ThreadPoolExecutor(8) as pool:
        while len(seen) < 2:
            assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered"
            for response in pool.map(once, range(16)):
                seen.setdefault(response.headers[WORKER], response)
    return seen


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``digitnet serve --workers 2``: its URL and its process id; stopped afterwards."""
    models = tmp_path_factory.mktemp("models")
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitnet", "serve", "--host", "127.0.0.1", "--port", "0",
         "--workers", "2", "--no-browser", "--models-dir", str(models)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "digitnet serve --workers 2 did not announce its page in 60 s"
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
        assert "2 worker processes" in line
        yield match.group(0), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise AssertionError("digitnet serve did not stop on SIGTERM in 20 s") from None


def test_predictions_are_answered_by_two_worker_processes(served: tuple[str, int]) -> None:
    url, parent = served
    answers = until_two_workers(url, lambda c: c.post("/api/predict", json=drawing()))
    assert parent not in {int(pid) for pid in answers}
    for response in answers.values():
        assert response.status_code == 200 and response.json()["digit"] == 1


def test_a_run_started_on_one_connection_is_followed_on_others(served: tuple[str, int]) -> None:
    url, _ = served
    with fresh(url) as client:
        started = client.post("/api/runs", json=TINY_RUN)
    assert started.status_code == 202, started.text
    run_id, starter = started.json()["id"], started.headers[WORKER]

    # Every worker knows the run.
    seen = until_two_workers(url, lambda c: c.get(f"/api/runs/{run_id}"))
    for response in seen.values():
        assert response.json()["id"] == run_id
    listed = until_two_workers(url, lambda c: c.get("/api/runs"))
    for response in listed.values():
        assert run_id in [r["id"] for r in response.json()["runs"]]

    # Its events, through a connection the other worker answers.
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while not events:
        assert time.monotonic() < deadline, "no other worker answered the event stream"
        with fresh(url) as client, client.stream("GET", f"/api/runs/{run_id}/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            if stream.headers[WORKER] == starter:
                continue
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "done" and kinds.count("epoch") == 2
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))

    # Saved through any worker, the network is there for every worker's predictions.
    with fresh(url) as client:
        saved = client.post(f"/api/runs/{run_id}/save", json={"name": "shared-net"})
    assert saved.status_code == 201, saved.text
    used = until_two_workers(
        url, lambda c: c.post("/api/predict", json=drawing(model="shared-net"))
    )
    for response in used.values():
        assert response.status_code == 200 and len(response.json()["layers"]) == 3


def test_the_queue_is_shared_too(served: tuple[str, int]) -> None:
    url, _ = served
    slow = {**TINY_RUN, "layers": [784, 64, 10], "epochs": 50, "limit": 50_000}
    with fresh(url) as client:
        first = client.post("/api/runs", json=slow).json()
        second = client.post("/api/runs", json=TINY_RUN).json()
        assert second["status"] == "queued" and second["position"] == 1
        waiting = until_two_workers(url, lambda c: c.get(f"/api/runs/{second['id']}"))
        assert {r.json()["position"] for r in waiting.values()} == {1}
        assert client.post(f"/api/runs/{second['id']}/cancel").json()["status"] == "cancelled"
        client.post(f"/api/runs/{first['id']}/stop")
        deadline = time.monotonic() + 30
        while client.get(f"/api/runs/{first['id']}").json()["status"] == "running":
            assert time.monotonic() < deadline, "the run did not stop"
            time.sleep(0.1)


def test_workers_must_be_at_least_one(capsys: pytest.CaptureFixture[str]) -> None:
    from digitnet.cli import main

    assert main(["serve", "--workers", "0", "--no-browser"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--workers must be 1 to" in err


def test_stopping_serve_ends_its_workers(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitnet", "serve", "--port", "0", "--workers", "2",
         "--no-browser", "--models-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "digitnet serve --workers 2 did not start"
        url = re.search(r"http://\S+/", proc.stdout.readline())
        assert url
        workers = {
            int(pid) for pid in until_two_workers(url.group(0), lambda c: c.get("/api/health"))
        }
        with fresh(url.group(0)) as client:
            run = client.post("/api/runs", json={**TINY_RUN, "epochs": 50, "limit": 50_000})
            assert run.status_code == 202
            deadline = time.monotonic() + 30
            while client.get(f"/api/runs/{run.json()['id']}").json()["events"] < 2:
                assert time.monotonic() < deadline, "the run did not begin"
                time.sleep(0.05)
        family = children(proc.pid)
        assert workers <= family and len(family) >= 3  # the workers and the training process
    finally:
        proc.terminate()
        proc.wait(30)
    deadline = time.monotonic() + 10
    for pid in family:
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{pid}"), f"process {pid} outlived digitnet serve"


def children(parent: int) -> set[int]:
    """The processes whose parent is ``parent`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found
