"""Reading MNIST: the bundled copy, IDX files good and broken, other datasets in MNIST's layout."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from digitnet import data
from digitnet.data import (
    FILES,
    MNIST_SHA256,
    Dataset,
    images_to_inputs,
    load_mnist,
    read_idx,
    split_validation,
)
from digitnet.errors import DataError, DigitnetError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: NDArray[np.uint8], type_code: int = 0x08) -> bytes:
    """An IDX file holding ``array``: magic, big-endian dimensions, then the bytes."""
    header = bytes([0, 0, type_code, array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + dims + array.astype(np.uint8).tobytes()


def write(path: Path, content: bytes) -> Path:
    """Writes ``content`` to ``path``, gzip-compressed if the name ends in .gz."""
    path.write_bytes(gzip.compress(content, mtime=0) if path.suffix == ".gz" else content)
    return path


def fake_dataset(
    folder: Path, n_train: int = 30, n_test: int = 10, seed: int = 0
) -> dict[str, bytes]:
    """Writes a small dataset in MNIST's layout (images gzipped, labels raw); returns contents."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        FILES[0]: idx_bytes(rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)),
        FILES[1]: idx_bytes(np.arange(n_train, dtype=np.uint8) % 10),
        FILES[2]: idx_bytes(rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)),
        FILES[3]: idx_bytes(np.arange(n_test, dtype=np.uint8)[::-1] % 10),
    }
    for name, content in contents.items():
        write(folder / (f"{name}.gz" if "images" in name else name), content)
    return contents


def sums_text(contents: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(c).hexdigest()}  {name}\n" for name, c in contents.items())


# --- The bundled MNIST -------------------------------------------------------------------


def test_bundled_mnist_has_the_published_shapes_and_label_counts() -> None:
    mnist = load_mnist()
    assert mnist.train.images.shape == (60_000, 28, 28)
    assert mnist.test.images.shape == (10_000, 28, 28)
    assert mnist.train.labels.shape == (60_000,)
    assert mnist.test.labels.shape == (10_000,)
    for dataset in (mnist.train, mnist.test):
        assert dataset.images.dtype == np.uint8
        assert dataset.labels.dtype == np.uint8
    assert np.bincount(mnist.train.labels).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.test.labels).tolist() == TEST_COUNTS
    assert mnist.train.label_counts().tolist() == TRAIN_COUNTS
    assert Path(mnist.source) == data._BUNDLED_DIR


def test_bundled_mnist_looks_like_white_digits_on_black() -> None:
    images = load_mnist().test.images
    assert images.min() == 0 and images.max() == 255
    corners = images[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert not corners.any()  # the background is black
    assert 0.1 < (images > 127).mean() < 0.2  # some 13% of pixels are ink


def test_bundled_mnist_is_loaded_once_per_process_and_read_only() -> None:
    first = load_mnist()
    second = load_mnist()
    assert second.train.images is first.train.images  # the same arrays: parsed once
    assert second is not first  # callers may replace fields without affecting each other
    with pytest.raises(ValueError, match="read-only"):
        first.train.images[0, 0, 0] = 1


def test_embedded_checksums_agree_with_the_bundled_sums_file() -> None:
    assert data._read_sums(data._BUNDLED_DIR / data.SUMS_FILE) == dict(MNIST_SHA256)


def test_bundled_mnist_with_a_bad_file_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "bundled"
    fake_dataset(bundled)
    monkeypatch.setattr(data, "_BUNDLED_DIR", bundled)
    with pytest.raises(DataError, match="SHA-256") as error:
        load_mnist()
    assert FILES[0] in str(error.value)
    assert len(load_mnist(verify=False).train) == 30


def test_without_bundled_files_the_cache_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = data._BUNDLED_DIR
    monkeypatch.setattr(data, "_BUNDLED_DIR", tmp_path / "not-installed")
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(DataError, match="neither bundled") as error:
        load_mnist(cache_dir=cache, download=False)
    assert str(cache) in str(error.value)
    for name in FILES:
        (cache / f"{name}.gz").symlink_to(real / f"{name}.gz")
    mnist = load_mnist(cache_dir=cache, download=False)
    assert mnist.source == str(cache)
    assert np.bincount(mnist.test.labels).tolist() == TEST_COUNTS


def test_default_cache_folder_follows_digitnet_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITNET_CACHE", "/somewhere/else")
    assert data.default_cache_dir() == Path("/somewhere/else/mnist")
    monkeypatch.delenv("DIGITNET_CACHE")
    assert data.default_cache_dir() == Path.home() / ".cache" / "digitnet" / "mnist"


# --- read_idx ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_reads_raw_and_gzipped_images(tmp_path: Path, name: str) -> None:
    images = np.random.default_rng(1).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    got = read_idx(write(tmp_path / name, idx_bytes(images)))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, images)


