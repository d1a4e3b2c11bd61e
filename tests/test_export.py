"""`digitnet export`: ONNX checked with onnxruntime on MNIST's 10,000 test images, the NumPy
arrays read back without pickle, PyTorch where torch is installed, and files never half-written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from digitnet.cli import main
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.export import (
    INPUT_NAME,
    ONNX_MISSING,
    OPSET,
    OUTPUT_NAMES,
    TORCH_MISSING,
    export,
    npz_arrays,
    to_onnx,
    torch_keys,
    torch_layout,
)
from digitnet.network import Network
from digitnet.prediction import normalised_probabilities
from digitnet.version import __version__

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = 1e-5
#: PyTorch sums float32 products in an order of its own, which can change from run to run (its
#: kernels choose by threads and memory alignment): usually 1e-7 apart from digitnet's
#: answers, once 1.25e-5 in a full test run.
TORCH_TOLERANCE = 1e-4

#: The networks checked: both shipped ones, and small ones with each other activation and a
#: sigmoid output layer (whose outputs do not sum to one).
NETWORKS: dict[str, Callable[[], Network]] = {
    "video": lambda: Network.load("video"),
    "wide": lambda: Network.load("wide"),
    "tanh": lambda: Network([784, 12, 10], "tanh", "sigmoid", init="xavier", seed=2),
    "leaky_relu": lambda: Network([784, 12, 10], "leaky_relu", "sigmoid", init="he", seed=1),
    "relu": lambda: Network([784, 20, 15, 10], "relu", "sigmoid", init="he", seed=3),
}


@pytest.fixture(scope="module")
def test_images() -> NDArray[np.float32]:
    """MNIST's 10,000 test images as the ONNX input wants them: (N, 784) float32 0..1."""
    images = load_mnist().test.images.reshape(-1, 784)
    return np.divide(images, np.float32(255.0), dtype=np.float32)


def run_onnx(path: Path | bytes, x: NDArray[np.float32]) -> list[NDArray[np.float32]]:
    source = str(path) if isinstance(path, Path) else path
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return list(session.run(None, {INPUT_NAME: x}))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> bool:
    text = err.strip()
    return text.startswith("digitnet: error: ") and "\n" not in text and ". " not in text


# ---------------------------------------------------------------------------------- ONNX
@pytest.mark.parametrize("name", list(NETWORKS))
def test_onnx_gives_digitnets_answers_on_the_test_images(
    name: str, tmp_path: Path, test_images: NDArray[np.float32]
) -> None:
    net = NETWORKS[name]()
    path = export(net, tmp_path / f"{name}.onnx")
    outputs, probabilities = run_onnx(path, test_images)
    expected = net.predict_proba(test_images)
    expected_probabilities = normalised_probabilities(expected)
    assert outputs.shape == probabilities.shape == (10_000, 10)
    assert outputs.dtype == probabilities.dtype == np.float32
    assert np.abs(outputs - expected).max() < TOLERANCE
    assert np.abs(probabilities - expected_probabilities).max() < TOLERANCE
    assert np.array_equal(outputs.argmax(axis=1), net.predict(test_images))
    assert np.array_equal(probabilities.argmax(axis=1), expected_probabilities.argmax(axis=1))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=TOLERANCE)
    if net.output_activation == "softmax":
        assert np.array_equal(outputs, probabilities)
    else:
        assert not np.allclose(outputs.sum(axis=1), 1.0, atol=1e-2)  # the two really differ


def test_onnx_graph_names_shapes_opset_and_metadata() -> None:
    net = Network.load("video")
    model = to_onnx(net)
    assert model.ir_version == 8 and OPSET == 17
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    assert [i.name for i in model.graph.input] == [INPUT_NAME]
    assert (
        [o.name for o in model.graph.output]
        == list(OUTPUT_NAMES)
        == [
            "outputs",
            "probabilities",
        ]
    )
    for value in [*model.graph.input, *model.graph.output]:
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        batch, width = value.type.tensor_type.shape.dim
        assert batch.dim_param == "N"  # any batch size
        assert width.dim_value == (784 if value.name == INPUT_NAME else 10)
    assert [n.op_type for n in model.graph.node] == [
        *["Gemm", "Sigmoid"] * 2,
        *["Gemm", "Softmax", "Identity"],
    ]
    props = {p.key: p.value for p in model.metadata_props}
    assert props["digitnet_version"] == __version__ and props["sizes"] == "784,16,16,10"
    assert props["hidden_activation"] == "sigmoid" and props["output_activation"] == "softmax"
    assert props["parameters"] == "13002"
    assert float(props["test_accuracy"]) == net.metadata["test_accuracy"]
    assert model.producer_name == "digitnet" and "784-16-16-10" in model.doc_string
    for n in (1, 3):  # the batch dimension is dynamic
        outputs, _ = run_onnx(model.SerializeToString(), np.zeros((n, 784), np.float32))
        assert outputs.shape == (n, 10)


