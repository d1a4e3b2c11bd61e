"""The `digitnet` command: train, evaluate, info, and clear errors for bad arguments and files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from digitnet.cli import main
from digitnet.modelfile import load_network


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
        "0.02",
        "--validation-size",
        "1000",
        "--checkpoint",
        str(tmp_path / "best.safetensors"),
        "-o",
        str(out),
    )
    assert code == 0
    assert "epoch   2/2" in stdout and "test accuracy" in stdout and f"saved {out}" in stdout
    net = load_network(out)
    assert net.sizes == [784, 16, 10]
    assert [h["epoch"] for h in net.metadata["history"]] == [1, 2]
    assert net.metadata["training"]["optimizer"] == "adam"
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
    code, out, _ = run(capsys, "info", "wide", "--json")
    assert json.loads(out)["sizes"][0] == 784


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "missing.safetensors"], "does not exist"),
        (["info", "nonsense"], "does not exist"),
        (["train", "--layers", "784,abc"], "layers must be numbers"),
        (["train", "--lr", "-1"], "positive number"),
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
    proc = subprocess.run(
        [sys.executable, "-m", "digitnet", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    for command in ("train", "evaluate", "info"):
        assert command in proc.stdout
