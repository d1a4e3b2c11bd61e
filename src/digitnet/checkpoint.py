"""Checkpoints: everything a training run needs to continue exactly where it stopped.

After every epoch :func:`digitnet.training.train` can write the network (with its recipe and
history in the metadata), the optimizer's memory (momentum's velocities, Adam's averages and
step count), the random generator's state (which mini-batches and distortions come next), how
many epochs of the run are done and the early-stopping bookkeeping. A run killed at any moment
and continued from its last checkpoint ends with the same weights, bit for bit, as the run that
was never interrupted (on the same machine and library versions).

A checkpoint is a safetensors file (tensors plus JSON metadata, nothing pickled), written to a
temporary file and renamed, so the previous checkpoint survives a crash during writing. It is
also a model file: ``digitnet evaluate`` and ``Network.load`` read its network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitnet.activations import Array
from digitnet.errors import DigitnetError, ModelFileError
from digitnet.files import check_output
from digitnet.modelfile import write_model
from digitnet.network import Network

FORMAT = "digitnet-checkpoint"
FORMAT_VERSION = 1


@dataclass
class TrainingState:
    """Where a run stands at the end of an epoch, besides the network's own parameters."""

    epochs_done: int = 0
    rng: dict[str, Any] = field(default_factory=dict)  # numpy's bit_generator.state
    optimizer: dict[str, Array] = field(default_factory=dict)
    optimizer_numbers: dict[str, int] = field(default_factory=dict)
    best_accuracy: float = -1.0
    since_best: int = 0
    best_params: tuple[list[Array], list[Array]] | None = None
    context: dict[str, Any] = field(default_factory=dict)  # e.g. the command's output and data


def write_checkpoint(path: str | Path, net: Network, state: TrainingState) -> Path:
    """Write ``net`` (its metadata holds the recipe and history) and ``state`` atomically:
    a model file (:func:`digitnet.modelfile.write_model`) with the state beside it."""
    path = check_output(path, (".safetensors",), "checkpoint")
    tensors = {f"optimizer.{name}": array for name, array in state.optimizer.items()}
    if state.best_params is not None:
        for i, (w, b) in enumerate(zip(*state.best_params, strict=True)):
            tensors[f"best.weights.{i}"], tensors[f"best.biases.{i}"] = w, b
    header = {
        "checkpoint": FORMAT,
        "checkpoint_version": str(FORMAT_VERSION),
        "state": json.dumps(
            {
                "epochs_done": state.epochs_done,
                "rng": state.rng,
                "optimizer_numbers": state.optimizer_numbers,
                "best_accuracy": state.best_accuracy,
                "since_best": state.since_best,
                "context": state.context,
            }
        ),
    }
    return write_model(path, net.contents(), tensors, header)


def read_checkpoint(path: str | Path) -> tuple[Network, TrainingState]:
    """The network and the state written by :func:`write_checkpoint`; one sentence
    (:class:`ModelFileError`) for a file that is not a readable checkpoint."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"the checkpoint {path} does not exist")
    try:
        with safe_open(str(path), framework="numpy") as f:
            header = f.metadata() or {}
            names = list(f.keys())
            extra = {n: f.get_tensor(n) for n in names if n.startswith(("optimizer.", "best."))}
    except Exception as exc:  # safetensors raises several types for a damaged file
        raise ModelFileError(f"{path} is not a readable checkpoint ({exc})") from None
    if header.get("checkpoint") != FORMAT:
        raise ModelFileError(f"{path.name} is not a digitnet checkpoint (a model file?)")
    if (
        not header.get("checkpoint_version", "").isdigit()
        or int(header["checkpoint_version"]) > FORMAT_VERSION
    ):
        raise ModelFileError(f"{path.name} is a checkpoint of a newer digitnet: upgrade digitnet")
    net = Network.load(path)  # checks the network's description, shapes and numbers
    try:
        saved = json.loads(header["state"])
        state = TrainingState(
            epochs_done=int(saved["epochs_done"]),
            rng=dict(saved["rng"]),
            optimizer_numbers={k: int(v) for k, v in saved["optimizer_numbers"].items()},
            best_accuracy=float(saved["best_accuracy"]),
            since_best=int(saved["since_best"]),
            context=dict(saved.get("context", {})),
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        raise ModelFileError(f"{path.name} has no valid training state") from None
    state.optimizer = {n[len("optimizer.") :]: a for n, a in extra.items() if "optimizer." in n}
    if any(n.startswith("best.") for n in extra):
        layers = len(net.weights)
        try:
            state.best_params = (
                [extra[f"best.weights.{i}"] for i in range(layers)],
                [extra[f"best.biases.{i}"] for i in range(layers)],
            )
        except KeyError:
            raise ModelFileError(f"{path.name} has incomplete best-epoch weights") from None
    if "training" not in net.metadata:
        raise ModelFileError(f"{path.name} has no training recipe")
    return net, state


def checkpoint_path_for(output: str | Path) -> Path:
    """Where ``digitnet train`` keeps the state of a run writing ``output`` when interrupted:
    ``model.safetensors`` -> ``model.checkpoint.safetensors``."""
    output = Path(output)
    suffix = ".safetensors"
    stem = output.name[: -len(suffix)] if output.name.endswith(suffix) else output.name
    if not stem:
        raise DigitnetError(f"cannot name a checkpoint after {output}")
    return output.with_name(f"{stem}.checkpoint.safetensors")
