"""The API behind the page's "Beyond the video": POST /api/fool, GET
/api/models/{name}/embedding and POST /api/models/{name}/replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from digitnet import Network
from digitnet.data import load_mnist
from digitnet.replay import SnapshotRecorder, save_with_snapshots
from digitnet.web.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    models = tmp_path_factory.mktemp("models")
    net = Network([784, 16, 10], seed=3)
    recorder = SnapshotRecorder()
    recorder.start(net)
    trained = net.copy()
    trained.weights[0] = trained.weights[0] * 0.5
    recorder.finish(trained, 1)
    save_with_snapshots(trained, Path(models) / "snappy.safetensors", recorder.snapshots)
    with TestClient(create_app(models_dir=models, preload=False)) as c:
        yield c


def seven() -> list[float]:
    return (load_mnist().test.images[0].reshape(-1) / 255.0).tolist()


def error(response: object, status: int) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    return str(body["error"])


def test_fool_a_seven_into_a_three(client: TestClient) -> None:
    answer = client.post("/api/fool", json={"input": seven(), "target": 3}).json()
    assert answer["before"] == 7 and answer["answer"] == 3 and answer["success"]
    assert 0 < answer["linf"] <= 0.3 and answer["pixels_changed"] > 0
    fooled, change = np.array(answer["fooled"]), np.array(answer["change"])
    assert fooled.shape == change.shape == (784,)
    assert np.allclose(fooled - change, seven(), atol=1e-3)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"target": 7}, "already reads this digit as a 7"),
        ({"target": 10}, "from 0 to 9"),
        ({"target": 3, "input": [0.5] * 10}, "needs 784 pixels"),
        ({"target": 3, "input": [2.0] * 784}, "from 0 to 1"),
        ({"target": 3, "input": [0.0] * 784}, "no digit to fool"),
        ({"target": 3, "model": "nothing"}, "unknown model"),
    ],
)
def test_fool_refuses_in_one_sentence(client: TestClient, body: dict, words: str) -> None:
    body = {"input": seven(), **body}
    status = 404 if "model" in body else 422
    assert words in error(client.post("/api/fool", json=body), status)


def test_the_maps_of_the_layers(client: TestClient) -> None:
    answer = client.get("/api/models/video/embedding").json()
    assert len(answer["labels"]) == 10_000
    layers = answer["layers"]
    assert [m["size"] for m in layers] == [784, 16, 16, 10]
    assert layers[-1]["separation"] > layers[0]["separation"]
    for m in layers:
        assert len(m["x"]) == len(m["y"]) == 10_000
        assert min(m["x"]) == 0 and max(m["x"]) == answer["steps"]
        assert len(m["components"]) == 2 and len(m["components"][0]) == m["size"]


def test_replay_an_epoch(client: TestClient) -> None:
    first = client.post("/api/models/snappy/replay", json={"epoch": 0, "input": seven()}).json()
    last = client.post("/api/models/snappy/replay", json={"input": seven()}).json()
    assert first["epochs"] == last["epochs"] == [0, 1]
    assert first["epoch"] == 0 and last["epoch"] == 1
    assert len(first["weights"]) == 16 and len(first["weights"][0]) == 784
    assert np.allclose(np.array(last["weights"]), np.array(first["weights"]) * 0.5, atol=2e-3)
    assert first["answer"]["digit"] in range(10)
    none = client.post("/api/models/video/replay", json={}).json()
    assert none["epochs"] == [] and "no snapshots" in none["message"]
    assert "no snapshot of epoch 5" in error(
        client.post("/api/models/snappy/replay", json={"epoch": 5}), 422
    )


def test_a_run_trained_on_the_page_keeps_its_snapshots_when_saved(tmp_path: Path) -> None:
    from test_web_runs import TINY_RUN, wait_for

    with TestClient(create_app(models_dir=tmp_path / "models", preload=False)) as client:
        run = client.post("/api/runs", json={**TINY_RUN, "epochs": 2}).json()
        wait_for(client, run["id"], "finished")
        saved = client.post(f"/api/runs/{run['id']}/save", json={"name": "learnt"})
        assert saved.status_code == 201, saved.text
        replay = client.post("/api/models/learnt/replay", json={"input": seven()}).json()
        assert replay["epochs"] == [0, 1, 2]
        assert replay["answer"]["digit"] in range(10)
        assert client.get("/api/models/learnt").status_code == 200  # an ordinary model still
