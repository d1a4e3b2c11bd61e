"""Replaying the learning (`digitnet.replay`): snapshots recorded by an epoch callback, thinned
within a budget, stored in the model file, and drawn by `digitnet show replay`."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from digitnet import Network
from digitnet.errors import ModelFileError
from digitnet.replay import SnapshotRecorder, read_snapshots, save_with_snapshots


def epoch(k: int) -> SimpleNamespace:
    return SimpleNamespace(epoch=k)


def test_small_networks_keep_every_epoch_and_the_untrained_one() -> None:
    net = Network([784, 16, 10], seed=1)
    recorder = SnapshotRecorder()
    recorder.start(net)
    for k in range(1, 6):
        net.weights[0] += 1.0  # "training"
        recorder(epoch(k), net)
    assert recorder.epochs == [0, 1, 2, 3, 4, 5]
    assert np.allclose(recorder.snapshots[2].weights[0], recorder.snapshots[0].weights[0] + 2)


def test_wide_networks_are_thinned_within_the_budget() -> None:
    net = Network([784, 16, 10], seed=1)
    recorder = SnapshotRecorder(budget=5 * net.num_parameters)
    recorder.start(net)
    for k in range(1, 21):
        recorder(epoch(k), net)
        assert len(recorder.snapshots) * net.num_parameters <= recorder.budget
    recorder.finish(net, 20)
    epochs = recorder.epochs
    assert epochs[0] == 0 and epochs[-1] == 20 and len(epochs) <= 5
    assert epochs == sorted(epochs)
    assert SnapshotRecorder(budget=net.num_parameters).snapshots == []  # none fit: none kept
    none = SnapshotRecorder(budget=net.num_parameters)
    none.start(net)
    assert none.snapshots == []


def test_snapshots_live_in_the_model_file(tmp_path: Path) -> None:
    net = Network([784, 16, 10], seed=2)
    recorder = SnapshotRecorder()
    recorder.start(net)
    trained = net.copy()
    trained.weights[1] *= 2
    recorder(epoch(1), trained)
    path = save_with_snapshots(trained, tmp_path / "m.safetensors", recorder.snapshots)
    loaded = Network.load(path)  # an ordinary model file still
    assert np.array_equal(loaded.weights[1], trained.weights[1])
    snaps = read_snapshots(path)
    assert [s.epoch for s in snaps] == [0, 1]
    assert np.array_equal(snaps[0].weights[1], net.weights[1])
    assert np.array_equal(snaps[1].network(loaded).weights[1], trained.weights[1])
    # Saved again without them, a model has none, and says so by having none.
    loaded.save(tmp_path / "again.safetensors")
    assert read_snapshots(tmp_path / "again.safetensors") == []
    # Snapshot tensors without the metadata that announces them are refused as before.
    tensors = load_file(str(path))
    plain = tmp_path / "plain.safetensors"
    net.save(plain)
    from safetensors import safe_open

    with safe_open(str(plain), framework="numpy") as f:
        header = f.metadata()
    save_file(
        {**load_file(str(plain)), "snapshot.0.weights.0": tensors["snapshot.0.weights.0"]},
        str(plain),
        metadata=header,
    )
    with pytest.raises(ModelFileError, match="unexpected tensors"):
        Network.load(plain)


def test_train_with_snapshots_then_show_replay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitnet import figures
    from digitnet.cli import main
    from digitnet.data import load_mnist
    from digitnet.slant import input_for, wants_deslant

    model = tmp_path / "small.safetensors"
    code = main(
        [
            "train",
            "--layers",
            "784,16,10",
            "--epochs",
            "3",
            "--limit",
            "2000",
            "--validation-size",
            "500",
            "--snapshots",
            "-q",
            "-o",
            str(model),
        ]
    )
    assert code == 0
    assert [s.epoch for s in read_snapshots(model)] == [0, 1, 2, 3]
    picture = tmp_path / "replay.png"
    assert main(["show", "replay", str(model), "-o", str(picture), "-q"]) == 0
    assert picture.read_bytes()[:4] == b"\x89PNG"
    # The digit replayed is read as the network learnt digits: `train`'s default stands them
    # upright, so the test digit is stood upright too.
    net = Network.load(model)
    assert wants_deslant(net.metadata)
    drawn: list[np.ndarray] = []
    real_replay = figures.replay

    def replay(net: Network, snapshots: list[Any], image: Any, **options: Any) -> Any:
        drawn.append(np.asarray(image))
        return real_replay(net, snapshots, image, **options)

    monkeypatch.setattr(figures, "replay", replay)
    assert main(["show", "replay", str(model), "-o", str(picture), "-q"]) == 0
    digit = load_mnist().test.images[0]
    assert np.allclose(drawn[0], input_for(net.metadata, digit) / 255.0)
    assert not np.allclose(drawn[0], digit / 255.0)
    capsys.readouterr()
    assert main(["show", "replay", "video", "-o", str(picture), "-q"]) == 2
    assert "no snapshots to replay" in capsys.readouterr().err


def test_show_replay_as_an_animated_gif(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from PIL import Image, ImageSequence

    from digitnet.cli import main

    model = tmp_path / "small.safetensors"
    argv = ["train", "--layers", "784,16,10", "--epochs", "4", "--limit", "2000"]
    assert main([*argv, "--validation-size", "500", "--snapshots", "-q", "-o", str(model)]) == 0
    snapshots = read_snapshots(model)
    assert len(snapshots) == 5  # epochs 0 to 4
    gif = tmp_path / "replay.gif"
    assert main(["show", "replay", str(model), "-o", str(gif), "--frame-ms", "300", "-q"]) == 0
    with Image.open(gif) as picture:
        assert picture.format == "GIF" and picture.is_animated
        assert picture.n_frames == len(snapshots)
        frames = [frame.convert("RGB").copy() for frame in ImageSequence.Iterator(picture)]
        assert picture.info["loop"] == 0
    assert len({frame.size for frame in frames}) == 1  # the frames do not jump
    assert len({frame.tobytes() for frame in frames}) == len(frames)  # each epoch its own
    capsys.readouterr()
    assert main(["show", "weights", "video", "-o", str(tmp_path / "w.gif"), "-q"]) == 2
    assert "must end in .png or .svg" in capsys.readouterr().err
    assert main(["show", "replay", "video", "-o", str(gif), "-q"]) == 2
    assert "no snapshots to replay" in capsys.readouterr().err