def test_read_idx_reads_labels_and_non_square_images(tmp_path: Path) -> None:
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "l", idx_bytes(labels))), labels)
    wide = np.arange(2 * 3 * 7, dtype=np.uint8).reshape(2, 3, 7)
    assert read_idx(write(tmp_path / "w.gz", idx_bytes(wide))).shape == (2, 3, 7)
    empty = np.zeros((0, 28, 28), dtype=np.uint8)
    assert read_idx(write(tmp_path / "e", idx_bytes(empty))).shape == (0, 28, 28)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.one_of(
        st.tuples(st.integers(0, 50)),
        st.tuples(st.integers(0, 4), st.integers(0, 9), st.integers(0, 9)),
    ),
    seed=st.integers(0, 2**32 - 1),
    compress=st.booleans(),
)
def test_read_idx_round_trips_any_shape(
    tmp_path_factory: pytest.TempPathFactory, shape: tuple[int, ...], seed: int, compress: bool
) -> None:
    array = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path_factory.mktemp("idx") / ("a.gz" if compress else "a")
    np.testing.assert_array_equal(read_idx(write(path, idx_bytes(array))), array)


GOOD = idx_bytes(np.ones((3, 28, 28), dtype=np.uint8))

BROKEN = {
    # name: (file name, content, words the message must contain)
    "wrong magic": ("x-idx3-ubyte", b"\x12\x34" + GOOD[2:], "0x12340803"),
    "png file": ("x-idx3-ubyte", b"\x89PNG\r\n\x1a\n" + bytes(100), "not an IDX file"),
    "wrong dtype byte": ("x-idx3-ubyte", GOOD[:2] + b"\x0d" + GOOD[3:], "0x0D (float)"),
    "2-d data": ("x-idx2-ubyte", bytes([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7]), "2-dim"),
    "truncated header": ("x-idx3-ubyte", GOOD[:10], "header needs 16 bytes"),
    "truncated data": ("x-idx3-ubyte", GOOD[:1000], "expected 2,352 bytes of data"),
    "truncated data, gz": ("x-idx3-ubyte.gz", GOOD[:-1], "got 2,351"),
    "trailing bytes": ("x-idx3-ubyte", GOOD + b"\x00\x00", "2 unexpected bytes"),
    "empty file": ("x-idx3-ubyte", b"", "is empty"),
    "empty gz content": ("x-idx3-ubyte.gz", b"", "is empty"),
    "tiny file": ("x-idx3-ubyte", b"\x00\x00", "not an IDX file"),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_read_idx_rejects_broken_files(tmp_path: Path, case: tuple[str, bytes, str]) -> None:
    name, content, words = case
    path = write(tmp_path / name, content)
    with pytest.raises(DataError) as error:
        read_idx(path)
    message = str(error.value)
    assert str(path) in message
    assert words in message


def test_read_idx_rejects_corrupt_gzip(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(GOOD + bytes(range(256)) * 40, mtime=0))
    for position in range(20, len(packed) - 8, 7):  # damage the compressed stream
        packed[position] ^= 0x55
    cases = {
        "corrupt.gz": bytes(packed),
        "cut.gz": gzip.compress(GOOD)[:-20],
        "not-gzip.gz": GOOD,
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DataError, match="gzip") as error:
            read_idx(path)
        assert str(path) in str(error.value)


def test_read_idx_rejects_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist") as error:
        read_idx(tmp_path / "nothing-here.gz")
    assert "nothing-here.gz" in str(error.value)
    with pytest.raises(DataError, match="is a folder") as error:
        read_idx(tmp_path)
    assert str(tmp_path) in str(error.value)


def test_data_errors_are_value_errors_and_one_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "t10k-images-idx3-ubyte", GOOD[:1000])
    with pytest.raises(ValueError) as error:
        read_idx(path)
    message = str(error.value)
    assert isinstance(error.value, DigitnetError)
    assert message.endswith(".") and "\n" not in message


