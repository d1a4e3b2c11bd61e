"""digitnet: the neural network of 3Blue1Brown's "But what is a neural network?", for real.

>>> from digitnet import Network, load_pretrained
>>> net = load_pretrained("video")          # 784 -> 16 -> 16 -> 10, sigmoid, 13,002 parameters
>>> from digitnet.prediction import predict_image
>>> predict_image(net, "my-digit.png")      # doctest: +SKIP

The package is in layers that only import downward (``docs/architecture.md``): the core
(this module's names, training, data, model files: NumPy only), then prediction and
preprocessing, then figures and the report, then the web page and the command line.
"""

from digitnet.errors import DataError, DigitnetError, ImageError, ModelFileError
from digitnet.network import (
    ForwardPass,
    Gradients,
    Network,
    load_network,
    load_pretrained,
    save_network,
)
from digitnet.recipe import Recipe
from digitnet.version import __version__

__all__ = [
    "DataError",
    "DigitnetError",
    "ForwardPass",
    "Gradients",
    "ImageError",
    "ModelFileError",
    "Network",
    "Recipe",
    "__version__",
    "load_network",
    "load_pretrained",
    "save_network",
]


def __getattr__(name: str) -> object:
    """``digitnet.read_number`` (:func:`digitnet.numbers.read_number`), imported when first
    used: it needs Pillow, which the core does not (so it is not in ``__all__`` either, and
    its documentation is :mod:`digitnet.numbers`')."""
    if name == "read_number":
        from digitnet.numbers import read_number

        return read_number
    raise AttributeError(f"module 'digitnet' has no attribute {name!r}")
