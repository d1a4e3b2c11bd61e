"""MNIST-style preprocessing: every image mode and file format, the single steps, invariances
(position, size, colours, pen width), refusing pictures without a digit, and bad files."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFilter, ImageOps, features

from digitnet import preprocess as pp
from digitnet import synthetic as sy
from digitnet.errors import DigitnetError, ImageError
from digitnet.network import Network
from digitnet.prediction import predict_image

# Derandomized: the same 25 examples every run, so that the suite is never flaky.
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def trained_net() -> Network:
    from digitnet import load_pretrained

    return load_pretrained("wide")


@pytest.fixture(scope="module")
def seven() -> Image.Image:
    """A black-on-white mouse-drawn 7 on a 300x300 canvas."""
    strokes = sy.jitter_strokes(sy.digit_strokes(7), np.random.default_rng(7))
    return sy.render_strokes(strokes, 300, (150, 150), 200, 0.09)


@pytest.fixture(scope="module")
def seven_pixels(seven: Image.Image) -> np.ndarray:
    return pp.prepare(seven).pixels


def strokes_of(digit: int, seed: int) -> list[sy.Stroke]:
    return sy.jitter_strokes(sy.digit_strokes(digit), np.random.default_rng(seed))


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two images."""
    return float(np.mean(np.abs(a - b)))


# ----------------------------------------------------------------------------------- modes
def in_mode(image: Image.Image, mode: str) -> Image.Image:
    """A black-on-white "L" picture converted to ``mode`` (for alpha modes: a black stroke
    whose opacity is the ink and a fully transparent, black, background)."""
    ink = 255 - np.asarray(image)
    if mode == "RGBA":
        rgba = np.zeros((*ink.shape, 4), np.uint8)
        rgba[..., 3] = ink
        return Image.fromarray(rgba, "RGBA")
    if mode == "LA":
        return Image.fromarray(np.stack([np.zeros_like(ink), ink], axis=-1), "LA")
    if mode == "I;16":
        values = np.asarray(image).astype("<u2") * 257
        return Image.frombytes("I;16", image.size, values.tobytes())
    if mode == "I;16B":
        values = np.asarray(image).astype(">u2") * 257
        return Image.frombytes("I;16B", image.size, values.tobytes())
    if mode in ("PA", "La"):
        return in_mode(image, "LA" if mode == "La" else "RGBA").convert(mode)
    if mode in ("HSV", "LAB"):
        return image.convert("RGB").convert(mode)
    if mode == "I":
        return Image.fromarray(np.asarray(image).astype(np.int32) * 200)
    if mode == "F":
        return Image.fromarray(np.asarray(image).astype(np.float32) / 255.0)
    return image.convert(mode)


MODES = [
    *("1", "L", "P", "RGB", "RGBA", "RGBX", "LA", "La", "PA"),
    *("I;16", "I;16B", "I", "F", "CMYK", "YCbCr", "HSV", "LAB"),
]


@pytest.mark.parametrize("mode", MODES)
def test_every_pil_mode_gives_the_same_input(
    mode: str, seven: Image.Image, seven_pixels: np.ndarray
) -> None:
    image = in_mode(seven, mode)
    assert image.mode == mode
    prepared = pp.prepare(image)
    assert prepared.found
    assert mad(prepared.pixels, seven_pixels) < 0.01


def test_palette_with_transparency_and_white_stroke_on_transparent(seven: Image.Image) -> None:
    ink = 255 - np.asarray(seven)
    white = np.zeros((*ink.shape, 4), np.uint8)
    white[..., :3] = 255
    white[..., 3] = ink  # a white stroke on a transparent (white) background
    prepared = pp.prepare(Image.fromarray(white, "RGBA"))
    assert prepared.found
    palette = seven.convert("P")
    palette.info["transparency"] = palette.getpixel((0, 0))  # the background is transparent
    assert pp.prepare(palette).found


