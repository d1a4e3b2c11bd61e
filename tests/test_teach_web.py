"""Your digits on the page's API: the store, its exports and imports, one step, teaching."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digitnet.data import load_mnist
from digitnet.idx import read_idx
from digitnet.network import Network
from digitnet.synthetic import WRITERS, writer_set
from digitnet.teach import one_step
from digitnet.teach.store import DigitStore
from digitnet.web.app import create_app

SIDE = 112


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(models_dir=tmp_path / "models", preload=False)) as c:
        yield c


def drawing(image: Image.Image) -> dict[str, Any]:
    """A writer's digit as the page sends a drawing."""
    pixels = np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BOX), np.uint8)
    return {
        "width": SIDE,
        "height": SIDE,
        "pixels_b64": base64.b64encode(pixels.tobytes()).decode(),
    }


def add_writer_digits(client: TestClient, n: int, seed: int = 1) -> list[dict[str, Any]]:
    images, labels = writer_set(WRITERS["turned-wide"], n, seed=seed)
    added = []
    for image, label in zip(images, labels, strict=True):
        r = client.post(
            "/api/digits", json={**drawing(image), "label": int(label), "model": "video"}
        )
        assert r.status_code == 200, r.text
        added.append(r.json())
    return added


@pytest.mark.parametrize("model", ["video", "wide"])
def test_no_digits_yet_is_an_empty_list(client: TestClient, model: str) -> None:
    r = client.get(f"/api/digits?model={model}")
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 0 and r.json()["digits"] == []


def test_digits_are_kept_listed_deleted_and_survive_a_restart(
    client: TestClient, tmp_path: Path
) -> None:
    added = add_writer_digits(client, 10)
    first = added[0]
    assert first["label"] == 0 and first["model"] == "video" and first["answer"] in range(10)
    folder = tmp_path / "models" / "digits"
    index = json.loads((folder / "index.json").read_text())
    assert [d["id"] for d in index["digits"]] == [a["id"] for a in added]
    assert (folder / f"{first['id']}.png").is_file() and (
        folder / f"{first['id']}-28.png"
    ).is_file()
    with Image.open(folder / f"{first['id']}-28.png") as small:
        assert small.size == (28, 28)
    listed = client.get("/api/digits", params={"model": "video"}).json()
    assert listed["count"] == 10
    assert listed["right"] == sum(d["right"] for d in listed["digits"])
    assert all(d["right"] == (d["now"] == d["label"]) for d in listed["digits"])
    assert listed["digits"][0]["prepared"].startswith("data:image/png;base64,")
    r = client.delete(f"/api/digits/{first['id']}")
    assert r.status_code == 200 and r.json()["count"] == 9
    assert not (folder / f"{first['id']}.png").exists()
    assert client.delete(f"/api/digits/{first['id']}").status_code == 404
    # another app on the same folder sees the same digits
    with TestClient(create_app(models_dir=tmp_path / "models", preload=False)) as other:
        assert other.get("/api/digits").json()["count"] == 9


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        (
            "post",
            "/api/digits",
            {"width": 28, "height": 28, "pixels": [0] * 784, "label": 3},
            422,
            "no digit",
        ),
        (
            "post",
            "/api/digits",
            {"width": 28, "height": 28, "pixels": [0] * 784, "label": 12},
            422,
            "label",
        ),
        ("delete", "/api/digits/..%2F..%2Fetc", None, 404, ""),
        ("delete", "/api/digits/not-an-id", None, 404, ""),
        ("delete", "/api/digits/abcdefabcdef", None, 404, "no digit abcdefabcdef"),
        (
            "post",
            "/api/digits/import",
            {"files": [{"name": "mine.png", "data_b64": "AAAA"}]},
            422,
            "which digit",
        ),
        (
            "post",
            "/api/digits/import",
            {"files": [{"name": "3_a.png", "data_b64": "AAAA"}]},
            422,
            "3_a.png",
        ),
        (
            "post",
            "/api/digits/import",
            {"files": [{"name": "3_a.png", "data_b64": "%%"}]},
            422,
            "base64",
        ),
        (
            "post",
            "/api/digits/import",
            {"files": [{"name": "a.zip", "data_b64": "AAAA"}]},
            422,
            "zip",
        ),
        ("post", "/api/teach", {}, 422, "no digits"),
        ("post", "/api/teach", {"save_as": "../evil"}, 422, "model name"),
        ("post", "/api/step", {"input": [0.5] * 784, "label": 10}, 422, "label"),
        ("post", "/api/step", {"input": [2.0] * 784, "label": 1}, 422, "0 to 1"),
        (
            "post",
            "/api/step",
            {"input": [0.5] * 784, "label": 1, "learning_rate": -1},
            422,
            "learning_rate",
        ),
        ("post", "/api/lesson", {"input": [0.5] * 783, "label": 1}, 422, "input"),
        ("get", "/api/digits/export-idx.zip", None, 422, "no digits"),
    ],
)
def test_bad_requests_get_one_sentence(
    client: TestClient, method: str, path: str, body: Any, status: int, words: str, tmp_path: Path
) -> None:
    r = client.request(method.upper(), path, json=body)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and words in r.json()["error"]
    folder = tmp_path / "models" / "digits"
    assert not folder.exists() or DigitStore(folder).entries() == []


