"""Request bodies of ``digitnet serve``: the compact ways the page sends a drawing
(``pixels_b64``, ``steps``), and bodies the server cannot use, which are refused with one
sentence (400, 413 or 422) and never make a 500 or a traceback in the server's log."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import running_server
from digitnet.web.app import create_app
from digitnet.web.http import INTERNAL, NOT_JSON, NOT_OBJECT, TOO_DEEP, TOO_MANY_DIGITS

JSON = {"content-type": "application/json"}
BODY_ENDPOINTS = ["/api/predict", "/api/models/video/neurons/1/0", "/api/runs"]


def stroke_one(size: int = 112) -> np.ndarray:
    """A vertical white stroke on black: a clear 1, as uint8 (size, size)."""
    img = np.zeros((size, size), np.uint8)
    img[size // 6 : size - size // 6, size // 2 - 5 : size // 2 + 5] = 255
    return img


def b64(image: np.ndarray) -> str:
    return base64.b64encode(image.tobytes()).decode("ascii")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app, raising any exception it does not handle (so a would-be 500 fails the test)."""
    with TestClient(create_app(models_dir=tmp_path_factory.mktemp("models"))) as c:
        yield c


def one_sentence(response: httpx.Response, *statuses: int) -> str:
    """The refusal's sentence, after checking its status and form."""
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    message = body["error"]
    assert isinstance(message, str) and 5 < len(message) < 300, message
    assert "\n" not in message and "Traceback" not in message
    return message


# ---------------------------------------------------------------------- the page's encoding
def test_pixels_b64_reads_like_the_list_of_numbers(client: TestClient) -> None:
    image = stroke_one()
    as_list = {"width": 112, "height": 112, "pixels": image.reshape(-1).tolist()}
    as_b64 = {"width": 112, "height": 112, "pixels_b64": b64(image)}
    a = client.post("/api/predict", json=as_list).json()
    b = client.post("/api/predict", json=as_b64).json()
    assert a["digit"] == b["digit"] == 1
    assert a == b


def test_steps_are_sent_only_when_asked_for(client: TestClient) -> None:
    body = {"width": 112, "height": 112, "pixels_b64": b64(stroke_one())}
    default = client.post("/api/predict", json=body).json()
    assert [s["name"] for s in default["steps"]][:2] == ["grey", "flat"]  # as before
    without = client.post("/api/predict", json={**body, "steps": False})
    assert without.status_code == 200 and without.json()["steps"] is None
    assert len(without.content) < len(client.post("/api/predict", json=body).content)
    assert {k: v for k, v in without.json().items() if k != "steps"} == {
        k: v for k, v in default.items() if k != "steps"
    }
    mnist = {"width": 28, "height": 28, "pixels_b64": b64(stroke_one(28)), "preprocess": False}
    steps = client.post("/api/predict", json={**mnist, "steps": False}).json()["steps"]
    assert steps is not None and all(s["name"] == "upright" for s in steps)  # none to skip


