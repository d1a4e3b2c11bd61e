"""Inputs ``benchmarks/fuzz.py`` found (or that stand for what it found) that once raised
something other than the documented errors; each is refused cleanly now, in one sentence."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from digitnet import modelfile, network
from digitnet.errors import DataError, ImageError, ModelFileError
from digitnet.idx import read_idx
from digitnet.network import load_network
from digitnet.preprocess import prepare

DEEP = "[" * 100_000 + "]" * 100_000
TENSORS = {"weights.0": np.zeros((3, 4), np.float32), "biases.0": np.zeros(3, np.float32)}
NETWORK = {"sizes": [4, 3], "hidden_activation": "sigmoid", "output_activation": "sigmoid"}


def model_file(path: Path, network: dict[str, object] | str | None = None, **meta: str) -> Path:
    """A 4-3 model file whose metadata has ``meta`` over the usual."""
    description = network if isinstance(network, str) else json.dumps(network or NETWORK)
    header = {"format": "digitnet-model", "format_version": "1", "network": description}
    save_file(TENSORS, str(path), metadata={**header, **meta})
    return path


def summary_json(path: Path) -> str:
    """What ``digitnet info --json`` prints and the page sends: strict JSON."""
    return json.dumps(load_network(path).summary(), allow_nan=False)


# ---------------------------------------------------------------------- model files
@pytest.mark.parametrize(
    "network, words",
    [
        ({**NETWORK, "init": "softmax"}, "unknown initialisation 'softmax'"),  # was ValueError
        ({**NETWORK, "init": {}}, "unknown initialisation"),
        ({**NETWORK, "sizes": [1e400, 3]}, "not whole numbers"),  # was OverflowError
        ({**NETWORK, "sizes": [4.5, 3]}, "not whole numbers"),  # was read as 4
        ({**NETWORK, "sizes": [0] * 5000}, r"sizes \[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \.\.\.\]$"),
        ({**NETWORK, "seed": "x"}, "seed that is not a whole number"),
        (DEEP, "no valid network description"),  # was RecursionError
        ('{"sizes": [4, 3], "hidden_activation": NaN, "output_activation": "relu"}', "unknown"),
    ],
    ids=["init", "init-dict", "huge-size", "fraction", "many-sizes", "seed", "deep", "nan"],
)
def test_bad_network_descriptions(tmp_path: Path, network: object, words: str) -> None:
    path = model_file(tmp_path / "m.safetensors", network)  # type: ignore[arg-type]
    with pytest.raises(ModelFileError, match=words) as error:
        load_network(path)
    assert "\n" not in str(error.value) and len(str(error.value)) < 300


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("history", "5", "'history' that is not a list of epochs"),  # summary() raised TypeError
        ("history", "[1, 2]", "'history' that is not a list of epochs"),
        ("history", DEEP, "'history' that is not a list of epochs"),  # was RecursionError
        ("training", "[]", "'training' that is not a training recipe"),
        ("test_accuracy", '"high"', "'test_accuracy' that is not a number"),
        ("digitnet_version", "0.1", "'digitnet_version' that is not a version"),
        ("dataset", "{}", "'dataset' that is not a name"),
        ("format_version", "\u00b2", "format version '\u00b2'"),  # isdigit(), yet int() failed
        ("format_version", "1" * 5000, "format version '11111111111111111111'"),  # ValueError
    ],
    ids=[
        "history",
        "history-numbers",
        "history-deep",
        "training",
        "accuracy",
        "version",
        "dataset",
        "format-superscript",
        "format-5000-digits",
    ],  # fmt: skip
)
def test_bad_metadata(tmp_path: Path, key: str, value: str, words: str) -> None:
    path = model_file(tmp_path / "m.safetensors", **{key: value})
    with pytest.raises(ModelFileError, match=words):
        load_network(path)


def test_unknown_metadata_nested_deep_is_kept_as_text(tmp_path: Path) -> None:
    net = load_network(model_file(tmp_path / "m.safetensors", notes=DEEP))  # RecursionError once
    assert net.metadata["notes"] == DEEP


def test_nan_and_infinity_in_metadata_read_as_null(tmp_path: Path) -> None:
    """A diverged loss is still a model; NaN made the summary invalid JSON (a 500 on the
    page's model list)."""
    history = '[{"epoch": 1, "loss": Infinity}, {"epoch": 2, "loss": 1e400}]'
    path = model_file(tmp_path / "m.safetensors", test_accuracy="NaN", history=history)
    net = load_network(path)
    assert net.metadata["test_accuracy"] is None
    assert [h["loss"] for h in net.metadata["history"]] == [None, None]
    assert json.loads(summary_json(path))["epochs_trained"] == 2


def test_the_model_file_knows_the_network_initialisations() -> None:
    assert modelfile.INITS == network.INITS


def test_valid_model_files_read_as_before(tmp_path: Path) -> None:
    path = model_file(tmp_path / "m.safetensors", {**NETWORK, "init": "he", "seed": 7})
    net = load_network(path)
    assert (net.sizes, net.init, net.seed) == ([4, 3], "he", 7)
    for name in modelfile.PRETRAINED:
        json.loads(summary_json(modelfile.pretrained_path(name)))


# ---------------------------------------------------------------------- IDX files
def idx_header(*dims: int) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_a_shape_no_array_can_have(tmp_path: Path, suffix: str) -> None:
    """fuzz idx:60306 (seed 0): a zero dimension next to huge ones made numpy's reshape fail."""
    content = idx_header(3796566016, 4294967295, 0)
    path = tmp_path / f"x-idx3-ubyte{suffix}"
    path.write_bytes(gzip.compress(content) if suffix else content)
    with pytest.raises(DataError, match=r"announces shape \(3796566016, 4294967295, 0\), too"):
        read_idx(path)


def test_a_huge_announced_size_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(2**32 - 1, 28, 28) + bytes(1000)))
    with pytest.raises(DataError, match="too large to read"):
        read_idx(path)


def test_a_gzip_bomb_is_refused_without_filling_the_memory(tmp_path: Path) -> None:
    """One label announced, then 64 MiB of zeros in 64 KiB: read only as far as the header
    says the data goes."""
    member = gzip.compress(bytes(1 << 20))
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(1) + b"\x07") + member * 64)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"unexpected bytes after the 1 bytes of data"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_gzipped_idx_files_read_as_before(tmp_path: Path) -> None:
    labels = bytes(range(10)) * 30
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(150) + labels[:150]) + gzip.compress(labels[150:]))
    with pytest.raises(DataError, match="unexpected bytes after the 150 bytes"):
        read_idx(path)  # a second gzip member with more data: still counted
    path.write_bytes(gzip.compress(idx_header(300) + labels[:100]) + gzip.compress(labels[100:]))
    assert read_idx(path).tolist() == list(labels)  # members join, as gzip.decompress joins


# ---------------------------------------------------------------------- pictures
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_floating_point_tiff_with_nan_or_infinity(value: float) -> None:
    """One NaN in a float TIFF made every grey level NaN: "too little ink", a wrong reason."""
    from PIL import Image

    pixels = np.zeros((40, 40), np.float32)
    pixels[10:30, 18:22] = 1.0
    pixels[5, 5] = value
    data = io.BytesIO()
    Image.fromarray(pixels, "F").save(data, "TIFF")
    with pytest.raises(ImageError, match="^the image data contains NaN or infinite values.$"):
        prepare(data.getvalue())
    pixels[5, 5] = 0.0
    Image.fromarray(pixels, "F").save(data := io.BytesIO(), "TIFF")
    assert prepare(data.getvalue()).found  # the same picture without it is read
