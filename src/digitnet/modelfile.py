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
import math
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_info

from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from digitnet.errors import DigitnetError, ModelFileError
from digitnet.files import atomic_write, check_output
from digitnet.looks import LOOKS
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
#: How initial weights can be drawn: N(0,1) (Nielsen's), Xavier or He (see ``Network``).
INITS = ("normal", "xavier", "he")


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


#: The metadata keys of the versions that wrote a model file (see :func:`made_with`).
MADE_WITH = ("digitnet_version", "python_version", "numpy_version", "blas_version")


def made_with() -> dict[str, str]:
    """The versions of digitnet, Python, NumPy and NumPy's BLAS writing a model file, recorded
    in it (a network trained bit for bit again needs the same ones, and the same CPU kind)."""
    versions = (__version__, platform.python_version(), np.__version__, blas_version())
    return dict(zip(MADE_WITH, versions, strict=True))


def blas_version() -> str:
    """NumPy's BLAS library, its version and the CPU kernels it chose, e.g. ``openblas
    0.3.31.188.0 (Haswell)``; ``unknown`` when threadpoolctl cannot tell."""
    libraries = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not libraries:
        return "unknown"
    blas = libraries[0]
    kernels = f" ({blas['architecture']})" if blas.get("architecture") else ""
    return f"{blas.get('internal_api', 'blas')} {blas.get('version') or '?'}{kernels}"


def write_model(
    path: str | Path,
    net: ModelContents,
    extra_tensors: Mapping[str, NDArray[np.float32]] | None = None,
    extra_header: Mapping[str, str] | None = None,
) -> Path:
    """Write a model to ``path`` (safetensors) atomically; return the path. A checkpoint
    (:mod:`digitnet.checkpoint`) adds its training state as ``extra_tensors`` and
    ``extra_header``."""
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
    header.update(extra_header or {})
    tensors: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        tensors[f"weights.{i}"] = np.ascontiguousarray(w, dtype=DTYPE)
        tensors[f"biases.{i}"] = np.ascontiguousarray(b, dtype=DTYPE)
    for name, array in (extra_tensors or {}).items():
        tensors[name] = np.ascontiguousarray(array, dtype=DTYPE)
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


def _finite(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def _json(text: str) -> Any:
    """``text`` parsed as JSON, NaN and infinities (a diverged loss, say) read as null, which
    JSON can say; ValueError for bad JSON or nesting too deep to read."""
    try:
        return json.loads(text, parse_constant=lambda _: None, parse_float=_finite)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: What the metadata digitnet writes must be, for the code that reads it (``digitnet info``,
#: the report, the page, resuming training): a check and the words for it.
METADATA_TYPES: dict[str, tuple[Any, str]] = {
    "history": (
        lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v),
        "a list of epochs",
    ),
    "training": (lambda v: v is None or isinstance(v, dict), "a training recipe"),
    "test_accuracy": (lambda v: v is None or _is_number(v), "a number"),
    "dataset": (lambda v: isinstance(v, str), "a name"),
    "preprocessing": (
        lambda v: isinstance(v, dict) and all(isinstance(x, bool) for x in v.values()),
        "a set of preprocessing switches",
    ),
    "reading": (
        lambda v: isinstance(v, dict) and v.get("looks") in LOOKS,
        "how many looks to read a digit with (1 or 5)",
    ),
    **{key: (lambda v: isinstance(v, str), "a version") for key in MADE_WITH},
}


def _network_description(metadata: dict[str, str], name: str) -> ModelContents:
    """The network described by the ``network`` metadata (no tensors yet), checked."""
    try:
        config = _json(metadata["network"])
        sizes, hidden, output = (
            config["sizes"], config["hidden_activation"], config["output_activation"]
        )  # fmt: skip
    except (KeyError, ValueError, TypeError):
        raise ModelFileError(f"{name} has no valid network description in its metadata") from None
    if not isinstance(sizes, list) or not all(type(s) is int for s in sizes):
        raise ModelFileError(f"{name} describes layer sizes that are not whole numbers")
    if len(sizes) < 2 or any(not 1 <= s <= MAX_LAYER_SIZE for s in sizes):
        shown = str(sizes[:10])[:-1] + (", ...]" if len(sizes) > 10 else "]")
        raise ModelFileError(f"{name} describes impossible layer sizes {shown}")
    if hidden not in HIDDEN_ACTIVATIONS or output not in OUTPUT_ACTIVATIONS:
        raise ModelFileError(
            f"{name} names unknown activations {str(hidden)[:40]!r}/{str(output)[:40]!r}"
        )
    init, seed = config.get("init", "normal"), config.get("seed")
    if init not in INITS:
        raise ModelFileError(f"{name} names an unknown initialisation {str(init)[:40]!r}")
    if seed is not None and (type(seed) is not int or seed < 0):
        raise ModelFileError(f"{name} has a seed that is not a whole number from 0 up")
    return ModelContents(sizes, hidden, output, init, seed)


def read_model(path_or_name: str | Path) -> ModelContents:
    """Read a model file, or a shipped network by name (``video``, ``wide``).

    Checks the format and its version, layer sizes, activations, tensor shapes, dtypes, that
    every number is finite and that the metadata digitnet reads has the right types; a
    problem raises :class:`ModelFileError` in one sentence.
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
    readable = version.isascii() and version.isdigit() and len(version) < 10
    if not readable or int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} has model format version {version[:20]!r}; this digitnet "
            f"({__version__}) reads versions up to {FORMAT_VERSION}: upgrade digitnet"
        )
    net = _network_description(metadata, name)
    sizes = net.sizes
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
    if "snapshots" in metadata:  # the parameters through training (digitnet.replay)
        state = (*state, "snapshot.")
    unexpected = sorted(k for k in set(tensors) - expected if not k.startswith(state))
    if unexpected:
        raise ModelFileError(f"{name} has unexpected tensors: {', '.join(unexpected)[:200]}")
    net.weights = [tensors[f"weights.{i}"].copy() for i in range(len(sizes) - 1)]
    net.biases = [tensors[f"biases.{i}"].copy() for i in range(len(sizes) - 1)]
    reserved = {"format", "format_version", "network", "checkpoint", "checkpoint_version", "state"}
    for key, value in metadata.items():
        if key in reserved:
            continue
        try:
            net.metadata[key] = _json(value)
        except ValueError:
            net.metadata[key] = value
        check, what = METADATA_TYPES.get(key, (None, ""))
        if check is not None and not check(net.metadata[key]):
            raise ModelFileError(f"{name} has metadata {key!r} that is not {what}")
    return net
