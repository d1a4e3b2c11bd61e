"""digitnet.sklearn.DigitNetClassifier: a real scikit-learn estimator (docs/sklearn.md)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.network import Network
from digitnet.recipe import Recipe
from digitnet.sklearn import (
    CHANGED_DEFAULTS,
    LEFT_OUT,
    DigitNetClassifier,
    recipe_parameters,
)

#: scikit-learn's checks that cannot apply to DigitNetClassifier, with the reason (the same
#: list is in docs/sklearn.md). None: every check passes. Two are skipped by scikit-learn
#: itself when their tools are missing: check_classifier_data_not_an_array (needs pandas) and
#: check_array_api_input (needs SCIPY_ARRAY_API=1; digitnet computes with NumPy only).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}

#: The estimators check_estimator runs on: the defaults (the recipe's: 16-16 sigmoid,
#: softmax, Adam, 30 epochs) and Nielsen's kind (sigmoid output, quadratic cost, SGD).
CHECKED = [
    DigitNetClassifier(),
    DigitNetClassifier(
        hidden_layers=(8,),
        output_activation="sigmoid",
        cost="quadratic",
        optimizer="sgd",
        learning_rate=3.0,
        epochs=10,
    ),
]


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda _: EXPECTED_FAILED_CHECKS)
def test_scikit_learn_checks(estimator: DigitNetClassifier, check: Any) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: 1,797 rows of 64 features in 0..16, labels 0..9."""
    data = load_digits()
    return data.data, data.target


def one_sentence(message: str) -> bool:
    return "\n" not in message and re.search(r"[.;!?]\s+[A-Z]", message) is None


# ---------------------------------------------------------------------- the parameters
def test_parameters_are_the_recipe_fields_with_its_defaults() -> None:
    params = DigitNetClassifier().get_params()
    fields = {f.name for f in dataclasses.fields(Recipe)}
    assert set(params) == (fields - set(LEFT_OUT)) | {"hidden_layers", "verbose"}
    assert set(recipe_parameters()) == set(params) - {"hidden_layers", "verbose"}
    defaults = Recipe()
    for name in recipe_parameters():
        wanted = CHANGED_DEFAULTS[name][0] if name in CHANGED_DEFAULTS else getattr(defaults, name)
        assert params[name] == wanted, name
    assert params["hidden_layers"] == tuple(defaults.layers[1:-1]) == (16, 16)
    assert params["verbose"] is False
    assert set(CHANGED_DEFAULTS) == {"validation_size", "augment"}


def test_get_params_set_params_and_clone_round_trip() -> None:
    clf = DigitNetClassifier(learning_rate=0.01, hidden_layers=(32,))
    params = clf.get_params()
    other = DigitNetClassifier().set_params(**params)
    assert other.get_params() == params
    assert clf.set_params(epochs=3) is clf and clf.epochs == 3
    copy = clone(clf)
    assert copy is not clf and copy.get_params() == clf.get_params()
    assert not hasattr(copy, "network_")


def test_the_recipe_of_the_parameters() -> None:
    recipe = DigitNetClassifier(hidden_layers=(5, 6), learning_rate=0.1).make_recipe(4, 3)
    assert recipe.layers == [4, 5, 6, 3] and recipe.learning_rate == 0.1
    assert recipe.teacher == "" and recipe.validation_size == 0


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"learning_rate": -1.0}, "learning_rate must be more than 0"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"hidden_layers": 16}, "hidden_layers must be a tuple of whole numbers"),
        ({"hidden_layers": (16, 0)}, "hidden_layers: each has 1 to"),
        ({"hidden_layers": (4,) * 7}, "at most 6 hidden layers"),
        ({"augment": "small"}, "set augment='none'"),
        ({"early_stopping": 3}, "it needs validation_size > 0"),
        ({"validation_size": 100}, "keep at least one for training"),
    ],
)
def test_bad_parameters_fail_at_fit_in_one_sentence(params: dict[str, Any], words: str) -> None:
    clf = DigitNetClassifier(**{"epochs": 1, **params})  # kept as they are until fit
    X, y = np.random.default_rng(0).random((100, 4)), np.arange(100) % 3
    with pytest.raises(DigitnetError) as caught:
        clf.fit(X, y)
    assert words in str(caught.value)
    assert one_sentence(str(caught.value)), str(caught.value)


def test_numpy_numbers_from_a_grid_are_accepted() -> None:
    X, y = np.random.default_rng(0).random((30, 4)), np.arange(30) % 2
    clf = DigitNetClassifier(epochs=np.int64(2), hidden_layers=(np.int64(3),)).fit(X, y)
    assert clf.recipe_.epochs == 2 and clf.network_.sizes == [4, 3, 2]


