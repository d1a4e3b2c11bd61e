"""The JSON API of ``digitnet serve``: every endpoint, every error, and predictions that stay
fast while a training run goes on (a real uvicorn server in a thread)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import running_server
from digitnet.modelfile import pretrained_path
from digitnet.slant import inputs_for, wants_deslant
from digitnet.web.app import MAX_BODY_BYTES, STATIC, create_app

TINY_RUN = {"layers": [784, 16, 10], "epochs": 2, "limit": 2000, "validation_size": 500}


def stroke_one(size: int = 112) -> list[int]:
    """A vertical white stroke on black: a clear 1."""
    img = np.zeros((size, size), np.uint8)
    img[size // 6 : size - size // 6, size // 2 - 5 : size // 2 + 5] = 255
    return img.reshape(-1).tolist()


def drawing(pixels: list[int] | None = None, size: int = 112, **extra: Any) -> dict[str, Any]:
    return {"width": size, "height": size, "pixels": pixels or stroke_one(size), **extra}


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def client(models_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(models_dir=models_dir)) as c:
        yield c


def assert_error(response: httpx.Response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    message = body["error"]
    assert isinstance(message, str) and 5 < len(message) < 300
    for word in words:
        assert word.lower() in message.lower(), message
    return message


def wait_for_run(client: TestClient, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("finished", "stopped", "failed"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end in {timeout} s")


def sse_events(client: TestClient, run_id: str, **headers: str) -> list[dict[str, Any]]:
    events = []
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


# ---------------------------------------------------------------------- the page
def test_page_and_static_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert 'src="/static/js/main.js"' in page.text
    for path in (
        "/static/style.css",
        "/static/js/main.js",
        "/static/js/diagram.js",
        "/favicon.ico",
    ):
        assert client.get(path).status_code == 200, path


def test_page_loads_nothing_from_elsewhere() -> None:
    """Everything ships in the package: no CDN, no external fonts, scripts or styles."""
    files = [p for p in STATIC.rglob("*") if p.suffix in (".html", ".css", ".js", ".svg")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text):
            assert url.startswith("http://www.w3.org/"), f"{path.name} refers to {url}"
        assert "@import" not in text and "fonts.googleapis" not in text


def test_no_swagger_ui_from_a_cdn(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    schema = client.get("/api/openapi.json").json()
    assert "/api/predict" in schema["paths"]


# ---------------------------------------------------------------------- models
def test_models_list_and_layout(client: TestClient) -> None:
    data = client.get("/api/models").json()
    assert data["default"] == "video"
    names = {m["name"]: m for m in data["models"]}
    assert names["video"]["sizes"] == [784, 16, 16, 10]
    assert names["video"]["kind"] == "pretrained"
    layout = client.get("/api/models/video").json()
    assert [layer["size"] for layer in layout["layers"]] == [784, 16, 16, 10]
    assert [layer["kind"] for layer in layout["layers"]] == ["input", "hidden", "hidden", "output"]
    assert layout["parameters"] == 13_002
    assert client.get("/api/health").json()["status"] == "ok"
    options = client.get("/api/options").json()
    assert "sigmoid" in options["hidden_activations"] and "adam" in options["optimizers"]


def test_unknown_model_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/models/nope"), 404, "unknown model")
    assert_error(client.post("/api/predict", json=drawing(model="nope")), 404, "unknown model")
    assert_error(client.post("/api/predict", json=drawing(model="../video")), 404)
    assert_error(client.get("/api/models/nope/neurons/1/0"), 404)
    assert_error(client.get("/api/examples/mistakes?model=nope"), 404)


# ---------------------------------------------------------------------- predict
def test_predict_a_drawn_one(client: TestClient) -> None:
    started = time.perf_counter()
    r = client.post("/api/predict", json=drawing())
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["digit"] == 1
    assert data["found"] is True
    assert data["model"] == "video"
    assert len(data["probabilities"]) == 10 and len(data["outputs"]) == 10
    assert max(range(10), key=lambda d: data["probabilities"][d]) == 1
    assert len(data["input"]) == 784 and 0 <= min(data["input"]) and max(data["input"]) <= 1
    assert [layer["size"] for layer in data["layers"]] == [784, 16, 16, 10]
    for layer in data["layers"][1:]:
        assert len(layer["activations"]) == layer["size"] == len(layer["weighted_sums"])
        assert layer["hidden"] == 0
    assert data["steps"] and all(
        s["png"].startswith("data:image/png;base64,") for s in data["steps"]
    )
    assert [e["kind"] for e in data["edges"]] == ["top", "full", "full"]
    assert np.shape(data["edges"][1]["weights"]) == (16, 16)
    assert len(r.content) < 100_000
    assert elapsed < 2.0


def test_predict_blank_says_draw_a_digit(client: TestClient) -> None:
    data = client.post("/api/predict", json=drawing([0] * 112 * 112)).json()
    assert data["digit"] is None
    assert data["found"] is False
    assert data["message"]


def test_predict_mnist_example_without_preprocessing(client: TestClient) -> None:
    from digitnet import load_network
    from digitnet.data import load_mnist

    example = client.get("/api/examples/0").json()
    test = load_mnist().test
    assert example["label"] == int(test.labels[0])
    body = {"width": 28, "height": 28, "pixels": example["pixels"], "preprocess": False}
    data = client.post("/api/predict", json=body).json()
    net = load_network("video")
    # The pixels go in as they are, or stood upright (and rounded to 256 grey levels, as in
    # training) if the network learnt deslanted digits.
    x = net.as_input(inputs_for(net.metadata, test.images[:1]))
    expected = int(net.predict(x)[0])
    assert data["digit"] == expected
    assert data["found"] is True
    assert [s["name"] for s in data["steps"]] == (
        ["upright"] if wants_deslant(net.metadata) else []
    )
    assert np.allclose(data["input"], x[0], atol=1e-3)
    # The answer is written as predict_image writes it: "7 (99.1%)  runners-up: ...".
    assert data["confident"] is True
    assert data["message"].startswith(f"{expected} (") and "runners-up" in data["message"]


def test_both_modes_use_the_one_confidence_rule(client: TestClient) -> None:
    """The same MNIST digit, sent as 28x28 with and without preprocessing: the same answer
    and the same confidence, decided by digitnet.prediction's one rule."""
    from digitnet.prediction import is_confident

    example = client.get("/api/examples/0").json()
    answers = []
    for preprocess in (True, False):
        body = {"width": 28, "height": 28, "pixels": example["pixels"], "preprocess": preprocess}
        data = client.post("/api/predict", json=body).json()
        assert data["confident"] is is_confident(data["probabilities"])
        answers.append((data["digit"], data["confident"]))
    assert answers[0] == answers[1] == (example["label"], True)


