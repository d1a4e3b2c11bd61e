"""Checkpoints and --resume: a run killed at any moment and continued ends with the same weights,
bit for bit, as the run never interrupted; Ctrl+C saves the run and says how to continue."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digitnet import Network, Recipe, load_network
from digitnet.checkpoint import TrainingState, read_checkpoint, write_checkpoint
from digitnet.cli import main
from digitnet.errors import ModelFileError

# Long enough (about 3 s) to be killed in the middle; it uses the optimizer's memory (Adam),
# the random generator (shuffling and distortions) and early stopping's bookkeeping.
RECIPE = (
    "--layers 784,16,10 --limit 12000 --epochs 10 --augment small --optimizer adam "
    "--validation-size 1000 --early-stopping 4 --seed 3"
).split()


def weights_of(path: Path) -> list[bytes]:
    net = load_network(path)
    return [a.tobytes() for a in net.weights + net.biases]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "ref.safetensors"
    assert main(["train", *RECIPE, "-q", "-o", str(out)]) == 0
    return out


def digitnet(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digitnet", "train", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_training(proc: subprocess.Popen[str], checkpoint: Path, since: float) -> None:
    """Until the run writes its checkpoint (it does so as training starts, then after every
    epoch) or ends: data loading is over and the kill falls into training."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if checkpoint.exists() and checkpoint.stat().st_mtime >= since:
            return
        time.sleep(0.01)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_killed_at_random_moments_ends_bit_identical(
    seed: int, reference: Path, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    checkpoint, out = tmp_path / "run.checkpoint.safetensors", tmp_path / "out.safetensors"
    start = [*RECIPE, "-q", "--checkpoint", str(checkpoint), "-o", str(out)]
    kills = 0
    for _ in range(12):
        argv = ["--resume", str(checkpoint)] if checkpoint.exists() else start
        since = time.time() - 0.01
        proc = digitnet(*argv)
        if kills < 3:
            wait_for_training(proc, checkpoint, since)
            time.sleep(rng.uniform(0.0, 0.8))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0 and kills == 0:  # it ended before the kill: once more
            checkpoint.unlink()
            continue
        if proc.returncode == 0:
            break
        assert proc.returncode == -signal.SIGKILL, err
    assert proc.returncode == 0 and kills >= 1
    assert weights_of(out) == weights_of(reference)
    history = load_network(out).metadata["history"]
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))


def test_ctrl_c_saves_the_run_and_says_how_to_continue(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.safetensors"
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitnet", "train", *RECIPE, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A shell's background job starts with Ctrl+C ignored, and its children inherit that:
        # give the run Ctrl+C back, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # Ctrl+C once the first epoch is done, in the second
        if line.startswith("epoch   1/"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    saved = tmp_path / "model.checkpoint.safetensors"
    assert proc.returncode == 130, err
    assert f"continue with: digitnet train --resume {saved}" in err
    assert "Traceback" not in err and not out.exists()
    done = subprocess.run(
        [sys.executable, "-m", "digitnet", "train", "--resume", str(saved), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert weights_of(out) == weights_of(reference)


def test_a_checkpoint_holds_everything_and_is_a_model_file(tmp_path: Path) -> None:
    net = Network([784, 8, 10], seed=1)
    net.metadata["training"] = Recipe.preset("quick").to_dict()
    rng = np.random.default_rng(5)
    rng.random(3)
    state = TrainingState(
        epochs_done=4,
        rng=dict(rng.bit_generator.state),
        optimizer={"m.0": np.ones((8, 784), np.float32), "v.0": np.zeros((8, 784), np.float32)},
        optimizer_numbers={"t": 17},
        best_accuracy=0.5,
        since_best=1,
        best_params=([w * 2 for w in net.weights], [b + 1 for b in net.biases]),
        context={"output": "x.safetensors"},
    )
    path = write_checkpoint(tmp_path / "c.safetensors", net, state)
    again, read = read_checkpoint(path)
    assert [w.tobytes() for w in again.weights] == [w.tobytes() for w in net.weights]
    assert read.epochs_done == 4 and read.optimizer_numbers == {"t": 17}
    assert read.rng == state.rng and read.context == state.context
    assert read.optimizer["m.0"].tobytes() == state.optimizer["m.0"].tobytes()
    assert read.best_params is not None
    assert read.best_params[0][0].tobytes() == (net.weights[0] * 2).tobytes()
    other = np.random.default_rng()
    other.bit_generator.state = read.rng
    assert other.random() == rng.random()
    assert load_network(path).sizes == [784, 8, 10]  # also a model file
    assert "state" not in load_network(path).metadata
    with pytest.raises(ModelFileError, match="not a digitnet checkpoint"):
        read_checkpoint(net.save(tmp_path / "plain.safetensors"))


def test_resume_refuses_new_options_and_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(os.urandom(64))
    assert main(["train", "--resume", str(bad)]) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err
    net = Network([784, 8, 10])
    net.metadata["training"] = Recipe.preset("quick").to_dict()
    good = write_checkpoint(tmp_path / "c.safetensors", net, TrainingState())
    assert main(["train", "--resume", str(good), "--epochs", "3"]) == 2
    assert "leave out --epochs" in capsys.readouterr().err