def test_onnx_leaky_relu_keeps_digitnets_slope() -> None:
    model = to_onnx(NETWORKS["leaky_relu"]())
    (leaky,) = [n for n in model.graph.node if n.op_type == "LeakyRelu"]
    assert onnx.helper.get_attribute_value(leaky.attribute[0]) == pytest.approx(0.01)
    assert {p.key: p.value for p in model.metadata_props}["leaky_slope"] == "0.01"


@pytest.mark.parametrize(
    ("hidden", "output"),
    [
        ("sigmoid", "softmax"),
        ("sigmoid", "sigmoid"),
        ("tanh", "softmax"),
        ("leaky_relu", "sigmoid"),
    ],
)
def test_onnx_is_stable_for_huge_weighted_sums(hidden: str, output: str) -> None:
    net = Network([784, 16, 10], hidden, output, seed=0)
    net.weights = [w * np.float32(1000.0) for w in net.weights]  # sums in the thousands
    x = np.random.default_rng(0).random((100, 784), dtype=np.float32)
    outputs, probabilities = run_onnx(to_onnx(net).SerializeToString(), x)
    assert np.isfinite(outputs).all() and np.isfinite(probabilities).all()
    assert np.abs(outputs - net.predict_proba(x)).max() < TOLERANCE
    expected = normalised_probabilities(net.predict_proba(x))
    assert np.abs(probabilities - expected).max() < TOLERANCE


def test_onnx_probabilities_are_uniform_when_every_sigmoid_output_is_zero() -> None:
    net = Network([784, 8, 10], "relu", "sigmoid", seed=0)
    net.weights[-1][:] = 0.0
    net.biases[-1][:] = -1000.0  # every output neuron off: digitnet calls that uniform
    x = np.ones((2, 784), np.float32)
    outputs, probabilities = run_onnx(to_onnx(net).SerializeToString(), x)
    assert np.abs(outputs).max() < 1e-6
    assert np.allclose(probabilities, 0.1) and np.allclose(normalised_probabilities(outputs), 0.1)


