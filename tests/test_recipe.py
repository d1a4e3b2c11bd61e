"""One recipe: every training option once, presets that set defaults only, and every option
reaching the model file from the command line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from digitnet import load_network
from digitnet.cli import main
from digitnet.errors import DigitnetError
from digitnet.recipe import PRESETS, Recipe, describe_options

# A value for every recipe field that differs from the quick and the page presets: a run
# with all of them shows that each option reaches the model file.
EVERY_FIELD: dict[str, object] = {
    "layers": [784, 12, 10],
    "hidden_activation": "tanh",
    "output_activation": "sigmoid",
    "init": "he",
    "cost": "quadratic",
    "optimizer": "momentum",
    "learning_rate": 0.05,
    "momentum": 0.8,
    "weight_decay": 1e-05,
    "schedule": "step",
    "step_every": 2,
    "step_factor": 0.25,
    "batch_size": 50,
    "epochs": 2,
    "early_stopping": 3,
    "validation_size": 500,
    "limit": 1000,
    "augment": "light",
    "flagged_ones": 0.5,
    "preprocessing": "none",
    "reading": "shifted",
    "teacher": "video",
    "distill_weight": 0.5,
    "temperature": 1.5,
    "seed": 7,
    "threads": 1,
}


def test_the_test_names_every_field() -> None:
    assert set(EVERY_FIELD) == {f.name for f in dataclasses.fields(Recipe)}
    defaults = Recipe.preset("quick").to_dict()
    assert [k for k, v in EVERY_FIELD.items() if defaults[k] == v] == []


def test_a_preset_sets_defaults_and_explicit_options_win() -> None:
    nielsen = Recipe.preset("nielsen", epochs=1)
    assert nielsen.epochs == 1
    assert (nielsen.layers, nielsen.cost, nielsen.optimizer) == ([784, 30, 10], "quadratic", "sgd")
    assert nielsen.learning_rate == 3.0 and nielsen.batch_size == 10
    for name, values in PRESETS.items():
        recipe = Recipe.preset(name)
        for key, value in values.items():
            assert getattr(recipe, key) == value, (name, key)
        assert Recipe.preset(name, seed=11).seed == 11
    # The defaults are a recipe for any data; quick changes what pays for MNIST.
    assert Recipe.preset("quick") == Recipe(**PRESETS["quick"])
    assert Recipe().preprocessing == "none"  # your own data is not deslanted by default
    assert (Recipe().optimizer, Recipe().augment, Recipe().epochs) == ("adam", "small", 18)


def test_the_shipped_presets_are_the_readme_commands() -> None:
    video = Recipe.preset("video")
    assert (video.layers, video.preprocessing, video.epochs, video.validation_size) == (
        [784, 16, 16, 10],
        "deslant",
        80,
        0,
    )
    assert (video.hidden_activation, video.teacher) == ("sigmoid", "")
    wide = Recipe.preset("wide")
    assert (wide.layers, wide.hidden_activation, wide.augment) == (
        [784, 1024, 1024, 10],
        "relu",
        "full",
    )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"learning_rate": 0.0}, "learning_rate must be more than 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"momentum": 1.0}, "momentum must be less than 1"),
        ({"cost": "hinge"}, "cost must be one of quadratic, cross_entropy"),
        ({"augment": "huge"}, "augment must be one of"),
        ({"layers": [784]}, "2 to 8 layers"),
        ({"layers": [784, 0, 10]}, "each has 1 to"),
        ({"batch_size": "32"}, "batch_size must be a whole number"),
        ({"colour": "red"}, "unknown recipe option(s): colour"),
    ],
)
def test_impossible_options_get_one_sentence(options: dict[str, object], message: str) -> None:
    with pytest.raises(DigitnetError) as info:
        Recipe.preset("quick", **options)
    assert message in str(info.value)


def test_the_page_has_tighter_limits() -> None:
    Recipe.preset("page").check_for_page()
    with pytest.raises(DigitnetError, match="epochs: at most 100 on the page"):
        Recipe.preset("page", epochs=101).check_for_page()
    with pytest.raises(DigitnetError, match="at most 2048 neurons"):
        Recipe.preset("page", layers=[784, 4096, 10]).check_for_page()
    Recipe.preset("page", epochs=101).validate()  # fine outside the page


def test_options_describe_every_field_with_its_default() -> None:
    described = {o["name"]: o for o in describe_options()}
    assert set(described) == {f.name for f in dataclasses.fields(Recipe)}
    assert described["epochs"]["default"] == 5 and described["epochs"]["minimum"] == 1
    assert described["validation_size"]["default"] == 0  # the quick preset's
    assert described["cost"]["choices"] == ["quadratic", "cross_entropy"]
    page = {o["name"]: o for o in describe_options(page=True)}
    assert "teacher" not in page and "threads" not in page and "temperature" not in page
    assert page["epochs"]["default"] == 5 and page["epochs"]["maximum"] == 100
    assert page["output_activation"]["default"] == "sigmoid"


def argv_for(values: dict[str, object]) -> list[str]:
    argv = []
    for name, value in values.items():
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        argv += ["--" + name.replace("_", "-"), text]
    return argv


def test_every_recipe_field_reaches_the_model_file_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "every.safetensors"
    code = main(["train", "-q", "-o", str(out), *argv_for(EVERY_FIELD)])
    _, err = capsys.readouterr()
    assert code == 0, err
    net = load_network(out)
    assert net.metadata["training"] == EVERY_FIELD
    assert (net.sizes, net.hidden_activation, net.output_activation, net.init, net.seed) == (
        [784, 12, 10],
        "tanh",
        "sigmoid",
        "he",
        7,
    )
    assert len(net.metadata["history"]) == 2


def test_the_recorded_recipe_trains_the_same_weights_again(tmp_path: Path) -> None:
    from digitnet.runner import run_recipe

    recipe = Recipe.preset("nielsen", layers=[784, 10, 10], epochs=1, limit=800, seed=4)
    first = run_recipe(recipe).net
    again = run_recipe(Recipe.from_dict(first.metadata["training"])).net
    for a, b in zip(first.weights + first.biases, again.weights + again.biases, strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", ["video", "wide"])
def test_the_shipped_networks_readme_commands_are_their_presets(name: str) -> None:
    import re
    import shlex

    from digitnet.cli import build_parser
    from digitnet.cli.train import recipe_from

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    command = re.search(rf"`digitnet train ([^`]*-o {name}\.safetensors)`", readme)
    assert command, f"the README's command for {name}"
    args = build_parser().parse_args(["train", *shlex.split(command.group(1))])
    assert recipe_from(args) == Recipe.preset(name)


def test_digitnet_train_with_no_options_reads_over_95_7_percent() -> None:
    """The README's first command: the video's network, deslanted MNIST, 5 epochs of plain
    gradient descent (96.46% here; the goal is 95.7%)."""
    from digitnet.runner import run_recipe

    trained = run_recipe(Recipe.preset("quick"))
    assert len(trained.history) == 5 and len(trained.split.train) == 60_000
    assert trained.net.metadata["preprocessing"] == {"deslant": True}
    assert trained.test_accuracy >= 0.957
