"""Knobs while it learns (`digitnet.knobs`): a run paused, stepped one mini-batch at a time and
resumed ends with the very same weights as the run never paused; a learning rate changed
mid-run takes effect at once and lands in the model file's history. Then the same through the
page's API (a run in its own process): pause, step, resume, rate, and the refusals."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from digitnet import Network
from digitnet.data import MNIST, load_mnist
from digitnet.errors import DigitnetError
from digitnet.knobs import Knobs, Position
from digitnet.recipe import Recipe
from digitnet.runner import run_recipe
from digitnet.web.app import create_app
from test_serve_workers import fresh, served, until_two_workers  # noqa: F401 - a fixture

SMALL = {
    "layers": [784, 16, 10],
    "epochs": 2,
    "limit": 2000,
    "validation_size": 500,
    "batch_size": 10,
}


@pytest.fixture(scope="module")
def mnist() -> MNIST:
    return load_mnist()


def recipe(**extra: Any) -> Recipe:
    return Recipe.preset("page", **{**SMALL, **extra})


def weights_of(net: Network) -> list[np.ndarray]:
    return [*net.weights, *net.biases]


def same(a: Network, b: Network) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(weights_of(a), weights_of(b), strict=True))


class Script:
    """Pauses the run at its ``pause_at``-th progress report, steps ``steps`` mini-batches and
    resumes, all from the training thread's callbacks (no timing involved)."""

    def __init__(self, knobs: Knobs, steps: int, pause_at: int = 1) -> None:
        self.knobs, self.steps, self.pause_at = knobs, steps, pause_at
        self.reports = 0
        self.halts: list[Position] = []
        knobs.on_halt = self.halted

    def on_batch(self, epoch: int, done: int, loss: float) -> None:
        self.reports += 1
        if self.reports == self.pause_at:
            self.knobs.pause()

    def halted(self, where: Position) -> None:
        self.halts.append(where)
        if len(self.halts) <= self.steps:
            self.knobs.step()
        else:
            self.knobs.resume()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_paused_stepped_and_resumed_ends_with_the_same_weights(
    mnist: MNIST, optimizer: str
) -> None:
    plain = run_recipe(recipe(optimizer=optimizer), mnist=mnist).net
    knobs = Knobs()
    script = Script(knobs, steps=4)
    paused = run_recipe(
        recipe(optimizer=optimizer), mnist=mnist, knobs=knobs, on_batch=script.on_batch
    ).net
    # It came to rest five times, one mini-batch further each time.
    assert len(script.halts) == 5
    assert [h.batch - script.halts[0].batch for h in script.halts] == [0, 1, 2, 3, 4]
    assert all(h.epoch == 1 and h.images == 10 * h.batch for h in script.halts)
    assert same(plain, paused)
    assert "learning_rate_changes" not in paused.metadata  # nothing changed


def test_paused_from_another_thread_while_it_trains(mnist: MNIST) -> None:
    """Pause and resume at whatever moments a second thread happens to act: same weights."""
    plain = run_recipe(recipe(), mnist=mnist).net
    knobs = Knobs()
    halts: list[Position] = []
    knobs.on_halt = halts.append
    done = threading.Event()

    def fiddle() -> None:
        while not done.is_set():
            knobs.pause()
            time.sleep(0.02)
            if knobs.paused:
                knobs.step()
                time.sleep(0.01)
            knobs.resume()
            time.sleep(0.01)

    thread = threading.Thread(target=fiddle, daemon=True)
    thread.start()
    try:
        fiddled = run_recipe(recipe(), mnist=mnist, knobs=knobs).net
    finally:
        done.set()
        thread.join()
    assert halts, "the run never came to rest"
    assert same(plain, fiddled)


