"""Export a network to open formats: ONNX, PyTorch and plain NumPy arrays.

:func:`export` picks the format from the file's extension:

- ``.onnx``: an ONNX model (opset :data:`OPSET`) built with the ``onnx`` package, no PyTorch
  needed. Input ``images`` ``(N, 784)`` float32 pixels 0..1; outputs ``outputs`` (the output
  layer's activations, exactly :meth:`Network.predict_proba`) and ``probabilities`` (the
  outputs divided by their row sum, as digitnet's predictions read them; the same tensor as
  ``outputs`` for a softmax output layer).
- ``.pt``: the ``state_dict`` of the ``torch.nn.Sequential`` that :func:`torch_sequential`
  builds (Linear, activation, ..., Linear, output activation); see :func:`torch_keys`.
- ``.npz``: plain arrays (``weights_0``, ``biases_0``, ..., ``sizes``, the activations'
  names), readable with ``np.load(path, allow_pickle=False)``.

``onnx`` and ``torch`` are imported only when a format needs them. Every file is written
atomically: whole, or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from digitnet.activations import LEAKY_SLOPE
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write, check_output
from digitnet.network import Network
from digitnet.version import __version__

if TYPE_CHECKING:
    import onnx
    import torch

#: The formats :func:`export` writes, by extension.
SUFFIXES = (".onnx", ".pt", ".npz")
FORMAT_NAMES = {".onnx": "ONNX", ".pt": "PyTorch", ".npz": "NumPy arrays"}
#: The ONNX opset of the exported graph, and the IR version that goes with it (ONNX 1.12):
#: old enough for every current runtime, new enough for Softmax over one axis.
OPSET = 17
IR_VERSION = 8
#: The ONNX graph's input and output names.
INPUT_NAME = "images"
OUTPUT_NAMES = ("outputs", "probabilities")

ONNX_MISSING = "exporting to ONNX needs the onnx package: pip install 'digitnet[export]'"
TORCH_MISSING = "exporting to PyTorch (.pt) needs torch: pip install torch==2.13.0"

_ONNX_OPS = {"sigmoid": "Sigmoid", "relu": "Relu", "tanh": "Tanh", "leaky_relu": "LeakyRelu"}
_TORCH_MODULES = {
    "sigmoid": "Sigmoid()",
    "relu": "ReLU()",
    "tanh": "Tanh()",
    "leaky_relu": f"LeakyReLU(negative_slope={LEAKY_SLOPE})",
    "softmax": "Softmax(dim=1)",
}


def export(net: Network, path: str | Path) -> Path:
    """Write ``net`` to ``path`` in the format its extension names (``.onnx``, ``.pt`` or
    ``.npz``); return the path. A wrong extension, a folder or a missing folder raises
    :class:`DigitnetError` (see :func:`check_export_path`) before any work."""
    path = check_export_path(path)
    writers = {".onnx": save_onnx, ".pt": save_torch, ".npz": save_npz}
    return writers[path.suffix.lower()](net, path)


def check_export_path(path: str | Path, suffixes: tuple[str, ...] = SUFFIXES) -> Path:
    """``path`` as a Path, or a :class:`DigitnetError` in one sentence if no export can be
    written there: an extension other than ``suffixes``, a folder, or a missing folder."""
    path = Path(path)
    if path.is_dir():
        raise DigitnetError(
            f"{path} is a folder; give a file name such as {path / ('model' + suffixes[0])}"
        )
    if path.suffix.lower() not in suffixes:
        names = [f"{s} ({FORMAT_NAMES[s]})" for s in suffixes]
        choice = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise DigitnetError(
            f"cannot export to {path.name}: give a file name ending in {choice}, "
            f"not {path.suffix or 'no extension'}"
        )
    return check_output(path, suffixes, "model export")


def _name(net: Network) -> str:
    return "-".join(str(s) for s in net.sizes)


def metadata(net: Network) -> dict[str, str]:
    """What the exported files record about the network, as strings: digitnet's version,
    sizes, activations (and leaky ReLU's slope), parameters and test accuracy if known."""
    meta = {
        "digitnet_version": __version__,
        "sizes": ",".join(str(s) for s in net.sizes),
        "hidden_activation": net.hidden_activation,
        "output_activation": net.output_activation,
        "parameters": str(net.num_parameters),
    }
    if net.hidden_activation == "leaky_relu":
        meta["leaky_slope"] = str(LEAKY_SLOPE)
    accuracy = net.metadata.get("test_accuracy")
    if accuracy is not None:
        meta["test_accuracy"] = str(accuracy)
    trained_with = net.metadata.get("digitnet_version")
    if trained_with is not None:
        meta["trained_with_digitnet"] = str(trained_with)
    return meta


# ---------------------------------------------------------------------------------- ONNX
def _need_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise DigitnetError(ONNX_MISSING) from None
    return onnx


def to_onnx(net: Network) -> onnx.ModelProto:
    """``net`` as a checked ONNX model: per layer a ``Gemm`` (``a W^T + b``, the weights kept
    in digitnet's ``(n_out, n_in)`` layout) and its activation, then ``Softmax`` or
    ``Sigmoid`` for ``outputs`` and the row-sum normalisation for ``probabilities``."""
    onnx = _need_onnx()
    from onnx import TensorProto, helper, numpy_helper

    nodes = []
    initializers = []
    a = INPUT_NAME
    last = len(net.weights)
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        layer = i + 1
        initializers += [
            numpy_helper.from_array(np.ascontiguousarray(w, np.float32), f"weights_{i}"),
            numpy_helper.from_array(np.ascontiguousarray(b, np.float32), f"biases_{i}"),
        ]
        z = f"z{layer}"
        nodes.append(
            helper.make_node(
                "Gemm", [a, f"weights_{i}", f"biases_{i}"], [z], name=f"layer{layer}", transB=1
            )
        )
        act = net.activation_of(layer).name
        out = OUTPUT_NAMES[0] if layer == last else f"a{layer}"
        if act == "softmax":  # opset 13+: over the last axis alone, the row's max subtracted
            nodes.append(helper.make_node("Softmax", [z], [out], name=f"softmax{layer}", axis=-1))
        elif act == "leaky_relu":
            op = _ONNX_OPS[act]
            nodes.append(helper.make_node(op, [z], [out], name=f"{act}{layer}", alpha=LEAKY_SLOPE))
        else:
            nodes.append(helper.make_node(_ONNX_OPS[act], [z], [out], name=f"{act}{layer}"))
        a = out
    n_out = net.sizes[-1]
    if net.output_activation == "softmax":
        nodes.append(helper.make_node("Identity", ["outputs"], ["probabilities"], name="same"))
    else:
        # digitnet's normalised_probabilities: outputs / row sum, uniform if the sum is 0.
        initializers += [
            numpy_helper.from_array(np.array([1], np.int64), "row_axis"),
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
            numpy_helper.from_array(np.array(1.0 / n_out, np.float32), "uniform"),
        ]
        nodes += [
            helper.make_node("ReduceSum", ["outputs", "row_axis"], ["row_sums"], keepdims=1),
            helper.make_node("Greater", ["row_sums", "zero"], ["has_sum"]),
            helper.make_node("Div", ["outputs", "row_sums"], ["divided"]),
            helper.make_node("Where", ["has_sum", "divided", "uniform"], ["probabilities"]),
        ]
    f32 = TensorProto.FLOAT
    described = {
        "outputs": f"the output layer's activations ({net.output_activation})",
        "probabilities": "the outputs divided by their row sum: each row sums to 1",
    }
    graph = helper.make_graph(
        nodes,
        f"digitnet {_name(net)}",
        [helper.make_tensor_value_info(INPUT_NAME, f32, ["N", net.sizes[0]])],
        [helper.make_tensor_value_info(n, f32, ["N", n_out], described[n]) for n in OUTPUT_NAMES],
        initializers,
        doc_string=f"digitnet {_name(net)}: {net.hidden_activation} hidden layers, "
        f"{net.output_activation} output",
    )
    graph.input[0].doc_string = "pixels 0..1 (MNIST's pixel / 255), one image per row"
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="digitnet",
        producer_version=__version__,
        doc_string=f"digitnet {__version__}: the network of 3Blue1Brown's video, "
        f"{_name(net)} ({net.hidden_activation} hidden, {net.output_activation} output). "
        f"Input {INPUT_NAME} (N, {net.sizes[0]}) float32 pixels 0..1; outputs: outputs "
        "(the output layer's activations) and probabilities (outputs / row sum).",
    )
    helper.set_model_props(model, metadata(net))
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    return model