def test_predict_blank_without_preprocessing_finds_no_digit(client: TestClient) -> None:
    body = {"width": 28, "height": 28, "pixels": [0] * 784, "preprocess": False}
    data = client.post("/api/predict", json=body).json()
    assert data["digit"] is None and data["found"] is False and data["confident"] is False
    assert data["message"].startswith("no digit found") and data["steps"] == []
    assert len(data["probabilities"]) == 10 and len(data["layers"]) == 4


@pytest.mark.skipif(not pretrained_path("wide").is_file(), reason="no wide network installed")
def test_wide_network_sends_only_what_is_drawn(client: TestClient) -> None:
    layout = client.get("/api/models/wide").json()
    sizes = layout["sizes"]
    assert max(sizes[1:-1]) > 16
    r = client.post("/api/predict", json=drawing(model="wide"))
    data = r.json()
    for layer in data["layers"][1:-1]:
        assert len(layer["shown"]) == 16
        assert layer["hidden"] == layer["size"] - 16
        shown_acts = [layer["activations"][i] for i in layer["shown"]]
        assert min(shown_acts) >= sorted(layer["activations"])[-16] - 1e-9
    assert len(r.content) < 200_000
    assert len(client.get("/api/models/wide").content) < 20_000


# ---------------------------------------------------------------------- neurons
def test_neuron_weights_and_written_out_sum(client: TestClient) -> None:
    data = client.post("/api/predict", json=drawing()).json()
    plain = client.get("/api/models/video/neurons/1/3").json()
    assert plain["input_shape"] == [28, 28] and len(plain["weights"]) == 784
    assert "z" not in plain
    d = client.post("/api/models/video/neurons/1/3", json={"input": data["input"]}).json()
    assert d["kind"] == "hidden" and d["activation"] == "sigmoid"
    assert math.isclose(d["z"], d["sum_wa"] + d["bias"], abs_tol=1e-3)
    assert math.isclose(d["a"], 1 / (1 + math.exp(-d["z"])), abs_tol=1e-5)
    assert math.isclose(d["a"], data["layers"][1]["activations"][3], abs_tol=1e-3)
    assert len(d["terms"]) == 8
    sizes = [abs(t["wa"]) for t in d["terms"]]
    assert sizes == sorted(sizes, reverse=True)
    assert math.isclose(sum(t["wa"] for t in d["terms"]) + d["rest"], d["sum_wa"], abs_tol=1e-3)
    out = client.post("/api/models/video/neurons/3/1", json={"input": data["input"]}).json()
    assert out["kind"] == "output" and out["input_shape"] is None and len(out["weights"]) == 16
    pixel = client.post("/api/models/video/neurons/0/406", json={"input": data["input"]}).json()
    assert pixel["kind"] == "input" and pixel["weights"] is None
    assert (pixel["row"], pixel["column"]) == (14, 14)


