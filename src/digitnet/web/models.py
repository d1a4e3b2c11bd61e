"""The models the page can switch between: the shipped ones and those saved from the page.

Saved models live as ``NAME.safetensors`` in one folder (``--models-dir``, else
``$DIGITNET_MODELS``, else ``~/.local/share/digitnet/models``). A name is 1 to 40 letters,
digits, ``_`` or ``-``, so it can never reach outside that folder; the resolved path is
checked as well. Loaded networks are cached and reloaded when their file changes.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitnet.errors import DigitnetError, ModelFileError
from digitnet.modelfile import PRETRAINED, PRETRAINED_DESCRIPTIONS, pretrained_path
from digitnet.network import Network, load_network
from digitnet.replay import save_network_and_snapshots
from digitnet.slant import inputs_for
from digitnet.web.errors import ApiError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SUFFIX = ".safetensors"
#: The status of a save the server has no room or no right to write (HTTP's 507).
INSUFFICIENT_STORAGE = 507


def default_models_dir() -> Path:
    """``$DIGITNET_MODELS``, else ``~/.local/share/digitnet/models``."""
    env = os.environ.get("DIGITNET_MODELS")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "digitnet" / "models"


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise a 422 ApiError."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ApiError(
            422,
            f"a model name must be 1 to 40 letters, digits, '_' or '-' (got {str(name)[:60]!r})",
        )
    return name


@dataclass
class Mistakes:
    """The test digits a network gets wrong: indices, true labels, answers, confidence."""

    indices: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    accuracy: float
    total: int


@dataclass
class _Entry:
    key: tuple[str, int]
    net: Network
    mistakes: Mistakes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class ModelStore:
    """Finds, loads, caches and saves the models the page can use."""

    def __init__(self, models_dir: Path | str | None = None, default: str = "video") -> None:
        self.models_dir = Path(models_dir).expanduser() if models_dir else default_models_dir()
        self._files: dict[str, Path] = {}  # models given as a file on the command line
        self._cache: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.default = self._register_default(default)

    # ------------------------------------------------------------------ names and paths
    def _register_default(self, model: str) -> str:
        if model in PRETRAINED:
            return model
        path = Path(model).expanduser()
        if path.suffix == SUFFIX or path.exists():
            if not path.is_file():
                raise ModelFileError(f"model file {path} does not exist")
            name = re.sub(r"[^A-Za-z0-9_-]", "_", path.stem)[:40] or "model"
            self._files[name] = path
            return name
        check = NAME_PATTERN.fullmatch(model)
        if check and self.saved_path(model).is_file():
            return model
        raise ModelFileError(
            f"unknown model {model!r}: give video, wide, a model saved in {self.models_dir} "
            "or a .safetensors file"
        )

    def saved_path(self, name: str) -> Path:
        """Where a saved model of this (valid) name lives; never outside the models folder."""
        check_name(name)
        folder = self.models_dir.resolve()
        path = (folder / f"{name}{SUFFIX}").resolve()
        if path.parent != folder:
            raise ApiError(422, f"the model name {name!r} points outside the models folder")
        return path

    def path_of(self, name: str) -> Path:
        """The file of model ``name``; 404 ApiError if there is no such model."""
        if not isinstance(name, str) or not name:
            raise ApiError(422, "give a model name")
        if name in PRETRAINED:
            path = pretrained_path(name)
            if path.is_file():
                return path
            raise ApiError(404, f"the pretrained network {name!r} is not installed")
        if name in self._files:
            return self._files[name]
        if not NAME_PATTERN.fullmatch(name):
            raise ApiError(
                404, f"unknown model {name[:60]!r}: model names are letters, digits, _ or -"
            )
        path = self.saved_path(name)
        if not path.is_file():
            raise ApiError(404, f"unknown model {name!r}")
        return path

    # ------------------------------------------------------------------ loading
    def _entry(self, name: str) -> _Entry:
        path = self.path_of(name)
        try:
            key = (str(path), path.stat().st_mtime_ns)
        except OSError:
            raise ApiError(404, f"unknown model {name!r}") from None
        with self._lock:
            entry = self._cache.get(name)
            if entry is not None and entry.key == key:
                return entry
        try:
            net = load_network(path)
        except ModelFileError as exc:
            raise ApiError(422, f"model {name!r} cannot be loaded: {exc}") from None
        entry = _Entry(key, net)
        with self._lock:
            self._cache[name] = entry
        return entry

    def get(self, name: str) -> Network:
        """The network called ``name`` (cached)."""
        return self._entry(name).net

    def mistakes(self, name: str) -> Mistakes:
        """The MNIST test digits model ``name`` gets wrong (computed once per model file)."""
        entry = self._entry(name)
        with entry.lock:
            if entry.mistakes is None:
                from digitnet.data import load_mnist

                test = load_mnist().test
                outputs = entry.net.predict_proba(inputs_for(entry.net.metadata, test.images))
                predicted = np.argmax(outputs, axis=1)
                total = outputs.sum(axis=1)
                confidence = outputs[np.arange(len(outputs)), predicted] / np.where(
                    total > 0, total, 1
                )
                labels = test.labels.astype(np.int64)
                wrong = np.flatnonzero(predicted != labels)
                entry.mistakes = Mistakes(
                    indices=wrong,
                    labels=labels[wrong],
                    predicted=predicted[wrong],
                    confidence=confidence[wrong],
                    accuracy=float(np.mean(predicted == labels)),
                    total=len(labels),
                )
            return entry.mistakes

    # ------------------------------------------------------------------ listing and saving
    def names(self) -> list[tuple[str, str]]:
        """(name, kind) of every model there is: pretrained, file, saved."""
        found: list[tuple[str, str]] = []
        for name in PRETRAINED:
            if pretrained_path(name).is_file():
                found.append((name, "pretrained"))
        for name in self._files:
            found.append((name, "file"))
        if self.models_dir.is_dir():
            for path in sorted(self.models_dir.glob(f"*{SUFFIX}")):
                name = path.name[: -len(SUFFIX)]
                if (
                    NAME_PATTERN.fullmatch(name)
                    and name not in PRETRAINED
                    and name not in self._files
                ):
                    found.append((name, "saved"))
        return found

    def summary(self, name: str, kind: str) -> dict[str, Any]:
        """A model's name, kind, layer sizes, activations and test accuracy, for lists."""
        try:
            net = self.get(name)
        except ApiError as exc:
            return {"name": name, "kind": kind, "error": exc.message}
        summary = net.summary()
        description = PRETRAINED_DESCRIPTIONS.get(name) if kind == "pretrained" else None
        return {
            "name": name,
            "kind": kind,
            "sizes": summary["sizes"],
            "hidden_activation": net.hidden_activation,
            "output_activation": net.output_activation,
            "parameters": summary["parameters"],
            "test_accuracy": summary["test_accuracy"],
            "epochs_trained": summary["epochs_trained"],
            "description": description or "-".join(str(s) for s in net.sizes),
        }

    def save(self, name: str, net: Network, overwrite: bool = False) -> Path:
        """Save ``net`` as ``name`` in the models folder; 409 if it exists and not overwrite.

        A folder that cannot be made or written (a full disk, a read-only file system, no
        permission) is a 507 ApiError in one sentence; the file is then left as it was (a
        model file is written whole or not at all) and the server goes on.
        """
        check_name(name)
        if name in PRETRAINED or name in self._files:
            raise ApiError(409, f"{name!r} is the name of a shipped model; choose another name")
        path = self.saved_path(name)
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ApiError(
                INSUFFICIENT_STORAGE,
                f"cannot create the models folder {self.models_dir}: {reason.lower()}",
            ) from None
        if path.exists() and not overwrite:
            raise ApiError(409, f"a model called {name!r} exists already; choose another name")
        try:
            save_network_and_snapshots(net, path)  # with its snapshots, if it has any
        except DigitnetError as exc:  # the disk is full, read-only, ...: say so, keep serving
            raise ApiError(INSUFFICIENT_STORAGE, str(exc)) from None
        with self._lock:
            self._cache.pop(name, None)
        return path
