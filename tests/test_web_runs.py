"""Training runs from the page: each in a process of its own, one at a time, with a queue of
four behind it (429 past that), positions, cancelling, and a clean end when the server stops."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from digitnet.web.app import create_app
from digitnet.web.runs import MAX_WAITING, exit_reason

TINY_RUN = {"layers": [784, 16, 10], "epochs": 1, "limit": 1000, "validation_size": 500}
SLOW_RUN = {**TINY_RUN, "layers": [784, 64, 10], "epochs": 50, "limit": 50_000}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(models_dir=tmp_path / "models")) as c:
        yield c


def wait_for(client: TestClient, run_id: str, *states: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in states:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not become {states} in {timeout} s")


def sse_events(client: TestClient, run_id: str) -> list[dict[str, Any]]:
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        assert response.status_code == 200
        return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def one_sentence(response: httpx.Response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and 5 < len(body["error"]) < 300
    assert body["error"].count(". ") == 0 and "\n" not in body["error"]
    for word in words:
        assert word in body["error"], body["error"]
    return str(body["error"])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_run_trains_in_a_process_of_its_own_and_can_be_saved(
    client: TestClient, tmp_path: Path
) -> None:
    run = client.post("/api/runs", json={**TINY_RUN, "epochs": 2}).json()
    assert run["status"] == "running" and run["position"] is None
    pid = client.app.state.runs.get(run["id"]).pid  # type: ignore[attr-defined]
    assert pid is not None and pid != os.getpid()
    events = sse_events(client, run["id"])
    assert [e["type"] for e in events][0] == "started" and events[-1]["type"] == "done"
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == [1, 2]
    done = wait_for(client, run["id"], "finished")
    assert len(done["history"]) == 2 and 0 < done["test_accuracy"] <= 1
    assert "weights" not in done["history"][0] and "progress" not in done["history"][0]
    saved = client.post(f"/api/runs/{run['id']}/save", json={"name": "child-net"})
    assert saved.status_code == 201, saved.text
    assert (tmp_path / "models" / "child-net.safetensors").is_file()
    assert saved.json()["model"]["test_accuracy"] == done["test_accuracy"]
    deadline = time.monotonic() + 10
    while alive(pid):  # the training process has ended and was reaped
        assert time.monotonic() < deadline, "the training process is still there"
        time.sleep(0.05)


def test_four_runs_wait_the_fifth_is_429_and_queued_runs_can_be_cancelled(
    client: TestClient,
) -> None:
    first = client.post("/api/runs", json=SLOW_RUN).json()
    assert first["status"] == "running"
    waiting = []
    for place in range(1, MAX_WAITING + 1):
        response = client.post("/api/runs", json=TINY_RUN)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued" and response.json()["position"] == place
        waiting.append(response.json()["id"])
    message = one_sentence(client.post("/api/runs", json=TINY_RUN), 429, "waiting")
    assert str(MAX_WAITING) in message
    listed = {r["id"]: r for r in client.get("/api/runs").json()["runs"]}
    assert len(listed) == 1 + MAX_WAITING  # the refused one left no trace
    assert [listed[i]["position"] for i in waiting] == [1, 2, 3, 4]

    # Cancel the second in the queue: the ones behind it move up.
    cancelled = client.post(f"/api/runs/{waiting[1]}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["position"] is None
    positions = [client.get(f"/api/runs/{i}").json()["position"] for i in waiting]
    assert positions == [1, None, 2, 3]
    events = sse_events(client, waiting[1])  # ends by itself
    assert [e["type"] for e in events] == ["queued", "cancelled"]
    assert events[0]["position"] == 2 and events[-1]["status"] == "cancelled"
    one_sentence(client.post(f"/api/runs/{waiting[1]}/save", json={"name": "x"}), 409, "cancelled")
    # Cancelling again changes nothing; there is room in the queue for one more.
    assert client.post(f"/api/runs/{waiting[1]}/cancel").json()["status"] == "cancelled"
    extra = client.post("/api/runs", json=TINY_RUN).json()
    assert extra["position"] == 4
    one_sentence(client.post("/api/runs", json=TINY_RUN), 429)
    # Stop also takes a queued run out; cancel stops a running one after its mini-batch.
    assert client.post(f"/api/runs/{waiting[2]}/stop").json()["status"] == "cancelled"
    for run_id in (waiting[3], extra["id"]):
        assert client.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelled"
    # A waiting run's followers hear of every move up the queue, then of its end.
    events = sse_events(client, waiting[3])
    assert [e.get("position") for e in events] == [4, 3, 2, None]
    assert events[-1]["type"] == "cancelled"
    client.post(f"/api/runs/{first['id']}/cancel")
    assert wait_for(client, first["id"], "stopped", "finished")["status"] == "stopped"
    # The one left waiting trains next.
    assert wait_for(client, waiting[0], "finished", "failed")["status"] == "finished"
    assert client.get(f"/api/runs/{waiting[0]}").json()["position"] is None


def test_cancel_an_unknown_run_is_404(client: TestClient) -> None:
    one_sentence(client.post("/api/runs/nope/cancel"), 404, "unknown training run")


def test_a_finished_run_stays_as_it_is_when_cancelled(client: TestClient) -> None:
    run = client.post("/api/runs", json=TINY_RUN).json()
    wait_for(client, run["id"], "finished")
    assert client.post(f"/api/runs/{run['id']}/cancel").json()["status"] == "finished"
    assert client.post(f"/api/runs/{run['id']}/stop").json()["status"] == "finished"


def test_stopping_the_server_ends_the_training_process(tmp_path: Path) -> None:
    with TestClient(create_app(models_dir=tmp_path)) as client:
        run = client.post("/api/runs", json=SLOW_RUN).json()
        queued = client.post("/api/runs", json=TINY_RUN).json()
        manager = client.app.state.runs  # type: ignore[attr-defined]
        pid = manager.get(run["id"]).pid
        wait_for(client, run["id"], "running")
    assert manager.get(queued["id"]).status == "cancelled"
    assert manager.get(run["id"]).finished
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, "the training process outlived the server"
        time.sleep(0.05)


def test_why_a_training_process_ended() -> None:
    assert exit_reason(-9) == "the training process ended unexpectedly (killed by signal 9)"
    assert exit_reason(3) == "the training process ended unexpectedly (exit status 3)"
    assert exit_reason(0) == "the training process ended unexpectedly"


@pytest.mark.browser
def test_the_learn_tab_shows_the_queue_and_cancels(tmp_path: Path, page: Any) -> None:
    """In a real browser: a run started while another trains says "queued, position 1"; its
    Cancel button takes it out of the queue."""
    from playwright.sync_api import expect

    from conftest import running_server

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with running_server(tmp_path) as url, httpx.Client(base_url=url, trust_env=False) as api:
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        first = api.post("/api/runs", json=SLOW_RUN).json()
        try:
            page.locator("#tab-learn").click()
            page.fill("input[name=layers]", "784,16,10")
            page.fill("input[name=epochs]", "1")
            page.locator("#train-start").click()
            status = page.locator("#train-status")
            expect(status).to_contain_text("Queued, position 1", timeout=10_000)
            expect(status).to_have_attribute("data-state", "queued")
            expect(page.locator("#train-stop")).to_be_disabled()
            expect(page.locator("#train-start")).to_be_disabled()
            page.locator("#train-cancel").click()
            expect(status).to_contain_text("Cancelled", timeout=10_000)
            expect(page.locator("#train-cancel")).to_be_hidden()
            expect(page.locator("#train-start")).to_be_enabled()
            runs = api.get("/api/runs").json()["runs"]
            assert [r["status"] for r in runs] == ["cancelled", "running"]
        finally:
            api.post(f"/api/runs/{first['id']}/stop")
    assert errors == []
