"""The network of the video: layers of neurons, each holding one number, its activation.

A ``Network([784, 16, 16, 10])`` has an input layer of 784 neurons (one per pixel of a 28x28
image), two hidden layers of 16 neurons and 10 output neurons, one per digit. Between two
layers sit a weight matrix ``W`` (one weight per connection, shape ``(n_out, n_in)``) and a
bias vector ``b`` (one per neuron). Feeding forward computes, layer by layer,

    z = W a + b          (the weighted sums)
    a' = sigmoid(z)      (the next layer's activations)

For a mini-batch the activations are rows of a matrix ``A`` of shape ``(batch, n_in)``, so the
same step is ``Z = A W^T + b``: one matrix product for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet import modelfile
from digitnet.activations import (
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    Activation,
    Array,
    get_activation,
)
from digitnet.costs import Cost, get_cost
from digitnet.modelfile import DTYPE, INITS, ModelContents, read_model, write_model

#: Examples fed forward at a time when a large set is read: bounds the memory of a wide
#: network's hidden activations (10,000 x 1,024 floats) without slowing anything down.
CHUNK = 10_000


def all_finite(arr: Array) -> bool:
    """Whether every value is finite, in one cheap pass when it is (a finite sum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(arr.sum()) or np.all(np.isfinite(arr)))


@dataclass
class ForwardPass:
    """Everything a forward pass computed, for a batch.

    ``activations[0]`` is the input layer ``(batch, 784)``; ``activations[l]`` and
    ``weighted_sums[l - 1]`` belong to layer ``l``. ``weighted_sums`` has one entry fewer.
    """

    weighted_sums: list[Array]
    activations: list[Array]

    @property
    def output(self) -> Array:
        """The last layer's activations, shape ``(batch, 10)``."""
        return self.activations[-1]


@dataclass
class Gradients:
    """dC/dW and dC/db for every layer, averaged over a mini-batch, and the batch's cost."""

    weights: list[Array]
    biases: list[Array]
    cost: float