def save_onnx(net: Network, path: str | Path) -> Path:
    """Write ``net`` as an ONNX file (see :func:`to_onnx`), atomically; return the path."""
    path = check_export_path(path, (".onnx",))
    data = to_onnx(net).SerializeToString()
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------- PyTorch
def _need_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise DigitnetError(TORCH_MISSING) from None
    return torch


def torch_layout(net: Network) -> list[str]:
    """The modules of :func:`torch_sequential` as text, in order (no torch needed)."""
    modules = []
    for layer, w in enumerate(net.weights, start=1):
        n_out, n_in = w.shape
        modules += [f"Linear({n_in}, {n_out})", _TORCH_MODULES[net.activation_of(layer).name]]
    return modules


def torch_keys(net: Network) -> list[str]:
    """The ``state_dict`` keys of :func:`torch_sequential`: the ``Linear`` of layer ``l``
    (1 = first hidden) is module ``2 (l - 1)``, so ``0.weight``, ``0.bias``, ``2.weight``..."""
    return [f"{2 * i}.{p}" for i in range(len(net.weights)) for p in ("weight", "bias")]


def torch_sequential(net: Network) -> torch.nn.Sequential:
    """``net`` as ``torch.nn.Sequential(Linear, act, ..., Linear, Softmax(dim=1) or
    Sigmoid())`` in float32, in eval mode; its output is :meth:`Network.predict_proba`'s.
    ``Linear.weight`` has digitnet's ``(n_out, n_in)`` layout, so no transpose."""
    torch = _need_torch()
    nn = torch.nn
    activations = {
        "sigmoid": nn.Sigmoid,
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "leaky_relu": lambda: nn.LeakyReLU(negative_slope=LEAKY_SLOPE),
        "softmax": lambda: nn.Softmax(dim=1),
    }
    modules = []
    for layer, (w, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        n_out, n_in = w.shape
        linear = nn.Linear(n_in, n_out, dtype=torch.float32)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(w, dtype=np.float32)))
            linear.bias.copy_(torch.from_numpy(np.array(b, dtype=np.float32)))
        modules += [linear, activations[net.activation_of(layer).name]()]
    return nn.Sequential(*modules).eval()


