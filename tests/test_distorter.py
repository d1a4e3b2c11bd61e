"""Distortions in a process of their own (digitnet.distorter): the same images bit for bit as
in this process, used by the batch maker, and never in the way when it fails."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digitnet import distorter as distorter_module
from digitnet.augment import Distortion, augmentation_for, distort, sample_distortion
from digitnet.batches import BatchMaker
from digitnet.distorter import Distorter, DistorterGone
from test_speed_paths import plain_loop

IMAGES = np.random.default_rng(2).random((6000, 784), dtype=np.float32)


def here(rows: np.ndarray, d: Distortion, batch_size: int) -> np.ndarray:
    """What this process makes of the same request: each mini-batch's field spread alone."""
    parts = [d.part(slice(s, s + batch_size)).spread() for s in range(0, len(rows), batch_size)]
    return distort(IMAGES[rows], Distortion.join(parts))  # written out: what spread(k) must do


@pytest.mark.parametrize(("augment", "batch_size"), [("small", 32), ("full", 7), ("stretch", 10)])
def test_the_process_distorts_as_this_process_does(augment: str, batch_size: int) -> None:
    rng = np.random.default_rng(5)
    with_process = Distorter(IMAGES, 500)
    try:
        for n in (500, 123):  # a whole chunk, and a short last one
            rows = rng.permutation(len(IMAGES))[:n]
            d = sample_distortion(n, rng, augmentation_for(augment), spread=False)
            got = with_process.distort(rows, d, batch_size)
            assert got.dtype == np.float32 and got.shape == (n, 784)
            assert got.tobytes() == here(rows, d, batch_size).tobytes()
    finally:
        with_process.close()
    assert with_process.process is not None and with_process.process.returncode == 0


def test_a_request_too_big_or_after_closing_is_refused() -> None:
    d = sample_distortion(20, np.random.default_rng(0), augmentation_for("small"))
    with_process = Distorter(IMAGES, 10)
    with pytest.raises(DistorterGone):
        with_process.distort(np.arange(20), d, 10)
    with_process.close()
    with pytest.raises(DistorterGone):
        with_process.distort(np.arange(10), d.part(slice(0, 10)), 10)


def test_what_it_cannot_distort_makes_it_step_aside() -> None:
    with pytest.raises(DistorterGone, match="784"):
        Distorter(np.zeros((10, 783), np.float32), 10)  # not 28x28
    d = sample_distortion(5, np.random.default_rng(0), augmentation_for("small"))
    with_process = Distorter(IMAGES[:10], 10)
    with pytest.raises(DistorterGone, match="could not distort"):
        with_process.distort(np.arange(5, 10) * 1000, d, 5)  # rows beyond the images
    assert with_process.process is not None and with_process.process.wait(5) == 0


def slowly(maker: BatchMaker) -> list[np.ndarray]:
    """One epoch's images, taken as a training loop takes them (it learns for a while from
    each chunk, so the process has time to prepare some)."""
    images = []
    for chunk in maker.epoch():
        images.append(chunk.images)
        time.sleep(0.05)
    return images


def test_the_batch_maker_distorts_in_the_process_bit_for_bit() -> None:
    aug = augmentation_for("full")
    ours, theirs = np.random.default_rng(4), np.random.default_rng(4)
    with BatchMaker(IMAGES, 32, ours, aug, epochs=2) as maker:
        for _ in range(2):
            got = np.concatenate(slowly(maker))
            assert got.tobytes() == plain_loop(IMAGES, 32, theirs, aug)[0].tobytes()
        assert maker.elsewhere > 0  # the process did some of the work
        process = maker.distorter.process if maker.distorter is not None else None
    assert process is not None and process.returncode == 0  # closing ended it


def test_a_process_that_dies_is_replaced_by_this_one() -> None:
    aug = augmentation_for("small")
    ours, theirs = np.random.default_rng(8), np.random.default_rng(8)
    with BatchMaker(IMAGES, 32, ours, aug, epochs=4) as maker:
        epochs = [slowly(maker)]
        assert maker.distorter is not None and maker.distorter.process is not None
        maker.distorter.process.kill()
        epochs += [slowly(maker) for _ in range(3)]
        assert maker.distorter is None  # it noticed, and went on without it
    for images in epochs:
        wanted = plain_loop(IMAGES, 32, theirs, aug)[0]
        assert np.concatenate(images).tobytes() == wanted.tobytes()


def test_it_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(distorter_module.SWITCH, "0")
    aug = augmentation_for("small")
    ours, theirs = np.random.default_rng(3), np.random.default_rng(3)
    with BatchMaker(IMAGES, 32, ours, aug, epochs=1) as maker:
        got = np.concatenate(slowly(maker))
        assert maker.distorter is None and maker.elsewhere == 0
    assert got.tobytes() == plain_loop(IMAGES, 32, theirs, aug)[0].tobytes()


def test_a_process_that_cannot_start_is_done_without(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distorter_module.sys, "executable", "/nonexistent/python")
    with pytest.raises(DistorterGone, match="could not start"):
        Distorter(IMAGES, 100)
    aug = augmentation_for("small")
    ours, theirs = np.random.default_rng(6), np.random.default_rng(6)
    with BatchMaker(IMAGES, 32, ours, aug, epochs=1) as maker:
        got = np.concatenate(slowly(maker))
        assert maker.elsewhere == 0
    assert got.tobytes() == plain_loop(IMAGES, 32, theirs, aug)[0].tobytes()


def test_the_process_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A training process killed outright (a cancelled page run) leaves no process behind:
    the distorting process reads the end of its pipe and stops."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "import numpy as np\n"
        "from digitnet.distorter import Distorter\n"
        "d = Distorter(np.zeros((100, 784), np.float32), 50)\n"
        "print(d.process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert Path(f"/proc/{child}").exists()
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child)
    finally:
        parent.kill()


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting for init to reap it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
