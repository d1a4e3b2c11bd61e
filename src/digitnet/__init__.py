"""digitnet: the neural network of 3Blue1Brown's "But what is a neural network?", for real.

>>> from digitnet import Network, load_pretrained
>>> net = load_pretrained("video")          # 784 -> 16 -> 16 -> 10, sigmoid, 13,002 parameters
>>> net.predict_image("my-digit.png")       # doctest: +SKIP
"""

__version__ = "0.1.0"

from digitnet.errors import DataError, DigitnetError, ImageError, ModelFileError
from digitnet.network import ForwardPass, Gradients, Network

__all__ = [
    "DataError",
    "DigitnetError",
    "ForwardPass",
    "Gradients",
    "ImageError",
    "ModelFileError",
    "Network",
    "__version__",
    "load_network",
    "load_pretrained",
    "save_network",
]


def __getattr__(name: str) -> object:
    # Model-file functions load lazily so that `import digitnet` stays light.
    if name in ("load_network", "load_pretrained", "save_network"):
        from digitnet import modelfile

        return getattr(modelfile, name)
    raise AttributeError(f"module 'digitnet' has no attribute {name!r}")