# --- Dataset, split_validation, images_to_inputs ------------------------------------------


def small(n: int = 10) -> Dataset:
    images = np.arange(n * 784, dtype=np.int64).reshape(n, 28, 28).astype(np.uint8)
    return Dataset(images, np.arange(n, dtype=np.uint8) % 10)


def test_dataset_len_subset_and_take() -> None:
    ds = small(10)
    assert len(ds) == 10
    part = ds.subset(2, 5)
    assert len(part) == 3
    np.testing.assert_array_equal(part.labels, [2, 3, 4])
    np.testing.assert_array_equal(part.images, ds.images[2:5])
    picked = ds.take([7, 0, 7])
    np.testing.assert_array_equal(picked.labels, [7, 0, 7])
    np.testing.assert_array_equal(picked.images[1], ds.images[0])


def test_dataset_rejects_mismatched_arrays() -> None:
    with pytest.raises(DigitnetError, match="one label per image"):
        Dataset(np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8))
    with pytest.raises(DigitnetError, match="shape"):
        Dataset(np.zeros((3, 784), np.uint8), np.zeros(3, np.uint8))


def test_split_validation_takes_the_last_images_like_nielsen() -> None:
    train = load_mnist().train
    training, validation = split_validation(train)
    assert (len(training), len(validation)) == (50_000, 10_000)
    np.testing.assert_array_equal(validation.images, train.images[50_000:])
    np.testing.assert_array_equal(training.labels, train.labels[:50_000])


def test_split_validation_sizes_and_errors() -> None:
    ds = small(10)
    training, validation = split_validation(ds, 0)
    assert (len(training), len(validation)) == (10, 0)
    training, validation = split_validation(ds, 9)
    assert (len(training), len(validation)) == (1, 9)
    np.testing.assert_array_equal(validation.labels, np.arange(1, 10))
    with pytest.raises(DigitnetError, match="has only 10 examples"):
        split_validation(ds, 10)
    with pytest.raises(DigitnetError, match="has only 10 examples"):
        split_validation(ds, 10_000)
    with pytest.raises(DigitnetError, match="0 or more"):
        split_validation(ds, -1)
    with pytest.raises(TypeError):
        split_validation(ds, 2.5)  # type: ignore[arg-type]


def test_images_to_inputs_scales_to_0_1_float32() -> None:
    images = np.array([[[0, 255] + [128] * 26] * 28] * 2, dtype=np.uint8)
    x = images_to_inputs(images)
    assert x.shape == (2, 784) and x.dtype == np.float32
    assert x[0, 0] == 0.0 and x[0, 1] == 1.0
    assert x[1, 2] == pytest.approx(128 / 255)
    inputs = images_to_inputs(load_mnist().test.images[:100])
    assert 0.0 <= inputs.min() and inputs.max() <= 1.0
    with pytest.raises(DigitnetError, match="uint8"):
        images_to_inputs(images.astype(np.float32))
    with pytest.raises(DigitnetError, match=r"\(n, 28, 28\)"):
        images_to_inputs(images.reshape(2, 784))