def test_onnx_without_the_onnx_package_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(DigitnetError, match=r"pip install 'digitnet\[export\]'") as info:
        export(NETWORKS["tanh"](), tmp_path / "m.onnx")
    assert str(info.value) == ONNX_MISSING
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- NumPy
@pytest.mark.parametrize("name", ["video", "leaky_relu"])
def test_npz_reads_back_without_pickle_into_the_same_network(name: str, tmp_path: Path) -> None:
    net = NETWORKS[name]()
    path = export(net, tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    assert all(a.dtype != object for a in arrays.values())
    assert set(arrays) == set(npz_arrays(net))
    copy = Network(
        [int(s) for s in arrays["sizes"]],
        str(arrays["hidden_activation"]),
        str(arrays["output_activation"]),
        seed=None,
    )
    layers = len(copy.sizes) - 1
    copy.weights = [arrays[f"weights_{i}"] for i in range(layers)]
    copy.biases = [arrays[f"biases_{i}"] for i in range(layers)]
    assert copy.sizes == net.sizes
    for mine, theirs in zip(copy.weights + copy.biases, net.weights + net.biases, strict=True):
        assert mine.dtype == theirs.dtype == np.float32 and mine.shape == theirs.shape
        assert mine.tobytes() == theirs.tobytes()
    assert float(arrays["leaky_slope"]) == 0.01
    assert str(arrays["digitnet_version"]) == __version__
    assert ("test_accuracy" in arrays) == (name == "video")


# ---------------------------------------------------------------------------------- PyTorch
def test_torch_layout_and_keys_are_documented_without_torch() -> None:
    net = Network.load("video")
    assert torch_layout(net) == [
        "Linear(784, 16)",
        "Sigmoid()",
        "Linear(16, 16)",
        "Sigmoid()",
        "Linear(16, 10)",
        "Softmax(dim=1)",
    ]
    assert torch_keys(net) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    leaky = torch_layout(NETWORKS["leaky_relu"]())
    assert leaky == [
        "Linear(784, 12)",
        "LeakyReLU(negative_slope=0.01)",
        "Linear(12, 10)",
        "Sigmoid()",
    ]


def test_torch_missing_says_the_one_sentence_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(DigitnetError) as info:
        export(NETWORKS["tanh"](), tmp_path / "m.pt")
    assert str(info.value) == TORCH_MISSING
    assert "pip install torch==2.13.0" in TORCH_MISSING
    code, _, err = run_cli(capsys, "export", "video", "-o", str(tmp_path / "m.pt"))
    assert code == 2 and one_sentence(err) and "pip install torch==2.13.0" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", list(NETWORKS))
def test_torch_state_dict_gives_digitnets_outputs(
    name: str, tmp_path: Path, test_images: NDArray[np.float32]
) -> None:
    torch = pytest.importorskip(
        "torch", reason="torch is not installed (pip install torch==2.13.0)"
    )
    from digitnet.export import torch_sequential

    net = NETWORKS[name]()
    path = export(net, tmp_path / "m.pt")
    state = torch.load(path, weights_only=True)
    assert list(state) == torch_keys(net)
    model = torch_sequential(Network(net.sizes, net.hidden_activation, net.output_activation))
    model.load_state_dict(state)
    layout = [
        f"Linear({m.in_features}, {m.out_features})" if isinstance(m, torch.nn.Linear) else str(m)
        for m in model
    ]
    assert layout == torch_layout(net)
    with torch.no_grad():
        outputs = model(torch.from_numpy(test_images)).numpy()
    assert np.abs(outputs - net.predict_proba(test_images)).max() < TORCH_TOLERANCE
    assert np.array_equal(outputs.argmax(axis=1), net.predict(test_images))


# ---------------------------------------------------------------------------------- the command
def test_cli_exports_onnx_and_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "export", "video", "-o", str(tmp_path / "video.onnx"))
    assert code == 0
    assert f"wrote {tmp_path / 'video.onnx'} (ONNX opset {OPSET}, 784-16-16-10)" in out
    assert "images (N, 784) float32" in out and "outputs (N, 10)" in out
    assert "probabilities (N, 10)" in out
    outputs, _ = run_onnx(tmp_path / "video.onnx", np.zeros((1, 784), np.float32))
    assert outputs.shape == (1, 10)
    code, out, _ = run_cli(capsys, "export", "--model", "video", "-o", str(tmp_path / "v.npz"))
    assert code == 0 and "weights_0, biases_0" in out and "allow_pickle=False" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.npz", "video.onnx"]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("model.txt", "give a file name ending in .onnx (ONNX), .pt (PyTorch) or .npz"),
        ("model", "not no extension"),
        ("missing/model.onnx", "does not exist"),
        (".", "is a folder; give a file name such as"),
    ],
)
def test_cli_refuses_a_bad_output_in_one_sentence(
    target: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "export", "video", "-o", str(tmp_path / target))
    assert code == 2 and out == "" and one_sentence(err) and words in err
    assert list(tmp_path.iterdir()) == []


def test_cli_needs_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["export", "video"])
    assert info.value.code == 2 and "-o/--output" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- atomic
def test_a_failed_write_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_savez(file: object, **arrays: object) -> None:
        assert hasattr(file, "write")
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("No space left on device")

    def half_write_bytes(self: Path, data: bytes) -> int:
        with self.open("wb") as f:
            f.write(data[:100])
        raise OSError("No space left on device")

    net = NETWORKS["tanh"]()
    old = tmp_path / "old.npz"
    old.write_bytes(b"the file from before")
    monkeypatch.setattr(np, "savez", half_savez)
    for path in (tmp_path / "new.npz", old):
        with pytest.raises(OSError, match="No space left"):
            export(net, path)
    monkeypatch.setattr(Path, "write_bytes", half_write_bytes)
    with pytest.raises(OSError, match="No space left"):
        export(net, tmp_path / "new.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["old.npz"]  # no temporary files either
    assert old.read_bytes() == b"the file from before"
