"""digitnet as a scikit-learn estimator: :class:`DigitNetClassifier`.

It takes the options of a training recipe (:class:`digitnet.recipe.Recipe`) as keyword
parameters, with the recipe's defaults, and works in scikit-learn's tools:
``GridSearchCV``, ``cross_val_score``, ``Pipeline``, ``clone``. ``fit`` builds a
``Network([n_features, *hidden_layers, n_classes])`` with :func:`digitnet.runner.build_network`
and trains it with :func:`digitnet.training.train`; ``network_`` is then an ordinary digitnet
network. See docs/sklearn.md for what differs from the recipe and why.

scikit-learn is an optional extra: ``pip install 'digitnet[sklearn]'``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # scikit-learn < 1.6 has no validate_data either
    raise ImportError(
        "digitnet.sklearn needs scikit-learn 1.6 or later: pip install 'digitnet[sklearn]'."
    ) from error

from digitnet.errors import DigitnetError
from digitnet.network import Network
from digitnet.recipe import MAX_LAYER_SIZE, MAX_LAYERS, Recipe
from digitnet.runner import build_network
from digitnet.training import EpochMetrics, train

#: The recipe's defaults, those for any data (``digitnet train``'s ``quick`` preset changes
#: some for MNIST's images: deslanting, plain gradient descent, 5 epochs).
DEFAULTS = Recipe()

#: Recipe fields the estimator has no parameter for, and why (see docs/sklearn.md).
LEFT_OUT = {
    "layers": "the input and output sizes come from the data, so hidden_layers replaces it",
    "teacher": "a teacher is an MNIST model, answering digits 0..9, not the classes of any data",
    "distill_weight": "it only matters with a teacher",
    "temperature": "it only matters with a teacher",
    "preprocessing": "deslanting is for 28x28 digits read through digitnet's own reading path",
    "flagged_ones": "flags are drawn on MNIST's 1s; the classes of other data are not digits",
    "reading": "the looks shift 28x28 digit pictures; predict_proba reads X as it is",
}

#: Defaults that differ from the recipe's, and why (see docs/sklearn.md).
CHANGED_DEFAULTS: dict[str, tuple[Any, str]] = {
    "validation_size": (0, "X is the training data: by default none of it is held out"),
    "augment": ("none", "distortions only make sense for 28x28 images (784 features)"),
}

#: The number of features of a flattened 28x28 image, the only input ``augment`` can distort.
IMAGE_FEATURES = 784


def _default(name: str) -> Any:
    """The estimator's default for the recipe field ``name``."""
    if name in CHANGED_DEFAULTS:
        return CHANGED_DEFAULTS[name][0]
    return getattr(DEFAULTS, name)


