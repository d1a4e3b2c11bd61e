"""The page's training runs read the one recipe: its options, defaults and limits, every option
reaching the model file, and the same weights as `digitnet train` for the same recipe."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from digitnet import load_network
from digitnet.cli import main
from digitnet.recipe import Recipe, describe_options
from digitnet.web.app import STATIC, create_app
from test_recipe import EVERY_FIELD

# A value for every option the page may set that differs from the page preset's: the command
# line test's values, but for the two that the page preset sets like them.
EVERY_PAGE_FIELD: dict[str, Any] = {
    **{o["name"]: EVERY_FIELD[o["name"]] for o in describe_options(page=True)},
    "hidden_activation": "relu",
    "output_activation": "softmax",
}


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(models_dir=tmp_path / "models")) as c:
        yield c


def finish(client: TestClient, settings: dict[str, Any], name: str) -> Path:
    """Start a run, wait for it, save its network as ``name``; the saved file's path."""
    response = client.post("/api/runs", json=settings)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    deadline = time.monotonic() + 120
    while (run := client.get(f"/api/runs/{run_id}").json())["status"] not in (
        "finished",
        "stopped",
        "failed",
    ):
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.05)
    assert run["status"] == "finished", run["error"]
    saved = client.post(f"/api/runs/{run_id}/save", json={"name": name})
    assert saved.status_code == 201, saved.text
    return Path(client.app.state.store.saved_path(name))  # type: ignore[attr-defined]


def test_the_test_names_every_page_field() -> None:
    page = {o["name"] for o in describe_options(page=True)}
    assert set(EVERY_PAGE_FIELD) == page
    defaults = Recipe.preset("page").to_dict()
    assert [k for k, v in EVERY_PAGE_FIELD.items() if defaults[k] == v] == []


def test_every_page_option_reaches_the_model_file(client: TestClient) -> None:
    path = finish(client, EVERY_PAGE_FIELD, "every")
    training = load_network(path).metadata["training"]
    off_the_page = {
        "teacher": "",
        "distill_weight": 0.7,
        "temperature": 2.0,
        "threads": 1,
        "preprocessing": "none",
        "reading": "once",
    }
    assert training == {**EVERY_PAGE_FIELD, **off_the_page}


def test_the_page_and_the_command_line_train_the_same_weights(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = {"layers": [784, 16, 10], "epochs": 1, "limit": 1500, "seed": 5}
    from_page = load_network(finish(client, settings, "same"))
    out = tmp_path / "cli.safetensors"
    argv = ["train", "--preset", "page", "--layers", "784,16,10", "--epochs", "1"]
    assert main([*argv, "--limit", "1500", "--seed", "5", "-q", "-o", str(out)]) == 0
    capsys.readouterr()
    from_cli = load_network(out)
    assert from_cli.metadata["training"] == from_page.metadata["training"]
    for a, b in zip(
        from_page.weights + from_page.biases, from_cli.weights + from_cli.biases, strict=True
    ):
        assert a.tobytes() == b.tobytes()


def test_a_preset_from_the_page_and_explicit_settings_win(client: TestClient) -> None:
    settings = {"preset": "nielsen", "layers": [784, 10, 10], "epochs": 1, "limit": 500}
    training = load_network(finish(client, settings, "nielsen")).metadata["training"]
    assert (training["cost"], training["optimizer"], training["learning_rate"]) == (
        "quadratic",
        "sgd",
        3.0,
    )
    assert (training["layers"], training["epochs"], training["threads"]) == ([784, 10, 10], 1, 1)


def test_options_come_from_the_recipe(client: TestClient) -> None:
    options = client.get("/api/options").json()
    assert options["recipe"] == describe_options(page=True)
    page = Recipe.preset("page")
    for option in options["recipe"]:
        assert option["default"] == getattr(page, option["name"])
    assert set(options["presets"]) == {"quick", "nielsen", "video", "wide", "page"}
    fields = {f.name for f in dataclasses.fields(Recipe)}
    off_the_page = {
        "teacher", "distill_weight", "temperature", "threads", "preprocessing", "reading",
    }  # fmt: skip
    assert {o["name"] for o in options["recipe"]} == fields - off_the_page


def test_the_learn_form_has_no_defaults_of_its_own() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    form = html[
        html.index('<form id="learn-form"') : html.index("</form>", html.index("learn-form"))
    ]
    inputs = re.findall(r"<input [^>]*>", form)
    recipe_inputs = [i for i in inputs if 'name="save-name"' not in i]
    assert recipe_inputs, "the form lost its fields"
    for tag in recipe_inputs:
        assert not re.search(r"\b(value|min|max)=", tag), tag