# ---------------------------------------------------------------------- fitting and reading
def test_fit_predict_score_with_any_labels(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    names = np.array("zero one two three four five six seven eight nine".split())
    clf = DigitNetClassifier(epochs=10, learning_rate=0.01).fit(X[:1200] / 16, names[y[:1200]])
    assert list(clf.classes_) == sorted(names)
    assert clf.n_features_in_ == 64
    assert isinstance(clf.network_, Network) and clf.network_.sizes == [64, 16, 16, 10]
    assert len(clf.history_) == 10 and clf.recipe_.layers == clf.network_.sizes
    assert set(clf.predict(X[1200:] / 16)) <= set(names)
    assert clf.score(X[1200:] / 16, names[y[1200:]]) > 0.85


def test_predict_proba_rows_sum_to_one_with_a_sigmoid_output_layer(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits[0][:600] / 16, digits[1][:600]
    clf = DigitNetClassifier(output_activation="sigmoid", cost="quadratic", epochs=3).fit(X, y)
    raw = clf.network_.predict_proba(X)
    assert not np.allclose(raw.sum(axis=1), 1.0, atol=1e-3)  # what the complaint was about
    proba = clf.predict_proba(X)
    assert proba.shape == (600, 10) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(proba >= 0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_the_same_seed_gives_the_same_predictions(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits[0][:400] / 16, digits[1][:400]
    first = DigitNetClassifier(epochs=2, seed=7).fit(X, y).predict_proba(X)
    again = DigitNetClassifier(epochs=2, seed=7).fit(X, y).predict_proba(X)
    other = DigitNetClassifier(epochs=2, seed=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_uint8_pixels_are_divided_by_255() -> None:
    images = load_mnist().train.images[:300]
    X, y = images.reshape(300, -1), load_mnist().train.labels[:300]
    as_pixels = DigitNetClassifier(epochs=2).fit(X, y).predict_proba(X)
    as_floats = DigitNetClassifier(epochs=2).fit(X / np.float32(255), y).predict_proba(X / 255)
    np.testing.assert_allclose(as_pixels, as_floats, atol=1e-6)


def test_validation_rows_early_stopping_limit_and_verbose(
    digits: tuple[np.ndarray, np.ndarray], capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = digits[0] / 16, digits[1]
    clf = DigitNetClassifier(epochs=30, validation_size=300, early_stopping=2, learning_rate=0.1)
    clf.fit(X, y)
    assert all(h.validation_accuracy is not None for h in clf.history_)
    assert len(clf.history_) < 30  # a rate this high stops improving early
    limited = DigitNetClassifier(epochs=1, limit=50, validation_size=100, verbose=True)
    first = limited.fit(X, y).history_[0]
    assert first.validation_accuracy is not None
    right = first.train_accuracy * 50  # measured on the 50 rows it trained on
    assert 0 < right < 50 and right == pytest.approx(round(right))
    assert capsys.readouterr().out.startswith("epoch 1: loss ")


def test_augment_distorts_mnist_images() -> None:
    mnist = load_mnist().train
    X, y = mnist.images[:200].reshape(200, -1), mnist.labels[:200]
    clf = DigitNetClassifier(epochs=1, augment="small").fit(X, y)
    assert clf.recipe_.augment == "small"


# ---------------------------------------------------------------------- scikit-learn's tools
def test_grid_search_over_two_learning_rates_on_mnist() -> None:
    mnist = load_mnist()
    X, y = mnist.train.images[:2000].reshape(2000, -1), mnist.train.labels[:2000]
    X_test, y_test = mnist.test.images[:2000].reshape(2000, -1), mnist.test.labels[:2000]
    search = GridSearchCV(
        DigitNetClassifier(hidden_layers=(32,), epochs=10),
        {"learning_rate": [0.01, 0.0001]},
        cv=3,
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"learning_rate": 0.01}
    assert scores[0] > scores[1] + 0.3
    assert search.score(X_test, y_test) > 0.8


def test_cross_val_score_of_a_pipeline(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    net = DigitNetClassifier(hidden_layers=(32,), learning_rate=0.01, epochs=10)
    pipeline = make_pipeline(MinMaxScaler(), net)
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.85
    scaled = make_pipeline(FunctionTransformer(lambda x: x / 16), clone(net))
    assert scaled.fit(X[:1200], y[:1200]).score(X[1200:], y[1200:]) > 0.85


# ---------------------------------------------------------------------- the optional extra
def test_without_scikit_learn_the_import_error_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['sklearn'] = None\n"
        "try:\n"
        "    import digitnet.sklearn\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    message = done.stdout.strip()
    assert "pip install 'digitnet[sklearn]'" in message
    assert one_sentence(message), message