def test_a_learning_rate_changed_mid_run_goes_into_the_history(
    mnist: MNIST, tmp_path: Path
) -> None:
    plain = run_recipe(recipe(), mnist=mnist).net

    def changed(rate: float) -> tuple[Network, Knobs]:
        knobs = Knobs()
        script = Script(knobs, steps=0)

        def halted(where: Position) -> None:
            script.halts.append(where)
            knobs.set_learning_rate(rate)
            knobs.resume()

        knobs.on_halt = halted
        net = run_recipe(recipe(), mnist=mnist, knobs=knobs, on_batch=script.on_batch).net
        return net, knobs

    # The same rate again: nothing changes in the numbers, but the change is recorded.
    again, _ = changed(0.005)
    assert same(plain, again)
    faster, knobs = changed(0.05)
    assert not same(plain, faster)
    [change] = knobs.changes
    assert change.epoch == 1 and change.batch > 0 and change.images == 10 * change.batch
    assert (change.learning_rate, change.previous) == (0.05, 0.005)
    history = faster.metadata["history"]
    assert [h["learning_rate"] for h in history] == [0.05, 0.05]  # the rate at the epoch's end
    path = faster.save(tmp_path / "faster.safetensors")
    kept = Network.load(path).metadata["learning_rate_changes"]
    assert change.epochs_done == change.images / 2000  # where on an axis of epochs
    assert kept == [
        {"epoch": 1, "batch": change.batch, "images": change.images,
         "learning_rate": 0.05, "previous": 0.005, "epochs_done": change.epochs_done}
    ]  # fmt: skip
    # `digitnet show curves` marks it too.
    from digitnet.figures.curves import curves, mark_rate_changes

    assert mark_rate_changes(Network.load(path), [curves(plain).axes[0]]) == 1
    assert mark_rate_changes(plain, [curves(plain).axes[0]]) == 0
    for odd in (5, "fast", [1, {"epochs_done": "x"}], {"a": 1}):
        plain.metadata["learning_rate_changes"] = odd  # not what digitnet writes
        assert mark_rate_changes(plain, [curves(plain).axes[0]]) == 0
    texts = [t.get_text() for t in curves(Network.load(path)).axes[0].texts]
    assert texts == [" \u03b7 0.05"]


def test_the_schedule_goes_on_from_a_new_rate(mnist: MNIST) -> None:
    knobs = Knobs(paused=True)

    def halted(where: Position) -> None:
        knobs.set_learning_rate(0.002)
        knobs.resume()

    knobs.on_halt = halted
    trained = run_recipe(
        recipe(schedule="step", step_every=1, step_factor=0.5, epochs=3, learning_rate=0.004),
        mnist=mnist,
        knobs=knobs,
    )
    rates = [h.learning_rate for h in trained.history]
    assert rates == [0.002, 0.001, 0.0005]  # halved every epoch, from the new rate


def test_stop_ends_a_paused_run(mnist: MNIST) -> None:
    stop = threading.Event()
    knobs = Knobs(paused=True, on_halt=lambda where: stop.set())
    started = time.monotonic()
    trained = run_recipe(recipe(epochs=5), mnist=mnist, knobs=knobs, stop=stop)
    assert time.monotonic() - started < 30
    assert len(trained.history) == 1  # it stopped in the first epoch


@pytest.mark.parametrize("rate", [0, -1, math.nan, math.inf, "fast", None])
def test_a_learning_rate_must_be_a_finite_number_above_zero(rate: Any) -> None:
    with pytest.raises(DigitnetError, match="learning rate"):
        Knobs().set_learning_rate(rate)


def test_a_step_needs_a_paused_run() -> None:
    knobs = Knobs()
    with pytest.raises(DigitnetError, match="not paused"):
        knobs.step()
    knobs.pause()
    knobs.step()
    knobs.resume()
    assert not knobs.paused


# ---------------------------------------------------------------------- the page's API
@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(models_dir=tmp_path / "models")) as c:
        yield c


