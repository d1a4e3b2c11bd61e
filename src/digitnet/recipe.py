"""A training recipe: every option of a training run, once, with its default, limits and help.

The command line (``digitnet train``), the web page's Learn tab (``POST /api/runs`` and the
form it builds from ``GET /api/options``) and the benchmarks all read their options from
:class:`Recipe`; none of them keeps defaults of its own. A *preset* is a named set of
defaults (``quick``, ``nielsen``, ``video``, ``wide``, ``page``); an option given explicitly
always wins over the preset's value.

The fields describe the network (``layers``, activations, ``init``), how it learns (cost,
optimizer, learning rate and its schedule, mini-batch size, epochs, weight decay, early
stopping, distortions, a teacher) and which data it learns from: the last
``validation_size`` training images are held out to validate (never trained on), and of the
rest the first ``limit`` are trained on (0: all of them). That meaning is the same wherever a
recipe runs; the model file records the whole recipe under ``training``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from digitnet.augment import PRESETS as AUGMENT_PRESETS
from digitnet.costs import COSTS
from digitnet.errors import DigitnetError
from digitnet.looks import READINGS
from digitnet.network import INITS
from digitnet.optimizers import OPTIMIZERS, SCHEDULES
from digitnet.slant import PREPROCESSING

TRAINING_IMAGES = 60_000  # MNIST's training set: the most any split can use
MAX_LAYERS = 8
MAX_LAYER_SIZE = 100_000


def option(
    default: Any,
    help: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    choices: tuple[str, ...] | None = None,
    flags: tuple[str, ...] = (),
    page: bool = True,
    page_maximum: float | None = None,
) -> Any:
    """A recipe field: its default and what the CLI, the web API and the page say about it.

    ``minimum``/``maximum`` are inclusive limits, ``above``/``below`` exclusive ones.
    ``flags`` are extra command-line spellings; ``page=False`` keeps an option off the web
    form and API (it names files or machine resources, or only matters with a teacher);
    ``page_maximum`` is a tighter limit for runs started from the page, which share one server.
    """
    meta = {
        "help": help,
        "minimum": minimum,
        "maximum": maximum,
        "above": above,
        "below": below,
        "choices": choices,
        "flags": flags,
        "page": page,
        "page_maximum": page_maximum,
    }
    if isinstance(default, list | dict):
        frozen = default
        return field(default_factory=lambda: type(frozen)(frozen), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Recipe:
    """Every option of a training run. The defaults are a recipe for any data (Adam,
    small distortions, 18 epochs, the last 10,000 images held out); ``digitnet train`` with no
    options runs the ``quick`` preset, which changes six of them for MNIST (see
    :data:`PRESETS`)."""

    layers: list[int] = option(
        [784, 16, 16, 10],
        "neurons per layer, input first (MNIST: 784 in, 10 out)",
        page_maximum=2048,
    )
    hidden_activation: str = option(
        "sigmoid",
        "activation of the hidden layers",
        choices=HIDDEN_ACTIVATIONS,
        flags=("--activation",),
    )
    output_activation: str = option(
        "softmax", "activation of the output layer", choices=OUTPUT_ACTIVATIONS
    )
    init: str = option(
        "xavier",
        "initial weights: N(0,1) as in Nielsen's book, Xavier N(0,1/n) or He N(0,2/n)",
        choices=INITS,
    )
    cost: str = option("cross_entropy", "cost function", choices=tuple(COSTS))
    optimizer: str = option("adam", "how a step downhill is taken", choices=OPTIMIZERS)
    learning_rate: float = option(
        0.005,
        "learning rate (eta)",
        above=0.0,
        page_maximum=100.0,
        flags=("--lr",),
    )
    momentum: float = option(0.9, "for the momentum optimizer", minimum=0.0, below=1.0)
    weight_decay: float = option(0.0, "L2 weight decay lambda", minimum=0.0, maximum=1.0)
    schedule: str = option("cosine", "learning-rate schedule", choices=SCHEDULES)
    step_every: int = option(10, "for the step schedule: epochs between steps", minimum=1)
    step_factor: float = option(
        0.5, "for the step schedule: factor applied at each step", above=0.0, maximum=1.0
    )
    batch_size: int = option(
        32, "mini-batch size", minimum=1, maximum=TRAINING_IMAGES, page_maximum=10_000
    )
    epochs: int = option(18, "passes over the training images", minimum=1, page_maximum=100)
    early_stopping: int = option(
        0,
        "stop after this many epochs without a better validation accuracy and keep the "
        "best epoch's weights (0 = off)",
        minimum=0,
    )
    validation_size: int = option(
        10_000,
        "the last N training images are held out to validate, never trained on",
        minimum=0,
        maximum=TRAINING_IMAGES - 1,
    )
    limit: int = option(
        0,
        "train on only the first N of the other training images (0 = all)",
        minimum=0,
        maximum=TRAINING_IMAGES,
    )
    augment: str = option(
        "small",
        "random distortions of the training images (shift, rotate, scale, elastic, "
        "stroke thickness; stretch: also widths alone)",
        choices=tuple(AUGMENT_PRESETS),
    )
    flagged_ones: float = option(
        0.0,
        "share of the training 1s given a flag at the top, as much of the world writes a 1 "
        "(0 = MNIST's own 1s)",
        minimum=0.0,
        maximum=1.0,
    )
    preprocessing: str = option(
        "none",
        "prepare every image first: deslant = stand each digit upright by its moments, in "
        "training and whenever the model reads (recorded in the model file)",
        choices=PREPROCESSING,
        page=False,
    )
    reading: str = option(
        "once",
        "how the model reads a digit, recorded in the model file: once as prepared, or "
        "shifted = also moved one pixel up, down, left and right, the five answers averaged",
        choices=READINGS,
        page=False,
    )
    teacher: str = option(
        "",
        "learn also from this model's answers (knowledge distillation; a model file or "
        "video or wide; empty = none)",
        page=False,
    )
    distill_weight: float = option(
        0.7,
        "with a teacher: share of the teacher's answers in the wanted output",
        minimum=0.0,
        maximum=1.0,
        page=False,
    )
    temperature: float = option(
        2.0,
        "with a teacher: softening of the teacher's answers",
        above=0.0,
        maximum=100.0,
        page=False,
    )
    seed: int = option(
        0, "seed: the same seed gives the same weights", minimum=0, maximum=2**31 - 1
    )
    threads: int = option(0, "BLAS threads (0 = choose)", minimum=0, maximum=256, page=False)

    # ------------------------------------------------------------------ presets
    @classmethod
    def preset(cls, name: str = "quick", **options: Any) -> Recipe:
        """Preset ``name``'s recipe, with ``options`` (given explicitly) winning over it."""
        if name not in PRESETS:
            raise DigitnetError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
        return cls.from_dict({**PRESETS[name], **options})

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Recipe:
        """A validated recipe from ``values``; a missing field takes its default."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise DigitnetError(f"unknown recipe option(s): {', '.join(unknown)}")
        recipe = cls(**values)
        recipe.validate()
        return recipe

    def replace(self, **options: Any) -> Recipe:
        """A copy with ``options`` changed (validated)."""
        return Recipe.from_dict({**self.to_dict(), **options})

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values, as recorded in a model file."""
        return dataclasses.asdict(self)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise DigitnetError with one sentence for the first impossible setting."""
        for f in dataclasses.fields(self):
            check_value(f, getattr(self, f.name))

    def check_for_page(self) -> None:
        """The tighter limits of runs started from the web page (one shared server)."""
        for f in dataclasses.fields(self):
            top = f.metadata.get("page_maximum")
            value = getattr(self, f.name)
            if f.name == "layers":
                if any(size > top for size in value[1:-1]):
                    raise DigitnetError(
                        f"layers: hidden layers may have at most {top} neurons on the page"
                    )
            elif top is not None and value > top:
                raise DigitnetError(f"{f.name}: at most {top} on the page, got {value}")


def check_value(f: dataclasses.Field[Any], value: Any) -> None:
    """Check one field's value against its limits and choices (one sentence if wrong)."""
    name, meta = f.name, f.metadata
    if f.name == "layers":
        check_layers(value)
        return
    if f.name == "augment" and isinstance(value, Mapping):
        return  # explicit distortion settings, checked by digitnet.augment (Python API only)
    kind: type[Any] = type(f.default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DigitnetError(f"{name} must be {kind_name(kind)}, got {value!r}")
    if meta["choices"] is not None and value not in meta["choices"]:
        raise DigitnetError(f"{name} must be one of {', '.join(meta['choices'])}, not {value!r}")
    if kind is float and not math.isfinite(float(value)):
        raise DigitnetError(f"{name} must be a finite number, got {value}")
    limits = (
        (meta["minimum"], lambda v, m: v >= m, "at least"),
        (meta["maximum"], lambda v, m: v <= m, "at most"),
        (meta["above"], lambda v, m: v > m, "more than"),
        (meta["below"], lambda v, m: v < m, "less than"),
    )
    for limit, holds, words in limits:
        if limit is not None and not holds(value, limit):
            raise DigitnetError(f"{name} must be {words} {limit:g}, got {value}")


def check_layers(layers: Any) -> None:
    """Layer sizes: a list of 2 to MAX_LAYERS whole numbers from 1 to MAX_LAYER_SIZE."""
    if not isinstance(layers, list | tuple) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in layers
    ):
        raise DigitnetError(f"layers must be a list of whole numbers, got {layers!r}")
    if not 2 <= len(layers) <= MAX_LAYERS:
        raise DigitnetError(f"layers: a network has 2 to {MAX_LAYERS} layers, got {len(layers)}")
    if any(not 1 <= n <= MAX_LAYER_SIZE for n in layers):
        raise DigitnetError(f"layers: each has 1 to {MAX_LAYER_SIZE:,} neurons, got {layers}")