def test_unknown_neuron_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/models/video/neurons/4/0"), 404, "no layer 4")
    assert_error(client.get("/api/models/video/neurons/1/16"), 404, "no neuron 16")
    assert_error(client.get("/api/models/video/neurons/-1/0"), 404)
    assert_error(client.get("/api/models/video/neurons/one/0"), 422, "layer")
    assert_error(client.post("/api/models/video/neurons/1/99", json={}), 404)


def test_neuron_input_is_checked(client: TestClient) -> None:
    url = "/api/models/video/neurons/1/0"
    assert_error(client.post(url, json={"input": [0.5] * 10}), 422, "784")
    assert_error(client.post(url, json={"input": [2.0] * 784}), 422, "0 to 1")
    assert_error(client.post(url, json={"input": "no"}), 422, "input")


# ---------------------------------------------------------------------- bad requests
def test_malformed_json_is_400(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    assert_error(client.post("/api/predict", content=b"{bad", headers=headers), 400, "JSON")
    assert_error(client.post("/api/predict", content=b"", headers=headers), 400, "JSON body")
    assert_error(client.post("/api/predict", content=b"[1, 2]", headers=headers), 400, "object")
    assert_error(client.post("/api/predict", content=b"\xff\xfe", headers=headers), 400)
    assert_error(client.post("/api/runs", content=b"{", headers=headers), 400, "JSON")


BODY_ENDPOINTS = ["/api/predict", "/api/models/video/neurons/1/0", "/api/runs"]
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("url", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the request needs a JSON body"),
        (b"  \n", "the request needs a JSON body"),
        (b"{bad", "the request body is not valid JSON"),
        (b"\x80abc", "the request body is not valid JSON"),
        (b"[1, 2]", "the request body must be a JSON object"),
        (b"null", "the request body must be a JSON object"),
        (b'"text"', "the request body must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    client: TestClient, url: str, content: bytes, message: str
) -> None:
    """FastAPI checks the declared bodies; the answer is still one sentence with a 400."""
    response = client.post(url, content=content, headers=JSON)
    assert assert_error(response, 400) == message
    assert client.get("/api/runs").json()["runs"] == []


def test_bodies_with_and_without_a_json_content_type(client: TestClient) -> None:
    body = json.dumps({"input": None}).encode()
    url = "/api/models/video/neurons/1/0"
    assert client.post(url, content=body).status_code == 200  # no Content-Type: read as JSON
    typed = {"content-type": "application/json; charset=utf-8"}
    assert client.post(url, content=body, headers=typed).status_code == 200
    plain = client.post(url, content=body, headers={"content-type": "text/plain"})
    assert_error(plain, 400, "Content-Type: application/json")


def test_wrong_values_are_one_sentence_422(client: TestClient) -> None:
    wrong = client.post("/api/predict", json=drawing(colour="red"))
    assert wrong.json() == {"error": "colour: is not a known field"}
    assert wrong.status_code == 422
    missing = client.post("/api/predict", json={"width": 8, "height": 8})
    assert missing.json() == {"error": "pixels: Field required"}
    run = client.post("/api/runs", json={"epochs": 0})
    assert run.json() == {"error": "epochs: Input should be greater than or equal to 1"}
    # The path is checked first, the run looked up before its body is read: as before.
    bad_layer = client.post("/api/models/video/neurons/one/0", content=b"", headers=JSON)
    assert_error(bad_layer, 422, "layer")
    assert_error(client.post("/api/runs/nope/save", content=b"", headers=JSON), 404, "nope")
    assert_error(client.post("/api/runs/nope/save", json={"nom": "x"}), 404, "nope")


def test_wrong_image_size_is_422(client: TestClient) -> None:
    assert_error(client.post("/api/predict", json=drawing([0] * 100)), 422, "12544 pixels")
    small = {"width": 3, "height": 3, "pixels": [0] * 9}
    assert_error(client.post("/api/predict", json=small), 422, "8 to 512")
    huge = {"width": 600, "height": 2, "pixels": [0] * 1200}
    assert_error(client.post("/api/predict", json=huge), 422, "8 to 512")
    raw = drawing(preprocess=False)
    assert_error(client.post("/api/predict", json=raw), 422, "28x28")
    assert_error(client.post("/api/predict", json={"pixels": [0] * 784}), 422, "width")


def test_wrong_pixel_values_are_422(client: TestClient) -> None:
    too_bright = drawing([300] * 112 * 112)
    assert_error(client.post("/api/predict", json=too_bright), 422, "0 to 255")
    negative = drawing([-1] * 112 * 112)
    assert_error(client.post("/api/predict", json=negative), 422, "0 to 255")
    nan = json.dumps(drawing([0] * 112 * 112)).replace("0, 0", "NaN, 0", 1)
    response = client.post(
        "/api/predict", content=nan, headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "0 to 255")
    words = drawing(["white"] * 112 * 112)  # type: ignore[arg-type]
    assert_error(client.post("/api/predict", json=words), 422, "pixels")
    assert_error(client.post("/api/predict", json=drawing(colour="red")), 422, "not a known field")


def test_too_large_body_is_413(client: TestClient) -> None:
    big = b'{"pixels": [' + b"0," * (MAX_BODY_BYTES // 2) + b"0]}"
    assert len(big) > MAX_BODY_BYTES
    headers = {"content-type": "application/json"}
    assert_error(client.post("/api/predict", content=big, headers=headers), 413, "limit")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is counted as it streams
        for _ in range(30):
            yield b" " * 50_000

    assert_error(client.post("/api/predict", content=chunks(), headers=headers), 413, "limit")
    # Below the limit the same endpoint works.
    assert client.post("/api/predict", json=drawing()).status_code == 200


def test_unknown_endpoint_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "no endpoint")
    assert_error(client.delete("/api/nothing-here"), 404, "no endpoint DELETE /api/nothing-here")
    assert_error(client.post("/api/models/video/extra"), 404, "no endpoint")
    assert_error(client.get("/api/models/"), 404, "no endpoint")
    assert_error(client.options("/api/runs/x/y/z"), 404, "no endpoint")
    assert_error(client.get("/nothing-here"), 404, "no /nothing-here")
    assert_error(client.get("/api/examples/10000"), 404, "10,000 test digits")
    assert_error(client.get("/api/examples/mistakes?limit=1000"), 422, "limit")


def concrete(path: str) -> str:
    """A documented path with its parameters filled in."""
    values = {"name": "video", "layer": "1", "index": "0", "run_id": "nope", "digit_id": "0" * 12}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_a_wrong_method_is_405_naming_the_allowed_ones(client: TestClient) -> None:
    """Every API path, with every method it does not take: 405, one sentence, ``Allow``."""
    paths = {
        path: {method.upper() for method in operations}
        for path, operations in client.get("/api/openapi.json").json()["paths"].items()
    }
    paths["/api/openapi.json"] = {"GET", "HEAD"}
    assert len(paths) >= 15
    for path, allowed in paths.items():
        url = concrete(path)
        for method in {"GET", "POST", "PUT", "DELETE", "PATCH"} - allowed:
            response = client.request(method, url, json={})
            message = assert_error(response, 405)
            assert message == f"{method} is not allowed on {url}"
            assert set(response.headers["allow"].split(", ")) == allowed, (method, url)
    assert client.put("/api/runs").headers["allow"] == "GET, POST"
    assert client.post("/").headers["allow"] == "GET"  # the page too
    assert client.get("/api/runs").status_code == 200  # the right method still works


NO_BODY = ("/stop", "/cancel", "/pause", "/resume", "{run_id}/step")  # POSTs without a body


def test_the_openapi_schema_describes_every_request(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    bodies = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary") and operation.get("description"), (method, path)
            error = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert components[error["$ref"].split("/")[-1]]["required"] == ["error"]
            if method == "post" and not path.endswith(NO_BODY):
                body = operation["requestBody"]
                assert body["required"] is True
                ref = body["content"]["application/json"]["schema"]["$ref"]
                bodies[path] = components[ref.split("/")[-1]]
            else:
                assert "requestBody" not in operation, (method, path)
    fields = {path: set(body["properties"]) for path, body in bodies.items()}
    assert {"width", "height", "pixels", "pixels_b64", "preprocess", "steps"} <= fields[
        "/api/predict"
    ]
    assert fields["/api/models/{name}/neurons/{layer}/{index}"] == {"input"}
    assert {"preset", "layers", "epochs", "learning_rate"} <= fields["/api/runs"]
    assert fields["/api/runs/{run_id}/save"] == {"name", "overwrite"}
    assert bodies["/api/predict"]["required"] == ["width", "height"]  # and pixels or pixels_b64
    assert bodies["/api/runs"]["properties"]["epochs"]["minimum"] == 1
    assert "page" in bodies["/api/runs"]["properties"]["preset"]["enum"]


# ---------------------------------------------------------------------- examples
def test_random_example_and_mistakes(client: TestClient) -> None:
    ex = client.get("/api/examples/random").json()
    assert 0 <= ex["index"] < 10_000 and 0 <= ex["label"] <= 9 and len(ex["pixels"]) == 784
    m = client.get("/api/examples/mistakes?model=video&offset=0&limit=5").json()
    assert m["tested"] == 10_000
    assert m["wrong"] == round((1 - m["accuracy"]) * 10_000)
    assert len(m["items"]) == min(5, m["wrong"])
    for item in m["items"]:
        assert item["label"] != item["predicted"]
        body = {"width": 28, "height": 28, "pixels": item["pixels"], "preprocess": False}
        assert client.post("/api/predict", json=body).json()["digit"] == item["predicted"]
    later = client.get(f"/api/examples/mistakes?offset={m['wrong'] - 1}&limit=5").json()
    assert len(later["items"]) == 1


# ---------------------------------------------------------------------- training runs
def test_training_run_events_save_and_use(client: TestClient, models_dir: Path) -> None:
    r = client.post("/api/runs", json=TINY_RUN)
    assert r.status_code == 202, r.text
    run = r.json()
    events = sse_events(client, run["id"])
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "done"
    assert kinds.count("epoch") == 2 and "batch" in kinds
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    epoch = next(e for e in events if e["type"] == "epoch")
    assert len(epoch["weights"]) == 16 and len(epoch["weights"][0]["data"]) == 1048
    assert 0 <= epoch["train_accuracy"] <= 1
    # Reconnecting with Last-Event-ID gets only what came after.
    assert [e["id"] for e in sse_events(client, run["id"], **{"Last-Event-ID": "2"})][0] == 3
    done = client.get(f"/api/runs/{run['id']}").json()
    assert done["status"] == "finished" and len(done["history"]) == 2
    assert client.get("/api/runs").json()["runs"][0]["id"] == run["id"]

    saved = client.post(f"/api/runs/{run['id']}/save", json={"name": "tiny-1"})
    assert saved.status_code == 201, saved.text
    assert (models_dir / "tiny-1.safetensors").is_file()
    names = [m["name"] for m in client.get("/api/models").json()["models"]]
    assert "tiny-1" in names
    assert client.get("/api/models/tiny-1").json()["sizes"] == [784, 16, 10]
    data = client.post("/api/predict", json=drawing(model="tiny-1")).json()
    assert [layer["size"] for layer in data["layers"]] == [784, 16, 10]
    again = client.post(f"/api/runs/{run['id']}/save", json={"name": "tiny-1"})
    assert_error(again, 409, "exists")
    over = client.post(f"/api/runs/{run['id']}/save", json={"name": "tiny-1", "overwrite": True})
    assert over.status_code == 201


@pytest.mark.parametrize(
    "name", ["../x", "..", "a/b", "a\\b", "", "x" * 41, ".hidden", "/etc/passwd", "na me", "é"]
)
def test_unsafe_model_names_are_refused(
    client: TestClient, models_dir: Path, tmp_path: Path, name: str
) -> None:
    run = client.post("/api/runs", json={**TINY_RUN, "epochs": 1, "limit": 200}).json()
    wait_for_run(client, run["id"])
    assert_error(client.post(f"/api/runs/{run['id']}/save", json={"name": name}), 422, "name")
    assert sorted(p.name for p in tmp_path.rglob("*.safetensors")) == []


def test_shipped_names_cannot_be_overwritten(client: TestClient) -> None:
    run = client.post("/api/runs", json={**TINY_RUN, "epochs": 1, "limit": 200}).json()
    wait_for_run(client, run["id"])
    response = client.post(f"/api/runs/{run['id']}/save", json={"name": "video"})
    assert_error(response, 409, "shipped")


def test_a_second_run_waits_in_the_queue(client: TestClient) -> None:
    slow = {**TINY_RUN, "layers": [784, 64, 10], "epochs": 50, "limit": 50_000}
    first = client.post("/api/runs", json=slow)
    assert first.status_code == 202
    run_id = first.json()["id"]
    second = client.post("/api/runs", json=TINY_RUN)
    assert second.status_code == 202, second.text
    assert second.json()["status"] == "queued" and second.json()["position"] == 1
    stopped = client.post(f"/api/runs/{run_id}/stop")
    assert stopped.status_code == 200
    run = wait_for_run(client, run_id)
    assert run["status"] == "stopped"
    assert len(run["history"]) < 50
    # The waiting run goes next, and its events say where it stood.
    events = sse_events(client, second.json()["id"])
    assert [e["type"] for e in events][:2] == ["queued", "started"]
    assert events[0]["position"] == 1 and events[-1]["type"] == "done"
    assert wait_for_run(client, second.json()["id"])["status"] == "finished"


def test_run_settings_are_checked(client: TestClient) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"layers": [100, 16, 10]}, "784"),
        ({"layers": [784, 16, 5]}, "10"),
        ({"layers": [784, 0, 10]}, "layers: each has 1 to"),
        ({"layers": [784, 99999, 10]}, "hidden layers"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": -3}, "batch_size"),
        ({"hidden_activation": "softmax"}, "hidden_activation"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"limit": 10**9}, "limit"),
        ({"speed": "fast"}, "not a known field"),
    ]
    for settings, word in bad:
        assert_error(client.post("/api/runs", json={**TINY_RUN, **settings}), 422, word)
    assert client.get("/api/runs").json()["runs"] == []