class Network:
    """A fully connected feed-forward network.

    Parameters
    ----------
    sizes:
        Neurons per layer, input first: ``[784, 16, 16, 10]`` is the video's network.
    hidden_activation:
        ``sigmoid`` (the video's), ``relu``, ``tanh`` or ``leaky_relu``.
    output_activation:
        ``sigmoid`` (the video's) or ``softmax``.
    init:
        ``normal`` (N(0, 1), as in Nielsen's book), ``xavier`` (N(0, 1/n_in)) or
        ``he`` (N(0, 2/n_in)). Biases start at N(0, 1) for ``normal`` and at 0 otherwise.
    seed:
        Seed of the random initial weights: the same seed gives the same network.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        hidden_activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        init: str = "normal",
        seed: int | None = 0,
    ) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError("a network needs at least two layers (input and output)")
        if any(s < 1 for s in sizes):
            raise ValueError(f"every layer needs at least one neuron, got sizes {sizes}")
        if hidden_activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"hidden activation must be one of {', '.join(HIDDEN_ACTIVATIONS)}, "
                f"not {hidden_activation!r}"
            )
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"output activation must be one of {', '.join(OUTPUT_ACTIVATIONS)}, "
                f"not {output_activation!r}"
            )
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, not {init!r}")
        self.sizes: list[int] = sizes
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.init = init
        self.seed = seed
        self.metadata: dict[str, Any] = {}
        rng = np.random.default_rng(seed)
        self.weights: list[Array] = []
        self.biases: list[Array] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            scale = {"normal": 1.0, "xavier": np.sqrt(1.0 / n_in), "he": np.sqrt(2.0 / n_in)}
            w = rng.standard_normal((n_out, n_in)) * scale[init]
            b = rng.standard_normal(n_out) if init == "normal" else np.zeros(n_out)
            self.weights.append(w.astype(DTYPE))
            self.biases.append(b.astype(DTYPE))

    # ------------------------------------------------------------------ structure
    @property
    def num_layers(self) -> int:
        """Number of layers, input layer included."""
        return len(self.sizes)

    def activation_of(self, layer: int) -> Activation:
        """The activation function of layer ``layer`` (1 = first hidden layer)."""
        if layer == self.num_layers - 1:
            return get_activation(self.output_activation)
        return get_activation(self.hidden_activation)

    def _activations(self) -> tuple[Activation, Activation]:
        """The hidden layers' and the output layer's activation functions."""
        return get_activation(self.hidden_activation), get_activation(self.output_activation)

    def parameter_counts(self) -> list[tuple[int, int]]:
        """(weights, biases) between each pair of layers."""
        return [(w.size, b.size) for w, b in zip(self.weights, self.biases, strict=True)]

    @property
    def num_parameters(self) -> int:
        """All weights and biases: 13,002 for the video's 784-16-16-10 network."""
        return sum(w + b for w, b in self.parameter_counts())

    def __repr__(self) -> str:
        layers = "-".join(str(s) for s in self.sizes)
        return (
            f"Network({layers}, hidden={self.hidden_activation}, "
            f"output={self.output_activation}, parameters={self.num_parameters:,})"
        )

    # ------------------------------------------------------------------ input checks
    def as_input(self, x: ArrayLike, *, check_finite: bool = True) -> Array:
        """Validate and convert images to input activations ``(batch, n_in)`` in float32.

        Accepts one image or a batch, flat (784) or square (28x28); uint8 pixels 0..255 are
        scaled to 0..1, other numbers are taken as they are (MNIST's lie in 0..1).
        """
        arr = np.asarray(x)
        n_in = self.sizes[0]
        if arr.dtype == np.uint8:
            arr = np.divide(arr, DTYPE(255.0), dtype=DTYPE)  # exactly pixel / 255 in float32
            check_finite = False  # pixels from 0 to 255 always are
        elif arr.dtype.kind in "fiub":
            arr = arr.astype(DTYPE, copy=False)
        else:
            raise ValueError(f"input must be numbers, got an array of {arr.dtype}")
        if arr.ndim >= 2 and arr.shape[-2] * arr.shape[-1] == n_in and arr.shape[-1] != n_in:
            arr = arr.reshape(*arr.shape[:-2], n_in)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != n_in:
            raise ValueError(
                f"input must have {n_in} values per example (the input layer's size), "
                f"got shape {np.shape(x)}"
            )
        if check_finite and not all_finite(arr):
            raise ValueError("input contains NaN or infinite values")
        return arr

    # ------------------------------------------------------------------ feeding forward
    def feedforward(self, x: ArrayLike) -> ForwardPass:
        """Feed a batch forward; return every layer's weighted sums and activations.

        ``x``: ``(batch, 784)`` (see :meth:`as_input`). Each step is ``a' = f(a W^T + b)``.
        """
        return self._checked_feedforward(self.as_input(x, check_finite=False))

    def _checked_feedforward(self, a: Array) -> ForwardPass:
        """:meth:`feedforward` of converted inputs, raising for NaN or infinite ones."""
        with np.errstate(over="ignore", invalid="ignore"):
            fp = self._feedforward(a)
        # A NaN or infinite input makes every first weighted sum of its example non-finite
        # (NaN * w and inf * 0 are NaN), so checking those 16 numbers per example instead of
        # the 784 inputs finds bad input without another pass over it.
        if not all_finite(fp.weighted_sums[0]) and not all_finite(a):
            raise ValueError("input contains NaN or infinite values")
        return fp

    def _feedforward(self, a: Array) -> ForwardPass:
        """:meth:`feedforward` for an already validated float32 batch ``(batch, n_in)``."""
        weighted_sums: list[Array] = []
        activations: list[Array] = [a]
        hidden, output = self._activations()
        last = len(self.weights)
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            z = np.dot(a, w.T)  # np.dot: the same BLAS product as @, with less overhead
            z += b
            a = (output if layer == last else hidden)(z)
            weighted_sums.append(z)
            activations.append(a)
        return ForwardPass(weighted_sums, activations)

    def predict_proba(self, x: ArrayLike) -> Array:
        """Output activations for a batch, shape ``(batch, 10)``. With a sigmoid output layer
        they are each in (0, 1) but need not sum to one. A large batch is fed forward
        :data:`CHUNK` examples at a time."""
        a = self.as_input(x, check_finite=False)
        if len(a) <= CHUNK:  # the common case, without the loop's overhead
            return self._checked_feedforward(a).output
        return self.layer_outputs(a, self.num_layers - 1)

    def layer_outputs(self, x: ArrayLike, layer: int, *, weighted_sums: bool = False) -> Array:
        """Layer ``layer``'s activations (or weighted sums) for every example of ``x``, fed
        forward :data:`CHUNK` examples at a time: the one loop that runs a network over a
        data set."""
        if not 0 <= layer < self.num_layers or (weighted_sums and layer == 0):
            raise ValueError(f"layer must lie in {int(weighted_sums)}..{self.num_layers - 1}")
        a = self.as_input(x, check_finite=False)
        parts = []
        for start in range(0, max(len(a), 1), CHUNK):
            fp = self._checked_feedforward(a[start : start + CHUNK])
            parts.append(fp.weighted_sums[layer - 1] if weighted_sums else fp.activations[layer])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def predict(self, x: ArrayLike) -> NDArray[np.int64]:
        """The network's answer for each example: the index of the brightest output neuron."""
        return np.argmax(self.predict_proba(x), axis=1)

    def accuracy(self, images: ArrayLike, labels: ArrayLike) -> float:
        """Fraction of examples whose answer equals the label."""
        y = np.asarray(labels)
        return float(np.sum(self.predict(images) == y)) / max(len(y), 1)

    # ------------------------------------------------------------------ learning
    def backprop(self, x: ArrayLike, y: ArrayLike, cost: Cost | str = "quadratic") -> Gradients:
        """Backpropagation over a mini-batch, in matrix form (no loop over examples).

        ``x``: ``(batch, n_in)`` inputs; ``y``: ``(batch,)`` integer labels or ``(batch, n_out)``
        wanted outputs. Returns dC/dW and dC/db averaged over the batch, computed by

            delta_L = dC/dz_L                         (the output layer's error)
            delta_l = (delta_{l+1} W_{l+1}) * f'(z_l)  (the error moved back one layer)
            dC/dW_l = delta_l^T a_{l-1} / batch,  dC/db_l = mean of delta_l
        """
        cost_fn = get_cost(cost) if isinstance(cost, str) else cost
        a = self.as_input(x)
        return self._backprop(a, self.as_target(y, len(a)), cost_fn)

    def _backprop(
        self, x: Array, target: Array, cost: Cost, out: Gradients | None = None
    ) -> Gradients:
        """:meth:`backprop` for validated float32 inputs and one-hot targets; with ``out``,
        the gradients are written into its arrays (of the parameters' shapes) and returned
        in them."""
        fp = self._feedforward(x)
        hidden, output = self._activations()
        delta = cost.delta(fp.weighted_sums[-1], fp.output, target, output)
        n = len(self.weights)
        grad_w: list[Array] = [delta] * n if out is None else out.weights
        grad_b: list[Array] = [delta] * n if out is None else out.biases
        # Backprop is linear in delta: dividing the output error by the batch size once
        # makes every gradient below the batch mean.
        delta *= DTYPE(1.0 / len(target))
        for i in range(n - 1, -1, -1):
            if out is None:
                grad_w[i] = delta.T @ fp.activations[i]
                grad_b[i] = delta.sum(axis=0)
            else:
                np.dot(delta.T, fp.activations[i], out=grad_w[i])
                np.add.reduce(delta, axis=0, out=grad_b[i])  # np.sum, without its wrapper
            if i > 0:
                grad_a = np.dot(delta, self.weights[i])
                delta = hidden.backward(fp.weighted_sums[i - 1], fp.activations[i], grad_a)
        return Gradients(grad_w, grad_b, cost.value(fp.output, target, output))

    def input_gradient(self, fp: ForwardPass, layer: int, grad_z: Array) -> Array:
        """The gradient of a quantity with respect to the input ``(batch, n_in)``, given its
        gradient ``grad_z`` with respect to layer ``layer``'s weighted sums in the forward pass
        ``fp``: :meth:`_backprop`'s backward steps (``grad_a = grad_z W``, then each
        activation's vector-Jacobian product) carried down to the pixels, in the precision of
        ``fp`` and ``grad_z`` (a float64 forward pass gives a float64 gradient)."""
        if not 1 <= layer < self.num_layers:
            raise ValueError(f"layer must lie in 1..{self.num_layers - 1}")
        grad = grad_z @ self.weights[layer - 1]
        for i in range(layer - 1, 0, -1):
            delta = self.activation_of(i).backward(fp.weighted_sums[i - 1], fp.activations[i], grad)
            grad = delta @ self.weights[i - 1]
        return grad

    def as_target(self, y: ArrayLike, batch: int) -> Array:
        """Wanted outputs ``(batch, n_out)``: one-hot rows from integer labels."""
        arr = np.asarray(y)
        n_out = self.sizes[-1]
        if arr.ndim == 1:
            if arr.dtype.kind not in "iu":
                raise ValueError("labels must be integers")
            if len(arr) and (arr.min() < 0 or arr.max() >= n_out):
                raise ValueError(f"labels must lie in 0..{n_out - 1}")
            out = np.zeros((len(arr), n_out), DTYPE)
            out[np.arange(len(arr)), arr] = 1.0
            arr = out
        if arr.shape != (batch, n_out):
            raise ValueError(f"wanted outputs must have shape ({batch}, {n_out}), got {arr.shape}")
        return arr.astype(DTYPE, copy=False)

    # ------------------------------------------------------------------ convenience
    def copy(self) -> Network:
        """An independent copy with the same parameters."""
        other = Network.__new__(Network)
        other.__dict__.update(self.__dict__)
        other.weights = [w.copy() for w in self.weights]
        other.biases = [b.copy() for b in self.biases]
        other.metadata = dict(self.metadata)
        return other

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Save to a safetensors model file (see :mod:`digitnet.modelfile`), atomically.
        ``metadata`` (e.g. ``training`` and ``history``) is merged over ``self.metadata``."""
        return write_model(path, self.contents(metadata))

    def contents(self, metadata: dict[str, Any] | None = None) -> ModelContents:
        """What a model file holds of this network, ``metadata`` merged over its own."""
        meta = {**self.metadata, **(metadata or {})}
        return ModelContents(
            self.sizes, self.hidden_activation, self.output_activation, self.init,
            self.seed, self.weights, self.biases, meta,
        )  # fmt: skip

    @classmethod
    def load(cls, path_or_name: str | Path) -> Network:
        """Load a model file, or a shipped network by name (``video``, ``wide``)."""
        c = read_model(path_or_name)
        net = cls(c.sizes, c.hidden_activation, c.output_activation, c.init, seed=None)
        net.seed, net.weights, net.biases, net.metadata = c.seed, c.weights, c.biases, c.metadata
        return net

    def summary(self) -> dict[str, Any]:
        """The network's layers, parameter counts and what made it, as JSON values: what
        ``digitnet info``, the web page, the report and a notebook show."""
        layers = [
            {
                "from": self.sizes[i - 1],
                "to": self.sizes[i],
                "weights": w,
                "biases": b,
                "activation": self.activation_of(i).name,
            }
            for i, (w, b) in enumerate(self.parameter_counts(), start=1)
        ]
        meta = self.metadata
        return {
            "sizes": list(self.sizes),
            "parameters": self.num_parameters,
            "layers": layers,
            "training": meta.get("training"),
            "epochs_trained": len(meta.get("history", [])),
            "test_accuracy": meta.get("test_accuracy"),
            **{key: meta.get(key) for key in modelfile.MADE_WITH},
        }


def load_network(path_or_name: str | Path) -> Network:
    """Load a network from a model file, or a shipped one by name (``video``, ``wide``): the
    format and its version, layer sizes, activations, tensor shapes, dtypes and that every
    number is finite are checked; a problem raises :class:`ModelFileError` in one sentence."""
    return Network.load(path_or_name)


def save_network(net: Network, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``net`` to ``path`` atomically (see :meth:`Network.save`); return the path."""
    return net.save(path, metadata)


def load_pretrained(name: str = "video") -> Network:
    """One of the networks shipped with digitnet: ``video`` or ``wide`` (any other name is
    refused in one sentence, even that of a file)."""
    return Network.load(modelfile.pretrained_path(name))