def kind_name(kind: type) -> str:
    return {int: "a whole number", float: "a number", str: "text", list: "a list"}.get(
        kind, kind.__name__
    )


def describe_options(page: bool = False) -> list[dict[str, Any]]:
    """Every option with its default (the quick preset's), limits, choices and help: what
    ``digitnet train --help`` prints and ``GET /api/options`` sends (``page``: the page's)."""
    described = []
    defaults = Recipe.preset("page" if page else "quick").to_dict()
    for f in dataclasses.fields(Recipe):
        meta = f.metadata
        if page and not meta["page"]:
            continue
        maximum = meta["maximum"]
        if page and meta["page_maximum"] is not None:
            maximum = meta["page_maximum"]
        described.append(
            {
                "name": f.name,
                "type": kind_name(type(defaults[f.name])),
                "default": defaults[f.name],
                "help": meta["help"],
                "choices": list(meta["choices"]) if meta["choices"] else None,
                "minimum": meta["minimum"],
                "maximum": maximum,
                "above": meta["above"],
                "below": meta["below"],
            }
        )
    return described


#: The named recipes. Each sets defaults only; what a user types explicitly wins.
PRESETS: dict[str, dict[str, Any]] = {
    # `digitnet train` with no options: the video's network in a few seconds (README "Speed").
    # Deslanted digits are easier to learn: plain gradient descent (the video's) with a
    # softmax output and cross-entropy reaches 96.2-96.5% in 5 epochs (seeds 0-2), where
    # Adam with small distortions needed 18 epochs for 95.8% without deslanting. Distortions
    # cost more than they give in 5 epochs (96.2-96.8% with them, about as well on
    # people-like digits, twice the time); all 60,000 images, no time to spare for validation.
    "quick": {
        "validation_size": 0,
        "preprocessing": "deslant",
        "optimizer": "sgd",
        "learning_rate": 1.0,
        "augment": "none",
        "epochs": 5,
    },
    # Nielsen's chapter-1 run: 784-30-10 sigmoid, quadratic cost, SGD eta 3.0, batch 10.
    "nielsen": {
        "layers": [784, 30, 10],
        "hidden_activation": "sigmoid",
        "output_activation": "sigmoid",
        "init": "normal",
        "cost": "quadratic",
        "optimizer": "sgd",
        "learning_rate": 3.0,
        "batch_size": 10,
        "epochs": 30,
        "schedule": "constant",
        "augment": "none",
    },
    # The shipped `video` network (97.49%): deslanted digits, 80 epochs, all images. 80 epochs
    # read people-like digits better than 40 with each of seeds 0-2 (pen drawings +0.5 to +0.8
    # points, scans +0.3 to +1.3, MNIST +0.05 to +0.34); 120 read them no better (README).
    "video": {
        "learning_rate": 0.003,
        "epochs": 80,
        "preprocessing": "deslant",
        "validation_size": 0,
    },
    # The shipped `wide` network: 784-1024-1024-10 ReLU, deslanted digits, full distortions,
    # a flag drawn on 30% of the 1s (digitnet.styles); it reads each digit five times
    # (digitnet.looks), which does not change how it learns.
    "wide": {
        "layers": [784, 1024, 1024, 10],
        "hidden_activation": "relu",
        "init": "he",
        "learning_rate": 0.001,
        "batch_size": 128,
        "epochs": 60,
        "augment": "full",
        "flagged_ones": 0.3,
        "preprocessing": "deslant",
        "reading": "shifted",
        "validation_size": 0,
        "threads": 1,
    },
    # The web page's Learn tab: a short run that draws its curves within a minute.
    "page": {
        "output_activation": "sigmoid",
        "learning_rate": 0.005,
        "schedule": "constant",
        "epochs": 5,
        "augment": "none",
        "threads": 1,
    },
}