def test_unknown_run_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/runs/nope"), 404, "unknown training run")
    assert_error(client.get("/api/runs/nope/events"), 404)
    assert_error(client.post("/api/runs/nope/stop"), 404)
    assert_error(client.post("/api/runs/nope/save", json={"name": "x"}), 404)


def test_a_diverging_run_reports_why(client: TestClient) -> None:
    settings = {
        **TINY_RUN,
        "hidden_activation": "relu",
        "cost": "cross_entropy",
        "optimizer": "sgd",
        "learning_rate": 100,
    }
    run = client.post("/api/runs", json=settings).json()
    events = sse_events(client, run["id"])
    assert events[-1]["type"] == "failed"
    assert "diverged" in events[-1]["error"] and "learning rate" in events[-1]["error"]
    state = wait_for_run(client, run["id"])
    assert state["status"] == "failed" and "diverged" in state["error"]
    assert_error(client.post(f"/api/runs/{run['id']}/save", json={"name": "nan"}), 409, "failed")


def crashing_training(conn: Any, recipe: Any) -> None:
    """A training process whose training breaks (it runs in the child process)."""
    import digitnet.runner
    from digitnet.web.trainer import train_in_child

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk caught fire")

    digitnet.runner.train = broken  # type: ignore[assignment]
    train_in_child(conn, recipe)