def test_transparent_png_with_black_stroke(tmp_path: Path, seven_pixels: np.ndarray) -> None:
    strokes = strokes_of(7, 7)
    alpha = sy.render_strokes(strokes, 300, (150, 150), 200, 0.09, invert=True)
    black = Image.new("RGBA", alpha.size, (0, 0, 0, 0))
    black.putalpha(alpha)
    path = tmp_path / "stroke.png"
    black.save(path)
    # Without compositing the picture would be black everywhere.
    assert np.asarray(Image.open(path).convert("L")).max() == 0
    prepared = pp.prepare(path)
    assert prepared.found
    assert mad(prepared.pixels, seven_pixels) < 0.01


def test_sixteen_bit_grey_uses_the_full_range() -> None:
    values = np.full((40, 50), 60000, np.uint16)
    values[10:30, 20:24] = 1000
    grey = pp.to_grey(Image.frombytes("I;16", (50, 40), values.astype("<u2").tobytes()))
    assert grey.dtype == np.float32 and grey.shape == (40, 50)
    assert grey.max() == pytest.approx(60000 / 65535, abs=1e-4)
    assert grey.min() == pytest.approx(1000 / 65535, abs=1e-4)


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.full((5, 6), 255, np.uint8), 1.0),
        (np.full((5, 6), 0.25, np.float32), 0.25),
        (np.full((5, 6), 0.5, np.float64), 0.5),
        (np.full((5, 6, 3), (255, 0, 0), np.uint8), 0.299),
        (np.full((5, 6, 4), (0, 255, 0, 255), np.uint8), 0.587),
        (np.full((5, 6), 65535, np.uint16), 1.0),
        (np.ones((5, 6), np.bool_), 1.0),
    ],
)
def test_to_grey_accepts_arrays(array: np.ndarray, expected: float) -> None:
    grey = pp.to_grey(array)
    assert grey.dtype == np.float32 and grey.shape == (5, 6)
    assert grey == pytest.approx(np.full((5, 6), expected), abs=2e-3)


@pytest.mark.parametrize(
    "array",
    [np.zeros((2, 3, 5)), np.zeros((4,)), np.full((3, 3), np.nan), np.full((3, 3), -1.0)],
)
def test_to_grey_rejects_bad_arrays(array: np.ndarray) -> None:
    with pytest.raises(ImageError):
        pp.to_grey(array)


def test_prepare_accepts_arrays_like_pictures(seven: Image.Image, seven_pixels: np.ndarray) -> None:
    as_uint8 = np.asarray(seven)
    assert mad(pp.prepare(as_uint8).pixels, seven_pixels) < 0.01
    as_float = as_uint8.astype(np.float32) / 255.0
    assert mad(pp.prepare(as_float).pixels, seven_pixels) < 0.01
    as_rgb = np.repeat(as_uint8[:, :, None], 3, axis=2)
    assert mad(pp.prepare(as_rgb).pixels, seven_pixels) < 0.01


# ----------------------------------------------------------------------------------- formats
FORMATS = [
    ("PNG", "L", ".png"),
    ("PNG", "RGBA", ".png"),
    ("PNG", "I;16", ".png"),
    ("PNG", "P", ".png"),
    ("PNG", "1", ".png"),
    ("JPEG", "RGB", ".jpg"),
    ("JPEG", "CMYK", ".jpg"),
    ("BMP", "RGB", ".bmp"),
    ("GIF", "P", ".gif"),
    ("TIFF", "L", ".tif"),
    ("TIFF", "I;16", ".tif"),
    ("TIFF", "F", ".tif"),
    ("WEBP", "RGB", ".webp"),
    ("WEBP", "RGBA", ".webp"),
]


