"""What the ``digitnet`` sub-commands share: the model argument, number parsers, errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from digitnet.errors import DigitnetError

MODEL_HELP = "model file, or a shipped network: video (default) or wide"


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that ends each option with its default, unless the help already names it or
    there is none to name (a flag, or an option that is off unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text
            or default in (None, False, "", argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)"


def add_model_argument(p: argparse.ArgumentParser, *, positional: bool = True) -> None:
    """The model, as ``MODEL`` and as ``--model MODEL`` (``-m``): every command that takes
    one accepts both. Read it with :func:`model_of`."""
    if positional:
        p.add_argument("model_given", nargs="?", default=None, metavar="MODEL", help=MODEL_HELP)
    p.add_argument(
        "-m", "--model", dest="model_option", default=None, metavar="MODEL", help=MODEL_HELP
    )


def model_of(args: argparse.Namespace, default: str = "video") -> str:
    """The model named by ``MODEL`` or ``--model`` (both only if they agree), else ``default``."""
    given = getattr(args, "model_given", None)
    option = getattr(args, "model_option", None)
    if given is not None and option is not None and given != option:
        raise DigitnetError(f"two models given ({given} and --model {option}); choose one")
    return given or option or default


def looks_like_model(text: str) -> bool:
    """Whether a positional argument names a model rather than an image: a shipped network's
    name or a ``.safetensors`` file."""
    from digitnet.modelfile import PRETRAINED

    return text in PRETRAINED or Path(text).suffix == ".safetensors"


def load_model(args: argparse.Namespace, default: str = "video") -> Any:
    """The network the command's model argument names."""
    from digitnet.network import Network

    return Network.load(model_of(args, default))


def parse_layers(text: str) -> list[int]:
    """``784,16,16,10`` (or ``784-16-16-10``) -> [784, 16, 16, 10]."""
    try:
        sizes = [int(s) for s in text.replace("-", ",").split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"layers must be numbers separated by commas, such as 784,16,16,10 (got {text!r})"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"layers need at least an input and an output size, each at least 1 (got {text!r})"
        )
    return sizes


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def progress_bar(total: int, what: str, *, quiet: bool = False) -> Any:
    """A progress bar on stderr for work that takes more than a moment (a tqdm bar; with
    ``quiet``, or when stderr is not a terminal, nothing is drawn)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit="step", file=sys.stderr, disable=quiet or None)


#: The optional parts of digitnet: the module each needs, and the extra that installs it.
EXTRAS = {
    "matplotlib": "pictures",
    "fastapi": "web",
    "uvicorn": "web",
    "PIL": "images",
    "onnx": "export",
    "sklearn": "sklearn",
}


def require(command: str, *modules: str) -> None:
    """Raise one sentence naming the ``pip install`` that adds what ``command`` needs, when one
    of ``modules`` is not installed (the default install has them all)."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            extra = EXTRAS.get(module, "all")
            raise DigitnetError(
                f"digitnet {command} needs {'Pillow' if module == 'PIL' else module}, which is "
                f"not installed: pip install 'digitnet[{extra}]'"
            ) from None