def test_a_crashing_run_reports_why(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client.app.state.runs, "target", crashing_training)  # type: ignore[attr-defined]
    run = client.post("/api/runs", json=TINY_RUN).json()
    state = wait_for_run(client, run["id"])
    assert state["status"] == "failed" and state["error"] == "the disk caught fire"
    assert sse_events(client, run["id"])[-1] == {
        "id": 2,
        "type": "failed",
        "run": run["id"],
        "status": "failed",
        "error": "the disk caught fire",
    }
    # A failed run does not block the next one.
    monkeypatch.undo()
    assert client.post("/api/runs", json=TINY_RUN).status_code == 202


def test_a_killed_training_process_fails_its_run_and_the_server_lives_on(
    client: TestClient,
) -> None:
    slow = {**TINY_RUN, "layers": [784, 64, 10], "epochs": 50, "limit": 50_000}
    run = client.post("/api/runs", json=slow).json()
    deadline = time.monotonic() + 30
    while client.get(f"/api/runs/{run['id']}").json()["events"] < 2:  # it is training
        assert time.monotonic() < deadline, "the run did not begin"
        time.sleep(0.05)
    pid = client.app.state.runs.get(run["id"]).pid  # type: ignore[attr-defined]
    assert pid is not None and pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    state = wait_for_run(client, run["id"], timeout=20)
    assert state["status"] == "failed"
    assert state["error"] == "the training process ended unexpectedly (killed by signal 9)"
    assert sse_events(client, run["id"])[-1]["type"] == "failed"
    assert_error(client.post(f"/api/runs/{run['id']}/save", json={"name": "x"}), 409, "failed")
    # The server lives on: predictions, and the next run.
    assert client.post("/api/predict", json=drawing()).json()["digit"] == 1
    again = client.post("/api/runs", json={**TINY_RUN, "epochs": 1}).json()
    assert again["status"] == "running"
    assert wait_for_run(client, again["id"])["status"] == "finished"


