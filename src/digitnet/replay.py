"""Replaying the learning: the network's parameters as they were after each epoch.

:class:`SnapshotRecorder` is an epoch callback (``train(..., on_epoch=recorder)``): after every
epoch it keeps a copy of the weights and biases, so nothing in training changes. A small
network keeps every epoch; a wide one is thinned so that all its snapshots together stay within
:data:`BUDGET` numbers (32 MB in float32): when the budget is full, every second snapshot is
dropped (the first and the latest always stay) and from then on only every second epoch is
kept, then every fourth, and so on. A network of more than half the budget keeps none.

:func:`save_with_snapshots` writes them into the model file itself, beside the weights, as
tensors ``snapshot.K.weights.I`` and ``snapshot.K.biases.I`` with the epochs in the metadata
``snapshots`` (``{"epochs": [...]}``); :func:`read_snapshots` reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from digitnet.activations import Array
from digitnet.errors import ModelFileError
from digitnet.modelfile import DTYPE, write_model
from digitnet.network import Network

BUDGET = 8_000_000  #: numbers kept in all snapshots together (32 MB in float32)
PREFIX = "snapshot."


@dataclass
class Snapshot:
    """The parameters after ``epoch`` epochs (0: before training)."""

    epoch: int
    weights: list[Array]
    biases: list[Array]

    def network(self, like: Network) -> Network:
        """A copy of ``like`` with these parameters."""
        net = like.copy()
        net.weights = [w.copy() for w in self.weights]
        net.biases = [b.copy() for b in self.biases]
        return net


class SnapshotRecorder:
    """An epoch callback that keeps the parameters after each epoch, within ``budget``
    numbers. Call :meth:`start` with the untrained network to keep epoch 0 too."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self.every = 1  # keep every this-many-th epoch
        self.snapshots: list[Snapshot] = []

    def start(self, net: Network) -> None:
        """Keep the parameters before training (epoch 0)."""
        self._keep(0, net)

    def __call__(self, metrics: Any, net: Network) -> None:
        epoch = int(metrics.epoch)
        if epoch % self.every == 0:
            self._keep(epoch, net)

    def finish(self, net: Network, epoch: int) -> None:
        """Keep the final parameters (after ``epoch`` epochs) if the thinning skipped them."""
        if not self.snapshots or self.snapshots[-1].epoch != epoch:
            self._keep(epoch, net, force=True)

    def _keep(self, epoch: int, net: Network, *, force: bool = False) -> None:
        size = net.num_parameters
        if 2 * size > self.budget:  # not even the first and the last fit
            return
        self.snapshots.append(
            Snapshot(epoch, [w.copy() for w in net.weights], [b.copy() for b in net.biases])
        )
        while len(self.snapshots) * size > self.budget and len(self.snapshots) > 2:
            self.every *= 2
            first, *middle, last = self.snapshots
            kept = [s for s in middle if s.epoch % self.every == 0]
            self.snapshots = [first, *kept, last]

    @property
    def epochs(self) -> list[int]:
        return [s.epoch for s in self.snapshots]


def attach_snapshots(net: Network, snapshots: list[Snapshot]) -> None:
    """Let ``net`` carry its snapshots (through a pickle to another process, too) until it is
    saved with :func:`save_network_and_snapshots`."""
    net.__dict__["_snapshots"] = snapshots


def attached_snapshots(net: Network) -> list[Snapshot]:
    """The snapshots :func:`attach_snapshots` gave ``net``, or none."""
    found: list[Snapshot] = net.__dict__.get("_snapshots", [])
    return found


def save_network_and_snapshots(net: Network, path: str | Path) -> Path:
    """Save ``net``, with the snapshots attached to it if it has any."""
    snapshots = attached_snapshots(net)
    return save_with_snapshots(net, path, snapshots) if snapshots else net.save(path)


def snapshot_tensors(snapshots: list[Snapshot]) -> dict[str, Array]:
    """The snapshots as named tensors for :func:`digitnet.modelfile.write_model`."""
    tensors: dict[str, Array] = {}
    for k, snap in enumerate(snapshots):
        for i, (w, b) in enumerate(zip(snap.weights, snap.biases, strict=True)):
            tensors[f"{PREFIX}{k}.weights.{i}"] = w
            tensors[f"{PREFIX}{k}.biases.{i}"] = b
    return tensors


def save_with_snapshots(net: Network, path: str | Path, snapshots: list[Snapshot]) -> Path:
    """Save ``net`` to ``path`` with its snapshots in the same file."""
    contents = net.contents({"snapshots": {"epochs": [s.epoch for s in snapshots]}})
    return write_model(path, contents, extra_tensors=snapshot_tensors(snapshots))


def read_snapshots(path: str | Path) -> list[Snapshot]:
    """The snapshots in a model file (none if it has none), checked against its network."""
    from safetensors import SafetensorError, safe_open

    net = Network.load(path)
    info = net.metadata.get("snapshots")
    if not isinstance(info, dict) or not isinstance(info.get("epochs"), list):
        return []
    epochs = info["epochs"]
    name = Path(path).name
    snapshots = []
    try:
        with safe_open(str(path), framework="numpy") as f:
            for k, epoch in enumerate(epochs):
                weights, biases = [], []
                for i, (n_in, n_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:], strict=True)):
                    w = f.get_tensor(f"{PREFIX}{k}.weights.{i}")
                    b = f.get_tensor(f"{PREFIX}{k}.biases.{i}")
                    if w.shape != (n_out, n_in) or b.shape != (n_out,) or w.dtype != DTYPE:
                        raise ModelFileError(f"{name}: snapshot {k} does not fit the network")
                    weights.append(w)
                    biases.append(b)
                snapshots.append(Snapshot(int(epoch), weights, biases))
    except ModelFileError:
        raise
    except (KeyError, OSError, ValueError, SafetensorError):
        # Saved again without them (the metadata came along, the tensors did not).
        return []
    return snapshots


def answers_through_training(
    net: Network, snapshots: list[Snapshot], x: Array
) -> list[tuple[int, int, float]]:
    """For input ``x`` (784,): each snapshot's epoch, answer and the answer's share."""
    out = []
    for snap in snapshots:
        outputs = np.clip(snap.network(net).predict_proba(x.reshape(1, -1))[0], 0.0, None)
        digit = int(np.argmax(outputs))
        out.append((snap.epoch, digit, float(outputs[digit] / max(outputs.sum(), 1e-12))))
    return out