def wait_for(client: TestClient, run_id: str, test: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if test(run):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not get there in {timeout} s")


def finished(run: dict[str, Any]) -> bool:
    return run["status"] in ("finished", "stopped", "failed")


def one_sentence(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and 5 < len(body["error"]) < 300, body
    for word in words:
        assert word in body["error"], body["error"]


PAGE_RUN = {**SMALL, "epochs": 3}


def test_a_page_run_paused_stepped_and_resumed_learns_the_same(client: TestClient) -> None:
    runs = client.app.state.runs  # type: ignore[attr-defined]
    plain = client.post("/api/runs", json=PAGE_RUN).json()
    wait_for(client, plain["id"], finished)
    run = client.post("/api/runs", json=PAGE_RUN).json()
    assert client.post(f"/api/runs/{run['id']}/pause").status_code == 200
    halted = wait_for(client, run["id"], lambda r: r["knobs"]["at"] is not None)
    assert halted["knobs"]["paused"] and halted["status"] == "running"
    at = halted["knobs"]["at"]
    for n in (1, 2, 3):
        stepped = client.post(f"/api/runs/{run['id']}/step")
        assert stepped.status_code == 200, stepped.text
        wait_for(client, run["id"], lambda r, n=n: r["knobs"]["at"]["batch"] == at["batch"] + n)
    rate = client.post(f"/api/runs/{run['id']}/learning-rate", json={"learning_rate": 0.005})
    assert rate.status_code == 200, rate.text
    resumed = client.post(f"/api/runs/{run['id']}/resume").json()
    assert not resumed["knobs"]["paused"]
    done = wait_for(client, run["id"], finished)
    assert done["status"] == "finished"
    [change] = done["knobs"]["changes"]
    assert change["learning_rate"] == 0.005 and change["batch"] == at["batch"] + 3
    a, b = runs.get(plain["id"]).net, runs.get(run["id"]).net
    assert same(a, b)  # the same rate as before: the same numbers
    assert b.metadata["learning_rate_changes"][0]["batch"] == at["batch"] + 3
    events = [e["type"] for e in runs.get(run["id"])._events]
    assert {"paused", "resumed", "rate"} <= set(events)


def test_bad_control_requests_are_refused_in_one_sentence(client: TestClient) -> None:
    one_sentence(client.post("/api/runs/nosuchrun/pause"), 404, "unknown")
    one_sentence(client.post("/api/runs/nosuchrun/step"), 404, "unknown")
    one_sentence(client.post("/api/runs/nosuchrun/learning-rate", json={"learning_rate": 1}), 404)
    run = client.post("/api/runs", json={**PAGE_RUN, "epochs": 20}).json()
    url = f"/api/runs/{run['id']}"
    one_sentence(client.post(url + "/step"), 409, "not paused")
    for bad in (0, -0.5, 1e9, "fast", None):
        one_sentence(client.post(url + "/learning-rate", json={"learning_rate": bad}), 422)
    for text in ('{"learning_rate": NaN}', '{"learning_rate": Infinity}', "[1]", "{"):
        response = client.post(
            url + "/learning-rate", content=text, headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text
        one_sentence(response, response.status_code)
    one_sentence(client.post(url + "/learning-rate", json={}), 422)
    client.post(url + "/stop")
    wait_for(client, run["id"], finished)
    one_sentence(client.post(url + "/pause"), 409, "not training")
    one_sentence(client.post(url + "/learning-rate", json={"learning_rate": 1}), 409)


def test_the_knobs_work_through_any_worker(served: tuple[str, int]) -> None:  # noqa: F811
    """``digitnet serve --workers 2``: the knobs go to the process that owns the runs."""
    url, _ = served
    with fresh(url) as client:
        run = client.post("/api/runs", json={**PAGE_RUN, "epochs": 30}).json()
        path = f"/api/runs/{run['id']}"
        assert client.post(path + "/pause").status_code == 200
    seen = until_two_workers(url, lambda c: c.get(path))
    assert all(r.json()["knobs"]["paused"] for r in seen.values())
    deadline = time.monotonic() + 60
    with fresh(url) as client:
        while client.get(path).json()["knobs"]["at"] is None:
            assert time.monotonic() < deadline, "the run did not come to rest"
            time.sleep(0.05)
        at = client.get(path).json()["knobs"]["at"]
    stepped = until_two_workers(url, lambda c: c.post(path + "/step"))
    assert all(r.status_code == 200 for r in stepped.values())
    with fresh(url) as client:
        while client.get(path).json()["knobs"]["at"]["batch"] < at["batch"] + 2:
            assert time.monotonic() < deadline, "the steps were not taken"
            time.sleep(0.05)
        one_sentence(client.post(path + "/learning-rate", json={"learning_rate": -1}), 422)
        rate = client.post(path + "/learning-rate", json={"learning_rate": 0.01})
        assert rate.status_code == 200, rate.text
        assert client.post(path + "/resume").json()["knobs"]["paused"] is False
        one_sentence(client.post(path + "/step"), 409, "not paused")
        while not client.get(path).json()["knobs"]["changes"]:
            assert time.monotonic() < deadline, "the new rate was not taken"
            time.sleep(0.05)
        assert client.post(path + "/stop").status_code == 200


def test_a_finished_page_run_replays_its_epochs(client: TestClient) -> None:
    one_sentence(client.post("/api/runs/nosuchrun/replay", json={}), 404, "unknown")
    run = client.post("/api/runs", json={**PAGE_RUN, "epochs": 20}).json()
    one_sentence(client.post(f"/api/runs/{run['id']}/replay", json={}), 409, "no network")
    client.post(f"/api/runs/{run['id']}/stop")
    wait_for(client, run["id"], finished)
    run = client.post("/api/runs", json=PAGE_RUN).json()
    wait_for(client, run["id"], finished)
    seven = load_mnist().test.images[0].reshape(-1) / 255.0
    last = client.post(f"/api/runs/{run['id']}/replay", json={"input": seven.tolist()}).json()
    assert last["epochs"] == [0, 1, 2, 3] and last["epoch"] == 3
    assert len(last["history"]) == 3 and len(last["weights"]) == 16
    first = client.post(f"/api/runs/{run['id']}/replay", json={"epoch": 0}).json()
    assert first["answer"] is None and first["weights"] != last["weights"]
    one_sentence(client.post(f"/api/runs/{run['id']}/replay", json={"epoch": 7}), 422, "epoch 7")