def test_save_before_the_run_ends_is_409(client: TestClient) -> None:
    slow = {**TINY_RUN, "layers": [784, 64, 10], "epochs": 50, "limit": 50_000}
    run = client.post("/api/runs", json=slow).json()
    try:
        response = client.post(f"/api/runs/{run['id']}/save", json={"name": "early"})
        assert_error(response, 409, "has not finished")
    finally:
        client.post(f"/api/runs/{run['id']}/stop")
    assert wait_for_run(client, run["id"])["status"] == "stopped"
    saved = client.post(f"/api/runs/{run['id']}/save", json={"name": "early"})
    assert saved.status_code == 201, saved.text


# ---------------------------------------------------------------------- a real server
@pytest.fixture
def live_server(models_dir: Path) -> Iterator[str]:
    with running_server(models_dir) as url:
        yield url


def test_many_predictions_during_a_training_run(live_server: str) -> None:
    """50 people drawing at once while the server trains: all answered, quickly."""
    requests = 50
    body = drawing()

    async def scenario() -> tuple[list[int], list[float], float, int, int, str]:
        async with httpx.AsyncClient(base_url=live_server, timeout=30) as c:
            await c.post("/api/predict", json=body)  # warm up
            slow = {"layers": [784, 100, 10], "epochs": 30, "batch_size": 10, "limit": 50_000}
            run = (await c.post("/api/runs", json=slow)).json()
            while (await c.get(f"/api/runs/{run['id']}")).json()["events"] < 2:
                await asyncio.sleep(0.05)  # until training has begun
            before = (await c.get(f"/api/runs/{run['id']}")).json()["events"]

            async def one() -> tuple[int, float]:
                t = time.perf_counter()
                r = await c.post("/api/predict", json=body)
                return r.status_code, time.perf_counter() - t

            started = time.perf_counter()
            results = await asyncio.gather(*(one() for _ in range(requests)))
            wall = time.perf_counter() - started
            await asyncio.sleep(0.6)
            state = (await c.get(f"/api/runs/{run['id']}")).json()
            await c.post(f"/api/runs/{run['id']}/stop")
            return (
                [s for s, _ in results],
                [t for _, t in results],
                wall,
                before,
                state["events"],
                state["status"],
            )

    # In a thread of its own: Playwright's sync API may hold an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(lambda: asyncio.run(scenario())).result(timeout=120)
    statuses, latencies, wall, before, after, status = outcome
    assert statuses == [200] * requests
    assert status == "running"
    assert after > before, "training made no progress while predictions were served"
    p50 = statistics.median(latencies)
    p95 = sorted(latencies)[int(0.95 * requests) - 1]
    print(
        f"\n{requests} concurrent predictions during training: wall {wall:.2f} s, "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms, "
        f"{requests / wall:.0f} per second; training events {before} -> {after}"
    )
    assert wall < 20
    assert max(latencies) < 20