def test_a_reading_runs_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CPU work of a reading (preprocessing, network, JSON) runs in the readers' thread,
    so that the event loop keeps answering other requests meanwhile."""
    from digitnet.web.routes import predict

    threads: list[str] = []
    real = predict.predict

    def recorded(*args: Any) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(predict, "predict", recorded)
    body = {"width": 112, "height": 112, "pixels_b64": b64(stroke_one()), "steps": False}
    assert client.post("/api/predict", json=body).json()["digit"] == 1
    assert len(threads) == 1 and threads[0].startswith("digitnet-predict")


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"pixels_b64": "!!!!"}, "pixels_b64: is not valid base64"),
        ({"pixels_b64": "AAAA"}, "pixels_b64 holds 3 bytes"),
        ({"pixels_b64": "AAA"}, "pixels_b64: is not valid base64"),  # padding missing
        ({"pixels_b64": "\u00e9t\u00e9"}, "pixels_b64: is not valid base64"),
        ({"pixels_b64": 5}, "pixels_b64: Input should be a valid string"),
        ({"pixels_b64": "AAAA", "pixels": [0] * 64}, "not both"),
        ({}, "pixels: Field required"),
        ({"pixels": "white"}, "pixels: must be a list of numbers"),
        ({"pixels": {"0": 1}}, "pixels: must be a list of numbers"),
        ({"pixels": [[0]] * 64}, "pixels: must be a list of numbers"),
        ({"pixels": ["white"] * 64}, "pixels: must be a list of numbers"),
        ({"pixels": [None] * 64}, "0 to 255"),
        ({"pixels": [10**400] * 64}, "pixels: must be a list of numbers"),
        ({"steps": "sometimes"}, "steps: Input should be a valid boolean"),
    ],
)
def test_wrong_pixels_are_one_sentence_422(
    client: TestClient, extra: dict[str, Any], words: str
) -> None:
    body = {"width": 8, "height": 8, **extra}
    assert words in one_sentence(client.post("/api/predict", json=body), 422)


# ---------------------------------------------------------------------- bodies that cannot be read
DEEP = 100_000
UNREADABLE: list[tuple[str, bytes, str]] = [
    ("arrays nested 100,000 deep", b"[" * DEEP, TOO_DEEP),
    ("closed arrays nested 100,000 deep", b"[" * DEEP + b"]" * DEEP, TOO_DEEP),
    ("objects nested 100,000 deep", b'{"a":' * DEEP + b"0" + b"}" * DEEP, TOO_DEEP),
    ("a field nested 50,000 deep", b'{"pixels":' + b"[" * 50_000 + b"]" * 50_000 + b"}", TOO_DEEP),
    ("an integer of 5,000 digits", b'{"width": ' + b"9" * 5000 + b"}", TOO_MANY_DIGITS),
    ("bytes that are not UTF-8", b"\xff\xfe\xfd", NOT_JSON),
    ("a string that is not UTF-8", b'{"model": "\xff\xfe"}', NOT_JSON),
    ("an overlong UTF-8 slash", b'{"model": "\xc0\xaf"}', NOT_JSON),
    ("a UTF-8 sequence cut short", b'{"model": "\xe2\x82"}', NOT_JSON),
    ("JSON cut short", b'{"width": 8, "height": ', NOT_JSON),
    ("trailing garbage", b"{} {}", NOT_JSON),
    ("a single quote", b"{'width': 8}", NOT_JSON),
    ("a control character in a string", b'{"model": "a\x01b"}', NOT_JSON),
    ("a list", b"[1, 2]", NOT_OBJECT),
    ("a number", b"1e400", NOT_OBJECT),
    ("true", b"true", NOT_OBJECT),
]


@pytest.mark.parametrize("url", BODY_ENDPOINTS)
@pytest.mark.parametrize(("name", "content", "message"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_a_body_that_cannot_be_read_is_400(
    client: TestClient, url: str, name: str, content: bytes, message: str
) -> None:
    assert one_sentence(client.post(url, content=content, headers=JSON), 400) == message
    # Without a Content-Type the body is read as JSON too, with the same answer.
    assert one_sentence(client.post(url, content=content), 400) == message


def test_the_parser_s_limits_are_sentences_for_saving_a_run_too(client: TestClient) -> None:
    run = client.post("/api/runs", json={"layers": [784, 10], "epochs": 1, "limit": 500})
    run_id = run.json()["id"]
    url = f"/api/runs/{run_id}/save"
    for _, content, message in UNREADABLE:
        assert one_sentence(client.post(url, content=content, headers=JSON), 400) == message
    client.post(f"/api/runs/{run_id}/stop")


# ---------------------------------------------------------------------- readable but wrong
def wrong_bodies() -> list[tuple[str, dict[str, Any] | bytes]]:
    """Bodies that parse but hold values out of range or of the wrong type (JSON text, since
    NaN, Infinity and huge numbers cannot be written by json.dumps in its strict mode)."""
    raw = [
        ("width 1e400", b'{"width": 1e400, "height": 8, "pixels": [0]}'),
        ("height -1e400", b'{"width": 8, "height": -1e400, "pixels": [0]}'),
        ("width NaN", b'{"width": NaN, "height": 8, "pixels": [0]}'),
        ("show Infinity", b'{"width": 8, "height": 8, "pixels": [0], "show": Infinity}'),
        ("pixels 1e400", b'{"width": 8, "height": 8, "pixels": [' + b"1e400," * 63 + b"0]}"),
        ("pixels -1e400", b'{"width": 8, "height": 8, "pixels": [' + b"-1e400," * 63 + b"0]}"),
        ("pixels NaN", b'{"width": 8, "height": 8, "pixels": [' + b"NaN," * 63 + b"0]}"),
        ("width 10^300", b'{"width": 1' + b"0" * 300 + b', "height": 8, "pixels": [0]}'),
        ("input 1e400", b'{"input": [' + b"1e400," * 783 + b"0]}"),
        ("input NaN", b'{"input": [' + b"NaN," * 783 + b"0]}"),
        ("input 10^300", b'{"input": [1' + b"0" * 300 + b"]}"),
        ("learning_rate 1e400", b'{"learning_rate": 1e400}'),
        ("learning_rate NaN", b'{"learning_rate": NaN}'),
        ("epochs -Infinity", b'{"epochs": -Infinity}'),
        ("seed 10^300", b'{"seed": 1' + b"0" * 300 + b"}"),
        ("layers 10^300", b'{"layers": [784, 1' + b"0" * 300 + b", 10]}"),
        ("batch_size 1e300", b'{"batch_size": 1e300}'),
        ("a lone surrogate as a key", b'{"\\ud800": 1}'),
        ("a lone surrogate as a model", b'{"model": "\\udfff", "width": 8, "height": 8}'),
        ("a lone surrogate as a preset", b'{"preset": "\\ud800"}'),
        ("a key of 5,000 letters", b'{"' + b"k" * 5000 + b'": 1}'),
        ("nested 500 deep", b'{"pixels": ' + b"[" * 500 + b"]" * 500 + b"}"),
        ("a BOM", b'\xef\xbb\xbf{"width": 8}'),
        ("UTF-16", '{"width": 8}'.encode("utf-16")),
    ]
    typed: list[tuple[str, dict[str, Any] | bytes]] = [
        (f"{field} {json.dumps(value)[:20]}", {field: value})
        for field in ("width", "height", "show", "model", "preprocess", "input", "layers")
        for value in ("8x", [8], {"a": 1}, None, -5, 0, 10**9, 10**100, "", [])
    ]
    huge = [
        ("gigantic sides", {"width": 10**9, "height": 10**9, "pixels": [0]}),
        ("gigantic raw sides", {"width": 10**9, "height": 10**9, "preprocess": False}),
        ("negative sides", {"width": -112, "height": -112, "pixels_b64": ""}),
        ("a side of 10^100", {"width": 10**100, "height": 8, "pixels_b64": "AAAA"}),
    ]
    return [*raw, *typed, *huge]


WRONG = wrong_bodies()


@pytest.mark.parametrize("url", BODY_ENDPOINTS)
@pytest.mark.parametrize(("name", "body"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_values_are_refused_in_one_sentence(
    client: TestClient, url: str, name: str, body: dict[str, Any] | bytes
) -> None:
    """Never a 500: 422 for values, 400 for bodies, 404 for an unknown model; runs whose
    settings are right by chance (a field another endpoint takes) are stopped again."""
    if isinstance(body, bytes):
        response = client.post(url, content=body, headers=JSON)
    else:
        response = client.post(url, json=body)
    if response.status_code == 202:  # a run body that is valid after all
        client.post(f"/api/runs/{response.json()['id']}/stop")
        return
    if response.status_code == 200:  # a neuron body that is valid after all
        assert url.startswith("/api/models/")
        return
    one_sentence(response, 400, 404, 422)


def test_sizes_too_large_to_write_out_are_not_written_out(client: TestClient) -> None:
    body = {"width": 10**300, "height": 8, "pixels": [0]}
    message = one_sentence(client.post("/api/predict", json=body), 422)
    assert "8 to 512 pixels a side" in message and "000000" not in message


# ---------------------------------------------------------------------- the server's log
def test_no_body_makes_a_traceback_in_the_server_s_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The bad bodies above sent to a real uvicorn server: answered, and nothing logged with
    an exception (uvicorn logs "Exception in ASGI application" and a traceback for a 500)."""
    with caplog.at_level(logging.DEBUG), running_server(tmp_path) as url:
        # uvicorn sets up its loggers as it starts (dropping their handlers): listen after.
        loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "fastapi")]
        for logger in loggers:
            logger.addHandler(caplog.handler)
        try:
            with httpx.Client(base_url=url, timeout=30) as http:
                for path in BODY_ENDPOINTS:
                    for _, content, _ in UNREADABLE:
                        assert http.post(path, content=content, headers=JSON).status_code == 400
                    for _, body in WRONG:
                        data = body if isinstance(body, bytes) else json.dumps(body).encode()
                        status = http.post(path, content=data, headers=JSON).status_code
                        assert status in (200, 202, 400, 404, 422)
                        if status == 202:
                            for run in http.get("/api/runs").json()["runs"]:
                                http.post(f"/api/runs/{run['id']}/stop")
        finally:
            for logger in loggers:
                logger.removeHandler(caplog.handler)
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert logged == [], [r.getMessage() for r in logged]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ---------------------------------------------------------------------- the last resort
def test_an_unexpected_failure_is_still_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a reading ever to fail unexpectedly, the answer is a 500 with one sentence (and the
    exception goes to the log, so that it can be fixed): never an HTML or text page."""
    from digitnet.web.routes import predict

    def broken(*args: Any) -> dict[str, Any]:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(predict, "predict", broken)
    with TestClient(create_app(models_dir=tmp_path), raise_server_exceptions=False) as c:
        body = {"width": 112, "height": 112, "pixels_b64": b64(stroke_one())}
        assert one_sentence(c.post("/api/predict", json=body), 500) == INTERNAL
        assert c.get("/api/health").status_code == 200  # and the server lives on


def test_a_nesting_too_deep_met_later_is_a_400_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A RecursionError met after the body was parsed (say, walking a deep structure) is the
    body's fault as well: 400, one sentence, one line in the log and no traceback."""
    from digitnet.web.routes import predict

    def too_deep(*args: Any) -> dict[str, Any]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(predict, "predict", too_deep)
    with TestClient(create_app(models_dir=tmp_path)) as c, caplog.at_level(logging.WARNING):
        body = {"width": 112, "height": 112, "pixels_b64": b64(stroke_one())}
        assert one_sentence(c.post("/api/predict", json=body), 400) == TOO_DEEP
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert not caplog.records[0].exc_info