@pytest.mark.parametrize(("fmt", "mode", "suffix"), FORMATS)
def test_every_file_format(
    fmt: str,
    mode: str,
    suffix: str,
    tmp_path: Path,
    seven: Image.Image,
    seven_pixels: np.ndarray,
    trained_net: Network,
) -> None:
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("Pillow was built without WebP")
    path = tmp_path / f"seven{suffix}"
    in_mode(seven, mode).save(path, format=fmt)
    prediction = predict_image(trained_net, path)
    assert prediction.prepared.found
    # wide stands digits upright; the pixels before that are the picture prepared as MNIST's.
    assert prediction.prepared.deslanted
    assert mad(prediction.prepared.mnist_style, seven_pixels) < 0.02
    assert prediction.digit == 7
    # The same file as bytes and as an open binary file.
    assert mad(pp.prepare(path.read_bytes()).pixels, prediction.prepared.mnist_style) < 1e-6
    with path.open("rb") as handle:
        assert mad(pp.prepare(handle).pixels, prediction.prepared.mnist_style) < 1e-6


def test_exif_orientation_is_honoured(
    tmp_path: Path, seven: Image.Image, seven_pixels: np.ndarray
) -> None:
    stored = seven.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif.tobytes(), quality=95)
    assert mad(pp.prepare(path).pixels, seven_pixels) < 0.02
    plain = tmp_path / "plain.jpg"
    stored.save(plain, quality=95)
    assert mad(pp.prepare(plain).pixels, seven_pixels) > 0.05


def test_large_photo_is_read_quickly_enough(tmp_path: Path) -> None:
    photo = sy.photo_digit(4, np.random.default_rng(4)).resize((4000, 3000))
    path = tmp_path / "big.jpg"
    photo.save(path, quality=80)
    start = time.perf_counter()
    prepared = pp.prepare(path)
    assert time.perf_counter() - start < 2.0
    assert prepared.found
    assert max(prepared.step("grey").image.shape) <= pp.WORK_SIZE


# ----------------------------------------------------------------------------------- bad files
def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def bad_files(folder: Path, seven: Image.Image) -> dict[str, Path]:
    """A file of every kind that is not a usable picture, by what is wrong with it."""
    files = {
        "text": folder / "notes.png",
        "empty": folder / "empty.jpg",
        "truncated png": folder / "half.png",
        "truncated jpeg": folder / "half.jpg",
        "bomb": folder / "bomb.png",
        "directory": folder / "a-folder",
        "missing": folder / "missing.png",
    }
    files["text"].write_text("this is not a picture\n")
    files["empty"].write_bytes(b"")
    for key, fmt in (("truncated png", "PNG"), ("truncated jpeg", "JPEG")):
        buffer = io.BytesIO()
        seven.convert("RGB").save(buffer, format=fmt)
        files[key].write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    files["bomb"].write_bytes(bomb_png(30_000, 30_000))
    files["directory"].mkdir()
    return files


BAD_KINDS = ["text", "empty", "truncated png", "truncated jpeg", "bomb", "directory", "missing"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_files_raise_one_sentence_naming_the_file(
    kind: str, tmp_path: Path, seven: Image.Image
) -> None:
    path = bad_files(tmp_path, seven)[kind]
    with pytest.raises(ImageError) as info:
        pp.prepare(path)
    message = str(info.value)
    assert isinstance(info.value, DigitnetError)
    assert str(path) in message
    assert message.endswith(".") and "\n" not in message
    assert "Traceback" not in message


def test_bomb_check_does_not_depend_on_pillows_global_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(20_000, 5_000))  # 100 million pixels
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with pytest.raises(ImageError, match="too large"):
            pp.prepare(path)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def test_not_a_picture_object() -> None:
    with pytest.raises(ImageError):
        pp.prepare(12345)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- steps
def test_steps_are_displayable_pictures(seven: Image.Image) -> None:
    prepared = pp.prepare(seven.convert("RGB"))
    names = [s.name for s in prepared.steps]
    assert names == [
        "grey",
        "flat",
        "inverted",
        "cleaned",
        "box",
        "fitted",
        "sharpened",
        "centered",
    ]
    for step in prepared.steps:
        assert step.title and isinstance(step.note, str)
        assert step.image.dtype == np.float32 and step.image.ndim == 2
        assert 0.0 <= step.image.min() and step.image.max() <= 1.0
    assert prepared.pixels.shape == (28, 28) and prepared.pixels.dtype == np.float32
    assert prepared.step("centered").image is prepared.pixels
    assert max(prepared.step("fitted").image.shape) == pp.BOX_SIZE
    assert prepared.box is not None
    top, left, bottom, right = prepared.box
    assert 0 <= top < bottom and 0 <= left < right