# ---------------------------------------------------------------------- the command
def test_serve_help_does_not_import_fastapi() -> None:
    code = (
        "import sys; from digitnet.cli import build_parser; build_parser(); "
        "print('fastapi' in sys.modules or 'uvicorn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_serve_port_in_use_is_one_sentence_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from digitnet.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port), "--no-browser"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"port {port}" in err and "already in use" in err


def test_serve_unknown_model_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from digitnet.cli import main

    assert main(["serve", "--model", "no-such-model", "--no-browser"]) == 2
    assert "unknown model" in capsys.readouterr().err


def test_serve_command_serves_the_page(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitnet", "serve", "--port", "0", "--no-browser",
         "--models-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        assert httpx.get(match.group(0), timeout=10).status_code == 200
        models = httpx.get(match.group(0) + "api/models", timeout=10).json()
        assert models["models_dir"] == str(tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_run_without_settings_uses_the_documented_defaults() -> None:
    from digitnet.web.bodies import RunBody

    defaults = RunBody().model_dump()
    assert defaults["init"] == "xavier"  # N(0, 1) saturates sigmoid neurons at the start
    documented = json.loads(
        re.search(
            r"### `POST /api/runs`\n\n```json\n(.*?)```",
            (Path(__file__).parent.parent / "docs" / "api.md").read_text(),
            re.S,
        ).group(1)  # type: ignore[union-attr]
    )
    assert documented == defaults


def test_a_neuron_s_features_come_from_inspection(client: TestClient) -> None:
    from digitnet import load_network
    from digitnet.inspection import mnist_test_set, top_activating, traced_weights
    from digitnet.maximise import maximise_activation
    from digitnet.slant import inputs_for

    net = load_network("video")
    response = client.get("/api/models/video/neurons/2/5/features")
    assert response.status_code == 200, response.text
    data = response.json()
    images, labels = mnist_test_set()
    upright = np.asarray(inputs_for(net.metadata, images))  # as `video` reads them
    top = top_activating(net, upright, 2, 5, k=6)
    assert [d["index"] for d in data["top_digits"]] == top.tolist()
    assert [d["label"] for d in data["top_digits"]] == labels[top].tolist()
    assert [d["pixels"] for d in data["top_digits"]] == upright[top].reshape(6, -1).tolist()
    np.testing.assert_allclose(data["traced_weights"], traced_weights(net, 2)[5], atol=1e-5)
    favourite = maximise_activation(net, 2, 5).reshape(-1)
    np.testing.assert_allclose(data["favourite_input"], favourite, atol=1e-3)
    assert_error(client.get("/api/models/video/neurons/0/5/features"), 422, "input neuron")
    assert_error(client.get("/api/models/video/neurons/1/16/features"), 404, "no neuron 16")