# --- load_mnist(data_dir=...) ----------------------------------------------------------------


def test_load_mnist_reads_a_folder_in_mnist_layout(tmp_path: Path) -> None:
    contents = fake_dataset(tmp_path / "digits", n_train=30, n_test=10)
    mnist = load_mnist(tmp_path / "digits")
    assert mnist.train.images.shape == (30, 28, 28)
    assert mnist.test.images.shape == (10, 28, 28)
    assert mnist.source == str(tmp_path / "digits")
    np.testing.assert_array_equal(mnist.train.labels, np.arange(30) % 10)
    assert mnist.test.images.tobytes() == contents[FILES[2]][16:]
    # verify=None means no check for a folder of your own, even with no sums for it.
    assert len(load_mnist(str(tmp_path / "digits"), verify=None).test) == 10


def test_load_mnist_rejects_missing_folders_and_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist") as error:
        load_mnist(tmp_path / "absent")
    assert "absent" in str(error.value)
    fake_dataset(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte") as error:
        load_mnist(tmp_path / "d")
    assert str(tmp_path / "d") in str(error.value)
    with pytest.raises(DataError, match="not a folder"):
        load_mnist(tmp_path / "d" / "train-labels-idx1-ubyte")


def test_load_mnist_rejects_mismatched_counts(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    fake_dataset(folder, n_train=30)
    write(folder / "train-labels-idx1-ubyte", idx_bytes(np.zeros(29, np.uint8)))
    with pytest.raises(DataError, match="has 30 images but") as error:
        load_mnist(folder)
    assert "train-labels-idx1-ubyte" in str(error.value)
    assert "29 labels" in str(error.value)


def test_load_mnist_rejects_wrong_image_size_and_swapped_files(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    fake_dataset(folder)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    write(folder / "t10k-images-idx3-ubyte", idx_bytes(np.zeros((10, 32, 32), np.uint8)))
    with pytest.raises(DataError, match="32x32 images; expected 28x28"):
        load_mnist(folder)
    write(folder / "t10k-images-idx3-ubyte", idx_bytes(np.zeros(10, np.uint8)))
    with pytest.raises(DataError, match="holds labels"):
        load_mnist(folder)


def test_load_mnist_verify_checks_sha256(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    contents = fake_dataset(folder)
    # Without a sums file, verify=True compares with MNIST's checksums: this is not MNIST.
    with pytest.raises(DataError, match="SHA-256") as error:
        load_mnist(folder, verify=True)
    assert "train-images-idx3-ubyte" in str(error.value)
    # With the folder's own sums file, the right content passes ...
    (folder / data.SUMS_FILE).write_text(sums_text(contents))
    assert len(load_mnist(folder, verify=True).train) == 30
    # ... and changed content does not, even with the same length.
    changed = bytearray(contents[FILES[3]])
    changed[-1] ^= 1
    (folder / FILES[3]).write_bytes(bytes(changed))
    with pytest.raises(DataError, match="SHA-256") as error:
        load_mnist(folder, verify=True)
    assert FILES[3] in str(error.value)
    assert len(load_mnist(folder).test) == 10  # not verified by default


def test_load_mnist_notices_changed_files_despite_caching(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    fake_dataset(folder, n_train=30)
    assert len(load_mnist(folder).train) == 30
    fake_dataset(folder, n_train=40)
    assert len(load_mnist(folder).train) == 40


def test_load_mnist_reads_fashion_mnist() -> None:
    if not (FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (/usr/share/datasets)")
    fashion = load_mnist(FASHION_MNIST)
    assert fashion.train.images.shape == (60_000, 28, 28)
    assert fashion.test.images.shape == (10_000, 28, 28)
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images of each class.
    assert np.bincount(fashion.train.labels).tolist() == [6000] * 10
    assert np.bincount(fashion.test.labels).tolist() == [1000] * 10
    with pytest.raises(DataError, match="SHA-256"):
        load_mnist(FASHION_MNIST, verify=True)
