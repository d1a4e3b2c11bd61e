"""Reading a whole number: a drawing of several digits, or a photo (a picture file).

``POST /api/read`` takes either grey pixels like ``POST /api/predict`` (the page's wide pad in
number mode) or ``image_b64``, a picture file (PNG, JPEG, ...; a phone photo) in base64. Both
go through :func:`digitnet.numbers.read_number`: the preprocessing steps of the whole picture,
then each digit's own steps and its pass through the network, in the same form as
``/api/predict``'s answer, so the page can show any one digit's diagram and neurons.

Large photos are decoded at a reduced size (JPEG's draft mode: 1/2, 1/4 or 1/8) and shrunk to
the working size; Pillow's decompression-bomb limit (see
:data:`digitnet.preprocess.MAX_PIXELS`) refuses pictures too large to decode safely, and the
body limit of the app bounds the file's size.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from digitnet.errors import ImageError
from digitnet.numbers import NumberDigit, read_number
from digitnet.preprocess import NUMBER_WORK_SIZE, open_image, picture_size
from digitnet.web.bodies import SHOWN_DEFAULT
from digitnet.web.errors import ApiError
from digitnet.web.models import ModelStore
from digitnet.web.payload import JsonAnswer, floats, png
from digitnet.web.routes.predict import (
    READERS,
    _from_b64,
    _from_list,
    _sides,
    analyse,
    reading,
)
from digitnet.web.state import Store

#: Sides of a drawing sent as pixels (the wide pad is three times as wide as high).
MIN_SIDE, MAX_WIDTH, MAX_HEIGHT = 8, 1536, 512
#: Picture files other than JPEG (which is decoded at a reduced size) are decoded whole: at
#: most this many pixels (a 48-megapixel photo; 200 MB as RGBA) within the body limit.
MAX_FILE_PIXELS = 50_000_000
#: Steps of each digit of its own (the picture's steps come once, in ``steps``).
OWN_STEPS = ("box", "fitted", "sharpened", "centered")

router = APIRouter()


class ReadBody(BaseModel):
    """A picture of a number: grey pixels (``width``, ``height`` and ``pixels_b64`` or
    ``pixels``, ink bright, like ``/api/predict``'s body) or a picture file (``image_b64``)."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = Field(None, description="the model to read with (default: the server's)")
    width: int | None = Field(None, description="pixels per row: 8 to 1536")
    height: int | None = Field(None, description="rows: 8 to 512")
    pixels: Annotated[list[float] | None, SkipValidation] = Field(
        None, description="width * height numbers from 0 to 255, row by row"
    )
    pixels_b64: str | None = Field(
        None, description="instead of pixels: base64 of width * height bytes, row by row"
    )
    image_b64: str | None = Field(
        None,
        description="instead of pixels: a picture file (PNG, JPEG, BMP, GIF, TIFF, WebP) in "
        "base64, or as a data: URL",
    )
    show: int = Field(SHOWN_DEFAULT, ge=1, le=64, description="hidden neurons drawn per layer")