def test_the_digit_is_centred_with_its_edges_sharpened() -> None:
    """A blurred digit (an enlarged low-resolution scan) comes out of scaling with soft edges;
    what is centred in 28x28 is the sharpened image, with less of its ink faint."""
    scan = np.zeros((8, 8), np.float32)
    scan[1:7, 2] = scan[1:7, 5] = scan[1, 2:6] = scan[6, 2:6] = 1.0  # a blocky 0
    big = Image.fromarray((255 * (1 - scan)).astype(np.uint8), "L").resize((96, 96))
    prepared = pp.prepare(big.filter(ImageFilter.GaussianBlur(3)))
    fitted, sharp = prepared.step("fitted").image, prepared.step("sharpened").image
    assert sharp.shape == fitted.shape
    assert pp.faint_share(sharp) < pp.faint_share(fitted) - 0.01
    assert "faint ink" in prepared.step("sharpened").note
    np.testing.assert_array_equal(sharp, pp.sharpen(fitted))
    assert prepared.pixels.sum() == pytest.approx(float(sharp.sum()), rel=1e-4)
    assert prepared.pixels.sum() != pytest.approx(float(fitted.sum()), rel=1e-3)


def test_sharpen_is_an_unsharp_mask_of_a_gaussian_blur() -> None:
    rng = np.random.default_rng(3)
    image = rng.random((11, 7)).astype(np.float32)
    # The blur against a plain two-dimensional sum over every pixel (outside is black).
    radius = 3
    taps = np.exp(-0.5 * np.arange(-radius, radius + 1) ** 2)
    kernel = np.outer(taps, taps) / taps.sum() ** 2
    padded = np.pad(image.astype(np.float64), radius)
    expected = np.zeros(image.shape)
    for r in range(image.shape[0]):
        for c in range(image.shape[1]):
            expected[r, c] = (padded[r : r + 7, c : c + 7] * kernel).sum()
    blurred = pp.gaussian_blur(image, 1.0)
    assert blurred.dtype == np.float32
    np.testing.assert_allclose(blurred, expected, atol=1e-6)
    sharp = pp.sharpen(image, 0.5)
    np.testing.assert_allclose(sharp, np.clip(image + 0.5 * (image - expected), 0, 1), atol=1e-6)
    assert pp.sharpen(image, 0.0) is image
    flat = np.full((9, 9), 0.4, np.float32)  # no edge inside: the middle stays as it is
    assert pp.sharpen(flat)[4, 4] == pytest.approx(0.4)