def test_exports_read_back_and_import_again(client: TestClient, tmp_path: Path) -> None:
    add_writer_digits(client, 20)
    store = DigitStore(tmp_path / "models" / "digits")
    images, labels = store.dataset()
    r = client.get("/api/digits/export-idx.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    idx_dir = tmp_path / "idx"
    zipfile.ZipFile(io.BytesIO(r.content)).extractall(idx_dir)
    data = load_mnist(idx_dir)  # what `digitnet train --data-dir` reads
    assert len(data.train) == 16 and len(data.test) == 4
    both = np.concatenate([data.train.images, data.test.images])
    both_labels = np.concatenate([data.train.labels, data.test.labels])
    order = sorted(range(20), key=lambda i: (both_labels[i], both[i].tobytes()))
    mine = sorted(range(20), key=lambda i: (labels[i], images[i].tobytes()))
    assert np.array_equal(both[order], images[mine]) and np.array_equal(
        both_labels[order], labels[mine]
    )
    assert read_idx(idx_dir / "t10k-labels-idx1-ubyte.gz").shape == (4,)
    # the zip of PNGs goes back in: the same labels, the same prepared digits
    z = client.get("/api/digits/export.zip")
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert sorted(int(n.split("_")[0]) for n in names) == sorted(labels.tolist())
    for entry in store.entries():
        client.delete(f"/api/digits/{entry.id}")
    body = {"files": [{"name": "mine.zip", "data_b64": base64.b64encode(z.content).decode()}]}
    r = client.post("/api/digits/import", json=body)
    assert r.status_code == 200 and r.json() == {"imported": 20, "count": 20}
    again, again_labels = store.dataset()
    assert sorted(again_labels.tolist()) == sorted(labels.tolist())
    diff = np.abs(
        np.sort(again.reshape(20, -1).astype(int).sum(1))
        - np.sort(images.reshape(20, -1).astype(int).sum(1))
    )
    assert diff.max() <= 0.05 * images.reshape(20, -1).sum(1).max()


def test_one_step_from_the_api_equals_one_step_in_python(client: TestClient) -> None:
    images, labels = writer_set(WRITERS["turned-wide"], 10, seed=3)
    reading = client.post("/api/predict", json={**drawing(images[6]), "steps": False}).json()
    x = np.asarray(reading["input"], np.float32)
    label = int(labels[6])
    r = client.post(
        "/api/step", json={"input": reading["input"], "label": label, "learning_rate": 2.0}
    )
    assert r.status_code == 200, r.text
    step = r.json()
    mine = one_step(Network.load("video"), x, label, 2.0)
    np.testing.assert_allclose(step["before"]["outputs"], mine.outputs_before, atol=6e-5)
    np.testing.assert_allclose(step["after"]["outputs"], mine.outputs_after, atol=6e-5)
    assert step["cost_after"] == pytest.approx(mine.cost_after, rel=1e-5)
    assert step["after"]["outputs"] != step["before"]["outputs"] and step["saved"] is None
    lesson = client.post("/api/lesson", json={"input": reading["input"], "label": label}).json()
    assert lesson["written"].endswith(f"{lesson['cost']:.4f}")
    assert lesson["wants"][label] > 0
    assert len(lesson["gradients"]) == 16 and len(lesson["gradients"][0]) == 784
    assert [len(n) for n in lesson["nudges"]] == [16, 16]
    saved = client.post(
        "/api/step", json={"input": reading["input"], "label": label, "save_as": "one-step"}
    ).json()
    assert saved["saved"] == "one-step"
    assert "one-step" in [m["name"] for m in client.get("/api/models").json()["models"]]


def test_teaching_streams_its_progress_and_saves_a_new_model(client: TestClient) -> None:
    add_writer_digits(client, 20)
    with client.stream("POST", "/api/teach", json={"model": "video", "epochs": 10}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in r.iter_lines() if line]
    progress = [line["progress"] for line in lines[:-1]]
    assert progress and all(p["taught"] == 16 for p in progress)
    assert progress[-1]["batch"] == progress[-1]["batches"]
    result = lines[-1]["result"]
    assert result["saved"] == "video-taught" and result["held_out"] == 4
    assert result["mnist_after"]["total"] == 10_000
    assert len(result["changes"]) == 4 and len(result["changes"][0]) == 784
    models = [m["name"] for m in client.get("/api/models").json()["models"]]
    assert "video-taught" in models
    listed = client.get("/api/digits", params={"model": "video-taught"}).json()
    assert listed["right"] == result["taught_after"]["right"] + result["held_out_after"]["right"]
    with client.stream("POST", "/api/teach", json={"epochs": 1}) as r:
        last = [json.loads(line) for line in r.iter_lines() if line][-1]
    assert last["result"]["saved"] == "video-taught-2"
    r = client.post("/api/teach", json={"save_as": "video-taught"})
    assert r.status_code == 409 and "exists" in r.json()["error"]