class DigitNetClassifier(ClassifierMixin, BaseEstimator):
    """A digitnet network as a scikit-learn classifier.

    Every parameter but ``hidden_layers`` and ``verbose`` is the recipe field of the same name
    (:class:`digitnet.recipe.Recipe`, ``digitnet train --help``), with the same meaning,
    limits and default, except ``validation_size`` (0) and ``augment``
    (``none``). ``hidden_layers`` are the sizes of the hidden layers: the network's layers are
    ``[n_features_in_, *hidden_layers, len(classes_)]``. The last ``validation_size`` rows of
    ``X`` validate (never trained on; needed for ``early_stopping``), and of the others the
    first ``limit`` (0: all) are trained on. ``seed`` is scikit-learn's ``random_state``: the
    same seed gives the same network. ``verbose`` prints a line per epoch.

    ``X`` is taken as it is, except that ``uint8`` values are pixels and are divided by 255
    (MNIST's images, as everywhere in digitnet). Parameters are checked when ``fit`` runs;
    a bad one raises :class:`digitnet.errors.DigitnetError` (a ``ValueError``) in one sentence.

    After ``fit``: ``classes_`` (the sorted labels), ``n_features_in_``, ``network_`` (the
    trained :class:`~digitnet.network.Network`), ``recipe_`` (the :class:`Recipe` it was
    trained with) and ``history_`` (one :class:`~digitnet.training.EpochMetrics` per epoch).
    """

    def __init__(
        self,
        *,
        hidden_layers: tuple[int, ...] = tuple(DEFAULTS.layers[1:-1]),
        hidden_activation: str = _default("hidden_activation"),
        output_activation: str = _default("output_activation"),
        init: str = _default("init"),
        cost: str = _default("cost"),
        optimizer: str = _default("optimizer"),
        learning_rate: float = _default("learning_rate"),
        momentum: float = _default("momentum"),
        weight_decay: float = _default("weight_decay"),
        schedule: str = _default("schedule"),
        step_every: int = _default("step_every"),
        step_factor: float = _default("step_factor"),
        batch_size: int = _default("batch_size"),
        epochs: int = _default("epochs"),
        early_stopping: int = _default("early_stopping"),
        validation_size: int = _default("validation_size"),
        limit: int = _default("limit"),
        augment: str | Mapping[str, float] = _default("augment"),
        seed: int = _default("seed"),
        threads: int = _default("threads"),
        verbose: bool = False,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.init = init
        self.cost = cost
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.step_every = step_every
        self.step_factor = step_factor
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_size = validation_size
        self.limit = limit
        self.augment = augment
        self.seed = seed
        self.threads = threads
        self.verbose = verbose

    # ------------------------------------------------------------------ learning
    def fit(self, X: ArrayLike, y: ArrayLike) -> DigitNetClassifier:
        """Train a new network on ``X`` (n_samples, n_features) and labels ``y`` (any type)."""
        inputs, labels = validate_data(self, X, y)
        check_classification_targets(labels)
        classes, encoded = np.unique(labels, return_inverse=True)
        recipe = self.make_recipe(inputs.shape[1], len(classes))
        _check_data_options(recipe, len(inputs))
        # As digitnet.runner.split_data: the last validation_size rows validate, and of the
        # others the first `limit` (0: all) are trained on.
        cut = len(inputs) - recipe.validation_size
        stop = min(recipe.limit, cut) if recipe.limit else cut
        validation = (inputs[cut:], encoded[cut:]) if recipe.validation_size else None
        net = build_network(recipe)
        self.history_: list[EpochMetrics] = train(
            net,
            inputs[:stop],
            encoded[:stop],
            recipe,
            validation,
            on_epoch=_print_epoch if self.verbose else None,
        )
        self.classes_: NDArray[Any] = classes
        self.network_: Network = net
        self.recipe_: Recipe = recipe
        return self

    def make_recipe(self, n_features: int, n_classes: int) -> Recipe:
        """The validated :class:`Recipe` of these parameters for data with ``n_features``
        features and ``n_classes`` classes (raises DigitnetError, one sentence, if wrong)."""
        values = {name: _plain(getattr(self, name)) for name in recipe_parameters()}
        hidden = _hidden_sizes(self.hidden_layers)
        recipe = Recipe.from_dict({**values, "layers": [n_features, *hidden, n_classes]})
        if not _no_distortion(recipe.augment) and n_features != IMAGE_FEATURES:
            raise DigitnetError(
                f"augment distorts 28x28 images ({IMAGE_FEATURES} features) but X has "
                f"{n_features}, so set augment='none'"
            )
        return recipe

    # ------------------------------------------------------------------ reading
    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Probability of each class (columns in the order of ``classes_``) per row of ``X``:
        the output activations divided by their row sum, so that every row sums to one (a
        sigmoid output layer's activations need not; a softmax layer's already do)."""
        check_is_fitted(self)
        inputs = validate_data(self, X, reset=False)
        return _normalised(self.network_.predict_proba(inputs))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The most probable class of each row of ``X``."""
        best = np.argmax(self.predict_proba(X), axis=1)  # raises NotFittedError first
        return np.asarray(self.classes_[best])


def recipe_parameters() -> list[str]:
    """The recipe fields that are estimator parameters, in the recipe's order."""
    return [f.name for f in dataclasses.fields(Recipe) if f.name not in LEFT_OUT]


def _plain(value: Any) -> Any:
    """NumPy scalars (from a parameter grid, say) as Python numbers, as a Recipe wants them."""
    return value.item() if isinstance(value, np.generic) else value


def _hidden_sizes(hidden_layers: Any) -> list[int]:
    """``hidden_layers`` as a list of sizes, checked against the recipe's limits."""
    sizes = list(hidden_layers) if isinstance(hidden_layers, list | tuple) else None
    if sizes is None or not all(
        isinstance(_plain(n), int) and not isinstance(n, bool) for n in sizes
    ):
        raise DigitnetError(
            f"hidden_layers must be a tuple of whole numbers (one size per hidden layer), "
            f"got {hidden_layers!r}"
        )
    if len(sizes) > MAX_LAYERS - 2:
        raise DigitnetError(
            f"hidden_layers: a network has at most {MAX_LAYERS - 2} hidden layers, got {len(sizes)}"
        )
    if any(not 1 <= n <= MAX_LAYER_SIZE for n in sizes):
        raise DigitnetError(
            f"hidden_layers: each has 1 to {MAX_LAYER_SIZE:,} neurons, got {hidden_layers!r}"
        )
    return [int(n) for n in sizes]


def _no_distortion(augment: str | Mapping[str, float]) -> bool:
    if isinstance(augment, str):
        return augment == "none"
    return not any(augment.values())


def _check_data_options(recipe: Recipe, n_samples: int) -> None:
    """The data options against the number of rows of X (one sentence if impossible)."""
    if recipe.validation_size >= n_samples:
        raise DigitnetError(
            f"validation_size is {recipe.validation_size} but X has only {n_samples} rows; "
            f"keep at least one for training"
        )
    if recipe.early_stopping and not recipe.validation_size:
        raise DigitnetError(
            "early_stopping watches the validation accuracy, so it needs validation_size > 0"
        )


def _normalised(outputs: NDArray[np.floating]) -> NDArray[np.float64]:
    """Rows divided by their sums (a row of zeros: every class equally likely)."""
    out = np.clip(np.asarray(outputs, np.float64), 0.0, None)
    sums = out.sum(axis=1, keepdims=True)
    safe = np.where(sums > 0, sums, 1.0)
    return np.where(sums > 0, out / safe, 1.0 / out.shape[1])


def _print_epoch(metrics: EpochMetrics, net: Network) -> None:
    validation = metrics.validation_accuracy
    checked = "" if validation is None else f", validation accuracy {validation:.2%}"
    print(
        f"epoch {metrics.epoch}: loss {metrics.loss:.4f}, "
        f"training accuracy {metrics.train_accuracy:.2%}{checked}"
    )
