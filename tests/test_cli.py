"""The `digitnet` command: train, evaluate, info, and clear errors for bad arguments and files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from digitnet import load_network
from digitnet.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_saves_a_model_with_its_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.safetensors"
    code, stdout, _ = run(
        capsys,
        "train",
        "--layers",
        "784,16,10",
        "--epochs",
        "2",
        "--limit",
        "5000",
        "--lr",
        "0.5",
        "--validation-size",
        "1000",
        "--save-best",
        str(tmp_path / "best.safetensors"),
        "-o",
        str(out),
    )
    assert code == 0
    assert "epoch   2/2" in stdout and "test accuracy" in stdout and f"saved {out}" in stdout
    net = load_network(out)
    assert net.sizes == [784, 16, 10]
    assert [h["epoch"] for h in net.metadata["history"]] == [1, 2]
    assert net.metadata["training"]["optimizer"] == "sgd"  # digitnet train's default
    assert net.metadata["test_accuracy"] > 0.8
    best = load_network(tmp_path / "best.safetensors")
    assert 1 <= len(best.metadata["history"]) <= 2


def test_train_nielsen_recipe_sets_the_books_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "n.safetensors"
    code, _, _ = run(
        capsys, "train", "--nielsen", "--epochs", "1", "--limit", "2000", "-q", "-o", str(out)
    )
    assert code == 0
    net = load_network(out)
    t = net.metadata["training"]
    assert net.sizes == [784, 30, 10]
    assert (t["cost"], t["optimizer"], t["learning_rate"], t["batch_size"]) == (
        "quadratic",
        "sgd",
        3.0,
        10,
    )


def test_evaluate_prints_accuracy_per_digit_and_confusion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "evaluate", "video")
    assert code == 0
    assert "test accuracy" in out and "confusion matrix" in out
    assert "read once" not in out  # `video` reads pictures once, as it is measured
    code, out, _ = run(capsys, "evaluate", "wide")  # reads pictures five times: says so
    assert "test accuracy 99.40% (9,940 of 10,000; each test digit read once, where pictures" in out
    code, out, _ = run(capsys, "evaluate", "--json")
    data = json.loads(out)
    assert data["images"] == 10_000 and len(data["per_digit"]) == 10
    assert sum(map(sum, data["confusion"])) == 10_000
    assert sum(data["confusion"][d][d] for d in range(10)) == data["correct"]
    assert data["accuracy"] == pytest.approx(data["correct"] / 10_000)


def test_info_counts_parameters_per_layer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert "784-16-16-10, 13,002 parameters" in out
    assert "12,544 weights (784x16) + 16 biases = 12,560" in out
    assert "training images: small distortions, deslanted\n" in out
    code, out, _ = run(capsys, "info", "wide")
    assert "training images: full distortions, deslanted, 30% of the 1s given a flag" in out
    code, out, _ = run(capsys, "info", "wide", "--json")
    assert json.loads(out)["sizes"][0] == 784


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "missing.safetensors"], "does not exist"),
        (["info", "nonsense"], "does not exist"),
        (["train", "--layers", "784,abc"], "layers must be numbers"),
        (["train", "--lr", "-1"], "learning_rate must be more than 0"),
        (["train", "--epochs", "0"], "at least 1"),
        (["train", "--layers", "100,10", "--limit", "10"], "784 input and 10 output"),
        (["train", "-o", "/no/such/folder/m.safetensors", "--limit", "10"], "does not exist"),
        (["train", "--data-dir", "/no/such/folder"], "/no/such/folder"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_sentence_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_a_bad_model_file_through_the_real_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 100)
    proc = subprocess.run(
        [sys.executable, "-m", "digitnet", "evaluate", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("digitnet: error: ") and "bad.safetensors" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_help_lists_every_command() -> None:
    from digitnet.cli import COMMANDS

    proc = subprocess.run(
        [sys.executable, "-m", "digitnet", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    listed = proc.stdout.split("COMMAND", 2)[-1]
    expected = {
        "train",
        "evaluate",
        "info",
        "predict",
        "fool",
        "read",
        "serve",
        "show",
        "report",
        "export",
        "download",
        "teach",
    }
    assert set(COMMANDS) == expected
    for command in expected:
        assert f"\n    {command} " in listed, command
        sub = subprocess.run(
            [sys.executable, "-m", "digitnet", command, "--help"], capture_output=True, text=True
        )
        assert sub.returncode == 0 and f"usage: digitnet {command}" in sub.stdout


def test_a_command_module_that_fails_to_import_is_not_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import digitnet.cli as cli

    broken = type(cli)("broken")  # a command module without add_parser
    monkeypatch.setitem(cli.COMMANDS, "broken", broken)
    with pytest.raises(AttributeError):
        cli.build_parser()


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "{m}", "--json"],
        ["evaluate", "--model", "{m}", "--json"],
        ["info", "{m}", "--json"],
        ["info", "-m", "{m}", "--json"],
    ],
)
def test_the_model_is_given_as_model_or_as_option(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *[a.format(m="wide") for a in argv])
    assert code == 0, err
    data = json.loads(out)
    assert data.get("model", "wide") == "wide"
    assert data.get("sizes", [784, 1024])[1] == 1024 or data["accuracy"] > 0.99


def test_every_model_command_accepts_both_spellings() -> None:
    from digitnet.cli import build_parser

    parser = build_parser()
    for argv in (
        ["evaluate", "wide"],
        ["evaluate", "--model", "wide"],
        ["info", "--model", "wide"],
        ["show", "weights", "wide"],
        ["show", "curves", "--model", "wide"],
        ["report", "wide"],
        ["report", "--model", "wide"],
        ["serve", "wide"],
        ["serve", "--model", "wide"],
        ["predict", "--model", "wide", "a.png"],
    ):
        args = parser.parse_args(argv)
        assert "wide" in (getattr(args, "model_given", None), args.model_option), argv


def test_two_different_models_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "info", "video", "--model", "wide")
    assert code == 2 and "two models given" in err


def test_predict_takes_the_model_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from digitnet.data import load_mnist

    digit = load_mnist().test.images[0]  # a 7
    path = tmp_path / "seven.png"
    Image.fromarray(digit).save(path)
    code, out, err = run(capsys, "predict", "wide", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["digit"] == 7


def test_nielsen_with_epochs_trains_that_many_epochs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "n1.safetensors"
    code, stdout, _ = run(
        capsys, "train", "--nielsen", "--epochs", "1", "--limit", "1000", "-o", str(out)
    )
    assert code == 0
    assert "epoch   1/1" in stdout and "epoch   2/" not in stdout
    net = load_network(out)
    assert len(net.metadata["history"]) == 1 and net.metadata["training"]["epochs"] == 1
    assert net.metadata["training"]["cost"] == "quadratic"  # the rest is still Nielsen's


def test_report_refuses_a_wrong_extension_as_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "report", "-o", str(tmp_path / "out.txt"))
    assert code == 2
    assert "a report must end in .html or .htm" in err
    assert not (tmp_path / "out.txt").exists()


def test_info_reads_a_model_whose_recipe_is_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from digitnet import Network

    net = Network([784, 10])
    net.metadata.update({"training": {"epochs": 1}, "history": [{"epoch": 1}]})
    path = net.save(tmp_path / "partial.safetensors")
    code, out, _ = run(capsys, "info", str(path))
    assert code == 0 and "trained 1 epochs: recipe unknown" in out