@given(height=st.integers(1, 24), width=st.integers(1, 24), seed=st.integers(0, 2**32 - 1))
@PROPERTY
def test_sharpen_keeps_shape_range_and_black(height: int, width: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    fitted = (rng.random((height, width)) * (rng.random((height, width)) < 0.6)).astype(np.float32)
    sharp = pp.sharpen(fitted)
    assert sharp.shape == fitted.shape and sharp.dtype == np.float32
    assert 0.0 <= sharp.min() and sharp.max() <= 1.0
    assert not sharp[fitted == 0].any()  # no ink where there was none


def test_mnist_faint_share_constant_matches_the_training_images() -> None:
    from digitnet.data import load_mnist

    images = load_mnist().train.images.astype(np.float32) / 255
    faint = np.where(images < 0.5, images, 0).sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert float(np.median(faint)) == pytest.approx(pp.MNIST_FAINT_SHARE, abs=0.0005)
    assert pp.faint_share(images[0]) == pytest.approx(float(faint[0]), rel=1e-5)
    assert pp.faint_share(np.zeros((4, 4), np.float32)) == 0.0


def test_mnist_centre_of_mass_constants_match_the_training_images() -> None:
    from digitnet.data import load_mnist

    images = load_mnist().train.images[:20_000].astype(np.float64)
    mass = images.sum(axis=(1, 2))
    rows = (images.sum(axis=2) @ np.arange(28)) / mass
    cols = (images.sum(axis=1) @ np.arange(28)) / mass
    assert rows.mean() == pytest.approx(pp.MNIST_CENTER_ROW, abs=0.01)
    assert cols.mean() == pytest.approx(pp.MNIST_CENTER_COL, abs=0.01)


@given(
    height=st.integers(3, 20),
    width=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
)
@PROPERTY
def test_center_by_mass_is_sub_pixel_exact(height: int, width: int, seed: int) -> None:
    fitted = np.random.default_rng(seed).random((height, width)).astype(np.float32)
    out = pp.center_by_mass(fitted)
    row, col = pp.center_of_mass(out)
    assert row == pytest.approx(pp.MNIST_CENTER_ROW, abs=1e-3)
    assert col == pytest.approx(pp.MNIST_CENTER_COL, abs=1e-3)
    assert out.sum() == pytest.approx(fitted.sum(), rel=1e-4)


def bfs_labels(mask: np.ndarray) -> np.ndarray:
    """Reference 8-connected labelling by breadth-first search."""
    labels = np.zeros(mask.shape, np.int32)
    current = 0
    for start in zip(*np.nonzero(mask), strict=True):
        if labels[start]:
            continue
        current += 1
        labels[start] = current
        queue = deque([start])
        while queue:
            r, c = queue.popleft()
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    inside = 0 <= rr < mask.shape[0] and 0 <= cc < mask.shape[1]
                    if inside and mask[rr, cc] and not labels[rr, cc]:
                        labels[rr, cc] = current
                        queue.append((rr, cc))
    return labels


@given(
    shape=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    density=st.floats(0.05, 0.7),
    seed=st.integers(0, 2**32 - 1),
)
@PROPERTY
def test_label_components_matches_breadth_first_search(
    shape: tuple[int, int], density: float, seed: int
) -> None:
    mask = np.random.default_rng(seed).random(shape) < density
    found = pp.label_components(mask)
    reference = bfs_labels(mask)
    assert len(found.sizes) == reference.max()
    # Same partition: a one-to-one correspondence between the labels.
    pairs = {(a, b) for a, b in zip(found.labels[mask], reference[mask], strict=True)}
    assert len(pairs) == len(found.sizes)
    assert sorted(found.sizes.tolist()) == sorted(np.bincount(reference[mask]).tolist()[1:])
    for label, (top, left, bottom, right) in enumerate(found.boxes, start=1):
        rows, cols = np.nonzero(found.labels == label)
        assert (top, left, bottom, right) == (
            rows.min(),
            cols.min(),
            rows.max() + 1,
            cols.max() + 1,
        )


def test_uneven_lighting_is_flattened() -> None:
    """Dark ink on paper lit from one corner: after flattening, the paper is even and the ink
    clearly darker than any paper, although the far paper is darker than the near ink."""
    size = 300
    y, x = np.mgrid[0:size, 0:size] / size
    light = 1.0 - 0.6 * (x + y) / 2.0
    ink = np.asarray(sy.render_strokes(strokes_of(2, 1), size, (150, 150), 200, 0.06, True))
    reflectance = 0.9 - 0.45 * ink / 255.0  # pencil: half as bright as the paper
    grey = (reflectance * light).astype(np.float32)
    on_ink = ink > 128
    assert grey[~on_ink].min() < grey[on_ink].max()  # a global threshold cannot work
    assert pp.background_is_light(grey)
    flat = pp.flatten_lighting(grey, light=True)
    paper = flat[~pp.dilate_mask(on_ink, 3)]
    assert np.percentile(paper, 1) > 0.9
    assert np.percentile(flat[on_ink], 99) < 0.6


def test_polarity_detection() -> None:
    dark_on_light = np.full((50, 50), 0.9, np.float32)
    dark_on_light[10:40, 20:24] = 0.1
    assert pp.background_is_light(dark_on_light)
    assert not pp.background_is_light(1.0 - dark_on_light)
    white = pp.to_white_on_black(dark_on_light)
    assert white[25, 22] > 0.8 and white[5, 5] < 0.2


def test_stroke_width_measures_a_bar() -> None:
    bar = np.zeros((100, 100), np.float32)
    bar[10:90, 40:46] = 1.0
    assert pp.stroke_width(bar) == pytest.approx(6.0, rel=0.15)
    diagonal = np.asarray(Image.fromarray(bar).rotate(45, Image.Resampling.BILINEAR))
    assert pp.stroke_width(diagonal) == pytest.approx(6.0, rel=0.15)


def test_thin_and_fat_strokes_are_brought_near_mnist() -> None:
    low, high = pp.STROKE_WIDTH_RANGE
    for pen, change in ((0.015, "thicken"), (0.13, None), (0.4, "thin")):
        image = sy.render_strokes(strokes_of(3, 3), 600, (300, 300), 400, pen, invert=True)
        crop = pp.crop_to_ink(np.asarray(image, np.float32) / 255.0)
        _, before, after = pp.adjust_thickness(crop)
        if change is None:
            assert low <= before <= high and after == before
        elif change == "thicken":
            assert before < low and after == pytest.approx(pp.MNIST_STROKE_WIDTH, rel=0.3)
        else:
            assert before > high and after == pytest.approx(pp.THIN_TARGET, rel=0.3)


# ----------------------------------------------------------------------------------- MNIST
def test_mnist_digits_go_through_nearly_unchanged() -> None:
    from digitnet.data import load_mnist

    images = load_mnist().test.images[:300]
    prepared = [pp.prepare(image) for image in images]
    assert all(p.found for p in prepared)
    diffs = [mad(p.pixels, image / 255.0) for p, image in zip(prepared, images, strict=True)]
    assert np.median(diffs) < 0.03
    assert np.max(diffs) < 0.25


# ----------------------------------------------------------------------------------- invariances
@given(
    digit=st.integers(0, 9),
    seed=st.integers(0, 10_000),
    canvas=st.integers(160, 900),
    fraction=st.floats(0.3, 0.85),
    where=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
@PROPERTY
def test_moving_and_scaling_changes_little(
    trained_net: Network,
    digit: int,
    seed: int,
    canvas: int,
    fraction: float,
    where: tuple[float, float],
) -> None:
    strokes = strokes_of(digit, seed)
    reference = predict_image(trained_net, sy.render_strokes(strokes, 400, (200, 200), 240, 0.09))
    height = canvas * fraction
    margin = 0.6 * height
    room = max(canvas - 2 * margin, 0.0)
    center = (margin + where[0] * room, margin + where[1] * room)
    moved = predict_image(trained_net, sy.render_strokes(strokes, canvas, center, height, 0.09))
    assert moved.prepared.found
    # MNIST's centring and scaling, before deslanting: the moments that stand a digit upright
    # amplify a pixel's difference (corr. 0.79 on deslanted pixels for wide, digit 0, seed
    # 4516, both read as 0 at 99.99%); the answers are compared below all the same.
    one, other = moved.prepared.mnist_style, reference.prepared.mnist_style
    assert mad(one, other) < 0.09
    assert np.corrcoef(one.ravel(), other.ravel())[0, 1] > 0.8
    assume(reference.digit == digit and reference.probability >= 0.9)
    assert moved.digit == reference.digit


@given(digit=st.integers(0, 9), seed=st.integers(0, 10_000), pen=st.floats(0.05, 0.13))
@PROPERTY
def test_pen_width_changes_little(trained_net: Network, digit: int, seed: int, pen: float) -> None:
    strokes = strokes_of(digit, seed)
    reference = predict_image(trained_net, sy.render_strokes(strokes, 400, (200, 200), 240, 0.09))
    other = predict_image(trained_net, sy.render_strokes(strokes, 400, (200, 200), 240, pen))
    assert mad(other.prepared.pixels, reference.prepared.pixels) < 0.1
    assume(reference.digit == digit and reference.probability >= 0.9)
    assert other.digit == reference.digit


@given(digit=st.integers(0, 9), seed=st.integers(0, 10_000), mode=st.sampled_from(["L", "RGB"]))
@PROPERTY
def test_inverting_colours_changes_nothing(digit: int, seed: int, mode: str) -> None:
    image = sy.render_strokes(strokes_of(digit, seed), 300, (150, 150), 200, 0.09).convert(mode)
    normal = pp.prepare(image).pixels
    inverted = pp.prepare(ImageOps.invert(image)).pixels
    assert mad(normal, inverted) < 0.01


# ----------------------------------------------------------------------------------- no digit
def scribble(seed: int, size: int = 400) -> Image.Image:
    """Random lines criss-crossing the middle of a canvas."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", (size, size), 255)
    points = [tuple(rng.uniform(0.15, 0.85, 2) * size) for _ in range(30)]
    ImageDraw.Draw(image).line(points, fill=0, width=int(rng.integers(4, 16)), joint="curve")
    return image


def blank_paper_photo(seed: int) -> Image.Image:
    """A photo of blank paper: uneven light, blur, noise, JPEG."""
    rng = np.random.default_rng(seed)
    light = sy.lighting((480, 360), rng) * rng.uniform(0.7, 0.95)
    rgb = light[:, :, None] * 255.0 + rng.normal(0.0, 4.0, (360, 480, 3))
    return sy.jpeg_round_trip(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), 60)


NOT_DIGITS = {
    "white": lambda seed: Image.new("L", (400, 400), 255),
    "black": lambda seed: Image.new("L", (400, 400), 0),
    "grey RGB": lambda seed: Image.new("RGB", (300, 200), (120, 130, 140)),
    "transparent": lambda seed: Image.new("RGBA", (300, 300), (0, 0, 0, 0)),
    "uniform noise": lambda seed: Image.fromarray(
        np.random.default_rng(seed).integers(0, 256, (300, 300), dtype=np.uint8)
    ),
    "gaussian noise": lambda seed: Image.fromarray(
        np.clip(128 + np.random.default_rng(seed).normal(0, 30, (300, 300)), 0, 255).astype(
            np.uint8
        )
    ),
    "scribble": scribble,
    "blank paper photo": blank_paper_photo,
    "blob": lambda seed: ImageOps.invert(
        sy.render_strokes([[(0.0, 0.0)]], 300, (150, 150), 200, 0.8, invert=True)
    ),
}


@pytest.mark.parametrize("kind", sorted(NOT_DIGITS))
def test_pictures_without_a_digit_get_no_confident_answer(kind: str, trained_net: Network) -> None:
    for seed in range(4):
        prediction = predict_image(trained_net, NOT_DIGITS[kind](seed))
        assert not prediction.confident, (kind, seed, prediction.message)
        if not prediction.prepared.found:
            assert prediction.digit is None
            assert prediction.prepared.reason
            assert prediction.message.startswith("no digit found")
            assert not prediction.prepared.pixels.any()


@pytest.mark.parametrize("kind", ["white", "uniform noise", "blank paper photo", "blob"])
def test_obvious_non_digits_are_refused_by_the_rules(kind: str) -> None:
    for seed in range(3):
        prepared = pp.prepare(NOT_DIGITS[kind](seed))
        assert not prepared.found and prepared.reason


def test_scribbles_are_mostly_refused_by_the_rules() -> None:
    refused = sum(not pp.prepare(scribble(seed)).found for seed in range(20))
    assert refused >= 15


# ----------------------------------------------------------------------------------- speed
def test_preparing_a_drawing_is_fast() -> None:
    drawing = sy.stroke_digit(8, np.random.default_rng(8), size=400).convert("RGBA")
    pp.prepare(drawing)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        pp.prepare(drawing)
        times.append(time.perf_counter() - start)
    # About 4 ms on an idle 2-core machine; generous because tests may run in parallel.
    limit = 0.05 if os.environ.get("CI") else 0.03
    assert min(times) < limit
