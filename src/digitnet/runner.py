"""Run a recipe: the data split, a new network, training, test accuracy and the metadata.

:func:`run_recipe` is the one way a training run happens: ``digitnet train``, the web page's
Learn tab and the benchmarks all call it, so the same recipe and seed give the same weights
wherever it runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitnet.checkpoint import TrainingState
from digitnet.data import MNIST, Dataset, load_mnist, split_validation
from digitnet.errors import DigitnetError
from digitnet.knobs import Knobs
from digitnet.looks import reading_record
from digitnet.network import Network
from digitnet.recipe import Recipe
from digitnet.slant import preprocessing_record
from digitnet.styles import flag_ones
from digitnet.training import EpochCallback, EpochMetrics, ProgressCallback, StateCallback, train
from digitnet.upright import upright_pixels


@dataclass
class Split:
    """The images a recipe trains on, validates on and is tested on."""

    train: Dataset
    validation: Dataset
    test: Dataset


@dataclass
class Trained:
    """What a run gives back: the network (its metadata filled in), the history per epoch
    and the test accuracy."""

    net: Network
    history: list[EpochMetrics]
    test_accuracy: float
    split: Split

    @property
    def best_validation(self) -> float | None:
        values = [h.validation_accuracy for h in self.history if h.validation_accuracy is not None]
        return max(values) if values else None


def split_data(recipe: Recipe, mnist: MNIST) -> Split:
    """The last ``validation_size`` training images validate; of the others the first
    ``limit`` (0: all) are trained on, with the recipe's share ``flagged_ones`` of their 1s
    given a flag (:mod:`digitnet.styles`); the test set is MNIST's test set. With the
    recipe's ``preprocessing = "deslant"`` every image is deslanted (:mod:`digitnet.slant`),
    after the flags are drawn."""
    train, test = mnist.train, mnist.test
    if recipe.flagged_ones:  # only the images trained on: validation and test stay MNIST's
        trained = len(train) - min(recipe.validation_size, len(train))
        flagged = flag_ones(
            train.images[:trained], train.labels[:trained], recipe.flagged_ones, recipe.seed
        )
        train = Dataset(np.concatenate([flagged, train.images[trained:]]), train.labels)
    if recipe.preprocessing == "deslant":  # each digit on its own: deslanted whole, then cut
        train, test = upright_set(train), upright_set(test)
    train_set, validation = split_validation(train, recipe.validation_size)
    if recipe.limit:
        train_set = train_set.subset(0, min(recipe.limit, len(train_set)))
    return Split(train_set, validation, test)


def upright_set(part: Dataset) -> Dataset:
    """The images of ``part`` deslanted, as uint8 (rounded), with the same labels (MNIST's
    are kept in the cache folder: :mod:`digitnet.upright`)."""
    return Dataset(upright_pixels(part.images), part.labels)


def build_network(recipe: Recipe) -> Network:
    """A new network with the recipe's layers, activations and initial weights."""
    return Network(
        recipe.layers, recipe.hidden_activation, recipe.output_activation, recipe.init, recipe.seed
    )


def run_recipe(
    recipe: Recipe,
    *,
    mnist: MNIST | None = None,
    dataset: str = "MNIST",
    net: Network | None = None,
    on_batch: ProgressCallback | None = None,
    on_epoch: EpochCallback | None = None,
    stop: threading.Event | None = None,
    checkpoint: str | Path | None = None,
    save_best: str | Path | None = None,
    state: TrainingState | None = None,
    on_state: StateCallback | None = None,
    split: Split | None = None,
    knobs: Knobs | None = None,
) -> Trained:
    """Train a network as ``recipe`` says and measure it on the test set.

    ``mnist`` is the data (default: the bundled MNIST), ``dataset`` its name for the model
    file; ``net`` a network to go on training
    (default: a new one from the recipe). The callbacks, ``stop``, ``checkpoint``,
    ``save_best``, ``state`` (to continue a run from a checkpoint, with the network read from
    it as ``net``), ``on_state`` and ``knobs`` are :func:`digitnet.training.train`'s.
    ``split`` is :func:`split_data`'s answer for this recipe and data if the caller has it
    already (deslanting MNIST again would cost seconds). The network's
    metadata gets the recipe (``training``), the history, ``test_accuracy`` and ``dataset``.
    """
    recipe.validate()
    data = mnist if mnist is not None else load_mnist()
    if split is None:
        split = split_data(recipe, data)
    if net is None:
        net = build_network(recipe)
    if net.sizes[0] != data.train.images[0].size or net.sizes[-1] != 10:
        raise DigitnetError(
            f"MNIST needs {data.train.images[0].size} input and 10 output neurons; "
            f"the layers {net.sizes} have {net.sizes[0]} and {net.sizes[-1]}"
        )
    net.metadata["preprocessing"] = preprocessing_record(recipe.preprocessing)
    net.metadata.pop("reading", None)  # the recipe says how this run's network reads
    if (reading := reading_record(recipe.reading)) is not None:
        net.metadata["reading"] = reading
    teacher = Network.load(recipe.teacher) if recipe.teacher else None
    validation = (split.validation.images, split.validation.labels)
    history = train(
        net,
        split.train.images,
        split.train.labels,
        recipe,
        validation if len(split.validation) else None,
        on_batch=on_batch,
        on_epoch=on_epoch,
        stop=stop,
        checkpoint=checkpoint,
        save_best=save_best,
        state=state,
        on_state=on_state,
        teacher=teacher,
        knobs=knobs,
    )
    test_accuracy = net.accuracy(split.test.images, split.test.labels)
    net.metadata["test_accuracy"] = test_accuracy
    net.metadata["dataset"] = dataset
    return Trained(net, history, test_accuracy, split)
