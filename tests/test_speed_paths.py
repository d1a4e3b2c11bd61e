"""The fast paths of training: mini-batches prepared on another core and the optimizer's one
array of parameters give the same weights as the plain loop; the time-to-accuracy benchmark
runs (its smallest form, in seconds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from digitnet.augment import Augmentation, augment_batch, augmentation_for, sample_distortion
from digitnet.batches import BatchMaker, plan_epoch
from digitnet.data import load_mnist
from digitnet.network import Network
from digitnet.parameters import FlatParameters
from digitnet.recipe import Recipe

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def load_benchmark(name: str = "time_to_accuracy") -> ModuleType:
    """``benchmarks/NAME.py`` as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_time_to_accuracy_smallest_race() -> None:
    bench = load_benchmark()
    recipe = Recipe.preset("quick", epochs=2, limit=3000, validation_size=1000, threads=1)
    task = bench.Task("the video's network", recipe, (0.5, 0.9999))
    torch_too = importlib.util.find_spec("torch") is not None
    results = bench.race([task], load_mnist(), torch_too=torch_too)
    frameworks = [r.framework for _, r in results]
    assert frameworks[0] == "digitnet"
    for _, result in results:
        assert result.epochs == 2 and 0.5 < result.best < 0.9999
        assert result.reached[0.5] is not None and 0 < result.reached[0.5] <= result.seconds
        assert result.reached[0.9999] is None  # not reached: both epochs ran
    text = bench.table(results)
    assert "| 50.0% | digitnet |" in text and "not in 2 epochs" in text


def plain_loop(
    images: np.ndarray, batch_size: int, rng: np.random.Generator, aug: Augmentation | None
) -> tuple[np.ndarray, np.ndarray]:
    """The images and rows of one epoch as the training loop drew them before digitnet.batches:
    shuffle, then each mini-batch distorted just before it is used."""
    order = rng.permutation(len(images))
    parts = []
    for start in range(0, len(images), batch_size):
        x = images[order[start : start + batch_size]]
        parts.append(x if aug is None else augment_batch(x, rng, aug))
    return np.concatenate(parts), order


@pytest.mark.parametrize(("augment", "batch_size"), [("none", 32), ("small", 32), ("full", 7)])
def test_batches_made_ahead_are_the_plain_loops_bit_for_bit(augment: str, batch_size: int) -> None:
    images = np.random.default_rng(1).random((5000, 784), dtype=np.float32)
    aug = augmentation_for(augment)
    ours, theirs = np.random.default_rng(4), np.random.default_rng(4)
    with BatchMaker(images, batch_size, ours, aug, epochs=2) as maker:
        for _ in range(2):
            chunks = list(maker.epoch())
            assert len(chunks) > 2  # several chunks, the last one shorter
            wanted, order = plain_loop(images, batch_size, theirs, aug)
            got = np.concatenate([c.images for c in chunks])
            assert np.concatenate([c.rows for c in chunks]).tolist() == order.tolist()
            assert got.tobytes() == wanted.tobytes()
            # what a checkpoint keeps: the generator after this epoch's draws
            assert maker.rng_state == theirs.bit_generator.state


@pytest.mark.parametrize(
    "setting",
    ["small", "light", {"elastic": 1.5, "shift": 1.0}, {"stretch": 0.2, "rotate": 3.0}],
)
@pytest.mark.parametrize(("n", "batch_size"), [(1000, 32), (1000, 7), (5, 32), (64, 32)])
def test_an_epochs_uniform_draws_in_one_go_are_the_per_batch_draws_bit_for_bit(
    setting: str | dict[str, float], n: int, batch_size: int
) -> None:
    aug = augmentation_for(setting)
    assert aug is not None and aug.thickness == 0  # the settings drawn in one go
    ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
    order, planned = plan_epoch(n, batch_size, ours, aug)
    assert order.tolist() == theirs.permutation(n).tolist()
    sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    assert [len(d.angle) for d in planned] == sizes
    for size, got in zip(sizes, planned, strict=True):
        wanted = sample_distortion(size, theirs, aug, spread=False)
        for name in ("angle", "scale", "shift_x", "shift_y", "stroke", "control", "stretch"):
            mine, plain = getattr(got, name), getattr(wanted, name)
            assert (mine is None) == (plain is None), name
            if plain is not None:
                assert mine.dtype == plain.dtype and mine.tobytes() == plain.tobytes(), name
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_a_failure_in_the_batch_thread_reaches_training() -> None:
    images = np.zeros((100, 783), dtype=np.float32)  # not 28x28: distortion fails
    maker = BatchMaker(images, 10, np.random.default_rng(0), augmentation_for("small"), 3)
    with maker, pytest.raises(Exception, match="784"):
        list(maker.epoch())


def test_leaving_early_and_closing_never_hangs() -> None:
    images = np.zeros((50_000, 784), dtype=np.float32)
    with BatchMaker(images, 32, np.random.default_rng(0), augmentation_for("small"), 5) as maker:
        next(iter(maker.epoch()))  # the thread is now waiting to hand over more
    assert not maker._thread.is_alive()


def test_flat_parameters_are_the_networks_and_checkpoints_stay_per_layer() -> None:
    net = Network([784, 16, 16, 10], seed=3)
    before = [a.copy() for a in net.weights + net.biases]
    flat = FlatParameters(net)
    for a, b in zip(net.weights + net.biases, before, strict=True):
        assert a.base is flat.values and np.array_equal(a, b)
    flat.values[0] = 7.0
    assert net.weights[0][0, 0] == 7.0
    memory = {"m.0": np.arange(flat.values.size, dtype=np.float32)}
    layers = flat.per_layer(memory)
    assert [layers[f"m.{i}"].shape for i in range(6)] == [a.shape for a in before]
    assert flat.joined(layers)["m.0"].tobytes() == memory["m.0"].tobytes()
    with pytest.raises(ValueError, match="does not fit"):
        flat.joined({"m.0": np.zeros(3, np.float32)})
    # A callback gives the network new arrays: the next epoch takes them over.
    net.weights = [w + 1 for w in net.weights]
    flat.hold()
    assert net.weights[0].base is flat.values and flat.values[0] == 8.0
