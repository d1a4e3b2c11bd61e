"""Model files: a network's weights and biases in safetensors, with what made them.

A model file holds one float32 tensor per parameter (``weights.0``, ``biases.0``, ...,
``weights.0`` being the matrix between the input layer and the first hidden layer) and, as
safetensors metadata, JSON for the layer sizes, activations, the training recipe, the metrics
history, the digitnet version and the file format version. Nothing is ever pickled.
Saving writes a temporary file beside the target and renames it, so a model file is either
complete or absent.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from digitnet.errors import DigitnetError, ModelFileError
from digitnet.files import atomic_write, check_output
from digitnet.version import __version__

DTYPE = np.float32
FORMAT = "digitnet-model"
FORMAT_VERSION = 1
PRETRAINED = ("video", "wide")
PRETRAINED_DESCRIPTIONS = {
    "video": "the video's 784-16-16-10 network, sigmoid neurons (13,002 parameters)",
    "wide": "a wide ReLU network, the most accurate one digitnet ships",
}
MAX_LAYER_SIZE = 100_000


@dataclass
class ModelContents:
    """What a model file holds: the network's description, its parameters and metadata."""

    sizes: list[int]
    hidden_activation: str
    output_activation: str
    init: str = "normal"
    seed: int | None = None
    weights: list[NDArray[np.float32]] = field(default_factory=list)
    biases: list[NDArray[np.float32]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def pretrained_path(name: str) -> Path:
    """Path of a shipped network's file inside the installed package."""
    if name not in PRETRAINED:
        raise ModelFileError(
            f"unknown pretrained network {name!r}; choose {' or '.join(PRETRAINED)}"
        )
    return Path(str(resources.files("digitnet") / "pretrained" / f"{name}.safetensors"))


def made_with() -> dict[str, str]:
    """The versions of digitnet, Python and NumPy writing a model file, recorded in it (a
    network trained bit for bit again needs the same ones, and the same BLAS)."""
    return {
        "digitnet_version": __version__,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
    }


def write_model(path: str | Path, net: ModelContents) -> Path:
    """Write a model to ``path`` (safetensors) atomically; return the path."""
    from safetensors.numpy import save_file

    try:
        path = check_output(path, what="model file")
    except DigitnetError as exc:
        raise ModelFileError(str(exc)) from None
    header: dict[str, str] = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "network": json.dumps(
            {
                "sizes": net.sizes,
                "hidden_activation": net.hidden_activation,
                "output_activation": net.output_activation,
                "init": net.init,
                "seed": net.seed,
            }
        ),
    }
    for key, value in net.metadata.items():
        header[key] = json.dumps(value)
    header.update(made_with())  # the versions that wrote this file, whatever it was before
    tensors: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        tensors[f"weights.{i}"] = np.ascontiguousarray(w, dtype=DTYPE)
        tensors[f"biases.{i}"] = np.ascontiguousarray(b, dtype=DTYPE)
    with atomic_write(path) as tmp:
        save_file(tensors, str(tmp), metadata=header)
    return path


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    from safetensors import safe_open

    if not path.exists():
        raise ModelFileError(f"model file {path} does not exist")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file")
    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises several types for a damaged file
        raise ModelFileError(f"{path} is not a readable safetensors model file ({exc})") from None
    return tensors, metadata


def read_model(path_or_name: str | Path) -> ModelContents:
    """Read a model file, or a shipped network by name (``video``, ``wide``).

    Checks the format and its version, layer sizes, activations, tensor shapes, dtypes and
    that every number is finite; a problem raises :class:`ModelFileError` in one sentence.
    """
    if isinstance(path_or_name, str) and path_or_name in PRETRAINED:
        path = pretrained_path(path_or_name)
    else:
        path = Path(path_or_name)
    tensors, metadata = _read(path)
    name = path.name
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"{name} is a safetensors file but not a digitnet model")
    version = metadata.get("format_version", "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} has model format version {version!r}; this digitnet "
            f"({__version__}) reads versions up to {FORMAT_VERSION}: upgrade digitnet"
        )
    try:
        config = json.loads(metadata["network"])
        sizes = [int(s) for s in config["sizes"]]
        hidden, output = str(config["hidden_activation"]), str(config["output_activation"])
    except (KeyError, ValueError, TypeError):
        raise ModelFileError(f"{name} has no valid network description in its metadata") from None
    if len(sizes) < 2 or any(not 1 <= s <= MAX_LAYER_SIZE for s in sizes):
        raise ModelFileError(f"{name} describes impossible layer sizes {sizes}")
    if hidden not in HIDDEN_ACTIVATIONS or output not in OUTPUT_ACTIVATIONS:
        raise ModelFileError(f"{name} names unknown activations {hidden!r}/{output!r}")
    expected = set()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        for key, shape in ((f"weights.{i}", (n_out, n_in)), (f"biases.{i}", (n_out,))):
            expected.add(key)
            if key not in tensors:
                raise ModelFileError(f"{name} lacks the tensor {key}")
            t = tensors[key]
            if t.shape != shape:
                raise ModelFileError(f"{name}: {key} has shape {t.shape}, expected {shape}")
            if t.dtype != DTYPE:
                raise ModelFileError(f"{name}: {key} is {t.dtype}, expected float32")
            if not np.all(np.isfinite(t)):
                raise ModelFileError(f"{name}: {key} contains NaN or infinite values")
    # A checkpoint (digitnet.checkpoint) is a model file with the training state beside it.
    state = ("optimizer.", "best.") if "checkpoint" in metadata else ()
    unexpected = sorted(k for k in set(tensors) - expected if not k.startswith(state))
    if unexpected:
        raise ModelFileError(f"{name} has unexpected tensors: {', '.join(unexpected)}")
    net = ModelContents(
        sizes, hidden, output, str(config.get("init", "normal")), config.get("seed")
    )
    net.weights = [tensors[f"weights.{i}"].copy() for i in range(len(sizes) - 1)]
    net.biases = [tensors[f"biases.{i}"].copy() for i in range(len(sizes) - 1)]
    reserved = {"format", "format_version", "network", "checkpoint", "checkpoint_version", "state"}
    for key, value in metadata.items():
        if key in reserved:
            continue
        try:
            net.metadata[key] = json.loads(value)
        except ValueError:
            net.metadata[key] = value
    return net