def save_torch(net: Network, path: str | Path) -> Path:
    """Write the ``state_dict`` of :func:`torch_sequential` with ``torch.save``, atomically;
    read it back with ``torch.load(path, weights_only=True)``. Return the path."""
    path = check_export_path(path, (".pt",))
    torch = _need_torch()
    state = torch_sequential(net).state_dict()
    with atomic_write(path) as tmp:
        torch.save(state, tmp)
    return path


# ---------------------------------------------------------------------------------- NumPy
def npz_arrays(net: Network) -> dict[str, NDArray[Any]]:
    """The arrays of the ``.npz`` file: ``weights_i`` ``(n_out, n_in)`` and ``biases_i``
    float32 for the layers from 0, ``sizes`` int64, ``hidden_activation``,
    ``output_activation`` and ``digitnet_version`` as unicode strings, ``leaky_slope``
    float64, and ``test_accuracy`` float64 when known. No object arrays: no pickle needed."""
    arrays: dict[str, NDArray[Any]] = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"weights_{i}"] = np.ascontiguousarray(w, np.float32)
        arrays[f"biases_{i}"] = np.ascontiguousarray(b, np.float32)
    arrays["sizes"] = np.array(net.sizes, np.int64)
    arrays["hidden_activation"] = np.array(net.hidden_activation, np.str_)
    arrays["output_activation"] = np.array(net.output_activation, np.str_)
    arrays["leaky_slope"] = np.array(LEAKY_SLOPE, np.float64)
    arrays["digitnet_version"] = np.array(__version__, np.str_)
    accuracy = net.metadata.get("test_accuracy")
    if accuracy is not None:
        arrays["test_accuracy"] = np.array(float(accuracy), np.float64)
    return arrays


def save_npz(net: Network, path: str | Path) -> Path:
    """Write :func:`npz_arrays` to an uncompressed ``.npz``, atomically; return the path."""
    path = check_export_path(path, (".npz",))
    arrays = npz_arrays(net)
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **cast(dict[str, Any], arrays))  # every value an array, none named allow_pickle
    return path