def picture_file(text: str) -> bytes:
    """The bytes of ``image_b64`` (plain base64 or a ``data:...;base64,`` URL), or a 422."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "image_b64: is not valid base64") from None
    if not data:
        raise ApiError(422, "image_b64: the picture file is empty")
    return data


def check_file(data: bytes) -> tuple[int, int]:
    """The (width, height) of a picture file as people see it, from its header; a 422 for a
    file that is not a picture, or one too large to decode whole."""
    from PIL import Image

    size = picture_size(data)
    if size is None:
        open_image(data)  # raises the one sentence that says what is wrong with it
        raise ApiError(422, "the picture file cannot be read")
    with Image.open(io.BytesIO(data)) as im:
        kind = im.format
    if kind != "JPEG" and size[0] * size[1] > MAX_FILE_PIXELS:
        raise ApiError(
            422,
            f"the picture is too large to read ({size[0]}x{size[1]} pixels; the limit is "
            f"{MAX_FILE_PIXELS // 1_000_000} million pixels, or send a JPEG)",
        )
    return size


def picture(body: ReadBody) -> np.ndarray | bytes:
    """The picture the body holds: a file's bytes, or the pixels as a (height, width) uint8
    array; a 422 ApiError for a body that holds none, or two."""
    given = [body.image_b64 is not None, body.pixels is not None or body.pixels_b64 is not None]
    if all(given):
        raise ApiError(422, "send either a picture file (image_b64) or pixels, not both")
    if body.image_b64 is not None:
        return picture_file(body.image_b64)
    if not any(given):
        raise ApiError(422, "send a picture: image_b64, or width, height and pixels_b64")
    w, h = body.width, body.height
    if w is None or h is None:
        raise ApiError(422, "pixels need their width and height")
    if not (MIN_SIDE <= w <= MAX_WIDTH and MIN_SIDE <= h <= MAX_HEIGHT):
        raise ApiError(
            422,
            f"the image must be {MIN_SIDE} to {MAX_WIDTH} pixels wide and {MIN_SIDE} to "
            f"{MAX_HEIGHT} high, got {_sides(w, h)}",
        )
    if body.pixels is not None and body.pixels_b64 is not None:
        raise ApiError(422, "send the pixels once: as pixels or as pixels_b64, not both")
    if body.pixels_b64 is not None:
        return _from_b64(body.pixels_b64, w, h).reshape(h, w)
    return _from_list(body.pixels, w, h).reshape(h, w)


def steps_of(steps: list[Any]) -> list[dict[str, str]]:
    """Step pictures as the page shows them."""
    return [
        {"name": s.name, "title": s.title, "note": str(s.note or ""), "png": png(s.image)}
        for s in steps
    ]


def digit_answer(net: Any, digit: NumberDigit, show: int) -> dict[str, Any]:
    """One digit of the number, in the form of ``/api/predict``'s answer (its own steps in
    ``steps``), with its ``box`` in the picture's pixels."""
    prediction = digit.prediction
    prepared = prediction.prepared
    x = np.asarray(prepared.pixels, dtype=np.float32).reshape(-1)
    inside = analyse(net, x, show)
    return {
        "digit": prediction.digit,
        "found": bool(prepared.found),
        "message": prediction.message,
        "confident": bool(prediction.confident),
        "probability": round(float(prediction.probability), 6),
        "box": list(digit.box),
        "line": digit.line,
        "steps": steps_of([s for s in prepared.steps if s.name in OWN_STEPS]),
        "probabilities": floats(prediction.probabilities),
        **reading(prediction),
        "outputs": floats(inside["outputs"]),
        "input": floats(x, 3),
        "layers": inside["layers"],
        "edges": inside["edges"],
    }


def read(store: ModelStore, body: ReadBody) -> dict[str, Any]:
    """The answer to ``POST /api/read``."""
    name = body.model or store.default
    net = store.get(name)
    if net.sizes[0] != 784:
        raise ApiError(422, f"model {name!r} does not take 28x28 images")
    source = picture(body)
    try:
        if isinstance(source, bytes):  # checked, then decoded small, before anything else
            size = check_file(source)
            source_image: Any = open_image(source, max_side=NUMBER_WORK_SIZE)
        else:
            source_image, size = source, (source.shape[1], source.shape[0])
        reading = read_number(source_image, net)
    except ImageError as exc:
        raise ApiError(422, str(exc).replace("the image data", "the picture file")) from None
    scale = size[0] / reading.size[0] if reading.size[0] else 1.0
    digits = [digit_answer(net, d, body.show) for d in reading.digits]
    if abs(scale - 1.0) > 1e-9:  # JPEG's draft decoding read the file smaller: its boxes
        for d in digits:
            d["box"] = [round(v * scale) for v in d["box"]]
    return {
        "model": name,
        "number": reading.number if reading.found else None,
        "found": reading.found,
        "message": reading.message,
        "width": size[0],
        "height": size[1],
        "steps": steps_of(reading.steps),
        "digits": digits,
    }


@router.post("/api/read", response_model=None, response_description="The number read")
async def read_endpoint(body: ReadBody, store: Store) -> JsonAnswer:
    """Read a whole number: every digit's answer, box, input and activations."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(READERS, lambda: JsonAnswer(read(store, body)))
