"""Model files: exact round trips, metadata, bad files, atomic saves, shipped networks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

import digitnet
from digitnet import ModelFileError, Network, load_network, load_pretrained, save_network
from digitnet.modelfile import FORMAT_VERSION


def _net() -> Network:
    net = Network([784, 16, 16, 10], "relu", "softmax", init="he", seed=3)
    net.metadata["history"] = [{"epoch": 1, "loss": 0.5}]
    net.metadata["training"] = {"optimizer": "adam", "learning_rate": 0.001}
    return net


def test_round_trip_is_bit_exact(tmp_path: Path) -> None:
    net = _net()
    path = net.save(tmp_path / "m.safetensors")
    loaded = load_network(path)
    assert loaded.sizes == net.sizes
    assert (loaded.hidden_activation, loaded.output_activation) == ("relu", "softmax")
    for a, b in zip(net.weights + net.biases, loaded.weights + loaded.biases, strict=True):
        assert a.dtype == b.dtype == np.float32 and np.array_equal(a, b)
    assert loaded.metadata["history"] == [{"epoch": 1, "loss": 0.5}]
    assert loaded.metadata["training"]["optimizer"] == "adam"
    assert loaded.metadata["digitnet_version"] == digitnet.__version__
    x = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    assert np.array_equal(net.predict_proba(x), loaded.predict_proba(x))
    # Saving the loaded network again gives the same tensors and metadata.
    again = load_network(loaded.save(tmp_path / "again.safetensors"))
    assert again.metadata == loaded.metadata


def test_the_file_is_plain_safetensors_with_readable_metadata(tmp_path: Path) -> None:
    path = _net().save(tmp_path / "m.safetensors")
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8 : 8 + header_len])
    meta = header["__metadata__"]
    assert meta["format"] == "digitnet-model" and meta["format_version"] == str(FORMAT_VERSION)
    assert json.loads(meta["network"])["sizes"] == [784, 16, 16, 10]
    assert header["weights.0"]["shape"] == [16, 784] and header["weights.0"]["dtype"] == "F32"


def _write(path: Path, tensors: dict[str, np.ndarray], **meta: str) -> Path:
    base = {
        "format": "digitnet-model",
        "format_version": "1",
        "network": json.dumps(
            {"sizes": [4, 3], "hidden_activation": "sigmoid", "output_activation": "sigmoid"}
        ),
    }
    save_file(tensors, str(path), metadata={**base, **meta})
    return path


GOOD = {"weights.0": np.zeros((3, 4), np.float32), "biases.0": np.zeros(3, np.float32)}


@pytest.mark.parametrize(
    "tensors, meta, message",
    [
        ({**GOOD, "weights.0": np.zeros((4, 3), np.float32)}, {}, r"weights.0 has shape \(4, 3\)"),
        ({**GOOD, "biases.0": np.zeros(3, np.float64)}, {}, "float64, expected float32"),
        ({**GOOD, "weights.0": np.full((3, 4), np.nan, np.float32)}, {}, "NaN or infinite"),
        ({"weights.0": GOOD["weights.0"]}, {}, "lacks the tensor biases.0"),
        ({**GOOD, "extra": np.zeros(1, np.float32)}, {}, "unexpected tensors: extra"),
        (GOOD, {"format_version": "9"}, "format version '9'.*upgrade digitnet"),
        (GOOD, {"format": "other"}, "not a digitnet model"),
        (GOOD, {"network": "{"}, "no valid network description"),
        (
            GOOD,
            {
                "network": json.dumps(
                    {
                        "sizes": [4, -3],
                        "hidden_activation": "sigmoid",
                        "output_activation": "sigmoid",
                    }
                )
            },
            "impossible layer sizes",
        ),
        (
            GOOD,
            {
                "network": json.dumps(
                    {"sizes": [4, 3], "hidden_activation": "sigmoid", "output_activation": "gelu"}
                )
            },
            "unknown activations",
        ),
    ],
)
def test_bad_model_files_say_what_is_wrong(
    tmp_path: Path, tensors: dict[str, np.ndarray], meta: dict[str, str], message: str
) -> None:
    path = _write(tmp_path / "bad.safetensors", tensors, **meta)
    with pytest.raises(ModelFileError, match=message):
        load_network(path)


def test_files_that_are_not_models(tmp_path: Path) -> None:
    (tmp_path / "text.safetensors").write_text("hello, I am not a model")
    with pytest.raises(ModelFileError, match="not a readable safetensors"):
        load_network(tmp_path / "text.safetensors")
    good = _net().save(tmp_path / "good.safetensors")
    (tmp_path / "cut.safetensors").write_bytes(good.read_bytes()[:5000])
    with pytest.raises(ModelFileError, match="cut.safetensors"):
        load_network(tmp_path / "cut.safetensors")
    with pytest.raises(ModelFileError, match="does not exist"):
        load_network(tmp_path / "missing.safetensors")
    with pytest.raises(ModelFileError, match="is a folder"):
        load_network(tmp_path)


def test_saving_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _net().save(tmp_path / "m.safetensors")
    before = path.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        Path(str(args[1])).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.numpy.save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        save_network(Network([784, 10]), path)
    assert path.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]  # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # permissions like any new file


def test_saving_into_a_missing_folder_or_onto_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        _net().save(tmp_path / "nope" / "m.safetensors")
    with pytest.raises(ModelFileError, match="is a folder"):
        _net().save(tmp_path)


@pytest.mark.parametrize("name", ["video", "wide"])
def test_shipped_networks_load(name: str) -> None:
    net = load_pretrained(name)
    assert net.sizes[0] == 784 and net.sizes[-1] == 10
    assert net.metadata["training"] and net.metadata["history"]
    if name == "video":
        assert net.sizes == [784, 16, 16, 10] and net.num_parameters == 13_002
    assert digitnet.load_pretrained(name).sizes == net.sizes
    assert Network.load(name).sizes == net.sizes


def test_unknown_pretrained_name() -> None:
    with pytest.raises(ModelFileError, match="video or wide"):
        load_pretrained("huge")


def test_a_model_file_records_the_versions_that_wrote_it(tmp_path: Path) -> None:
    import platform

    import numpy

    from digitnet.version import __version__

    net = Network([784, 10])
    net.metadata["numpy_version"] = "0.0"  # a stale value is replaced on saving
    loaded = load_network(net.save(tmp_path / "v.safetensors"))
    assert loaded.metadata["digitnet_version"] == __version__
    assert loaded.metadata["python_version"] == platform.python_version()
    assert loaded.metadata["numpy_version"] == numpy.__version__
    summary = loaded.summary()
    assert summary["numpy_version"] == numpy.__version__
    # NumPy's BLAS too: another BLAS (or CPU kernel) sums in another order
    blas = loaded.metadata["blas_version"]
    assert summary["blas_version"] == blas and blas.split()[0] in ("openblas", "mkl", "blis")
    assert any(ch.isdigit() for ch in blas)
