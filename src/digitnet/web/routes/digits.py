"""*Your digits*: the drawings a person corrected, kept beside the saved models.

``POST /api/digits`` keeps a drawing with the digit it really is, ``GET /api/digits`` lists
them with the current model's answer for each, ``DELETE /api/digits/{id}`` forgets one,
``GET /api/digits/export.zip`` and ``GET /api/digits/export-idx.zip`` take them away (PNG
files; IDX files in MNIST's layout) and ``POST /api/digits/import`` brings pictures back
(``7_name.png``, ``7/name.png`` in a zip, or such a zip itself). The store is
:class:`digitnet.teach.store.DigitStore` in ``<models folder>/digits``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from digitnet.errors import DigitnetError
from digitnet.prediction import predict_image, predict_pixels
from digitnet.preprocess import to_grey
from digitnet.slant import inputs_for
from digitnet.teach.archive import idx_zip, png_zip, read_zip
from digitnet.teach.folder import label_of_name, prepare_digit
from digitnet.teach.store import MAX_SIDE, DigitStore, check_id
from digitnet.web.bodies import PredictBody
from digitnet.web.errors import ApiError
from digitnet.web.models import INSUFFICIENT_STORAGE, ModelStore
from digitnet.web.payload import png
from digitnet.web.routes.predict import _image, _network
from digitnet.web.state import Store


class DigitId(Convertor[str]):
    """A path part that is a digit's id (12 hex digits): ``/api/digits/export.zip`` and
    ``/api/digits/import`` are not ids, so only their own methods are allowed there."""

    regex = "[0-9a-f]{12}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("digit_id", DigitId())
router = APIRouter()
#: The most pictures one import may bring.
MAX_IMPORT = 500


async def get_digits(request: Request) -> DigitStore:
    """The app's store of your digits, in ``<models folder>/digits`` (made on first use)."""
    state = request.app.state
    digits: DigitStore | None = getattr(state, "digits", None)
    if digits is None:
        store: ModelStore = state.store
        digits = DigitStore(store.models_dir / "digits")
        state.digits = digits
    return digits


Digits = Annotated[DigitStore, Depends(get_digits)]


def refused(exc: DigitnetError, status: int = 422) -> ApiError:
    """A DigitnetError as an ApiError: a file that cannot be written is a 507."""
    message = str(exc)
    if message.startswith(("cannot write", "cannot create")):
        return ApiError(INSUFFICIENT_STORAGE, message)
    return ApiError(status, message)


class DigitBody(PredictBody):
    """A drawing (as ``POST /api/predict`` takes it) and the digit it really is."""

    model_config = ConfigDict(extra="forbid")
    label: int = Field(ge=0, le=9, description="the digit the picture shows, 0 to 9")


class UploadedFile(BaseModel):
    """One uploaded file: its name (``7_mine.png``) and its bytes in base64."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    data_b64: str


class ImportBody(BaseModel):
    """Pictures to add to your digits: images named ``<digit>_<anything>``, or zips of them."""

    model_config = ConfigDict(extra="forbid")
    files: list[UploadedFile] = Field(min_length=1, max_length=MAX_IMPORT)


def add_digit(store: ModelStore, digits: DigitStore, body: DigitBody) -> dict[str, Any]:
    name, net = _network(store, body)
    image = _image(body)
    prediction = predict_image(net, image) if body.preprocess else predict_pixels(net, image)
    if not prediction.prepared.found:
        raise ApiError(422, f"no digit found: {prediction.prepared.reason}")
    try:
        # kept in MNIST's own format (not deslanted), like the digits of `digitnet train --data-dir`
        mnist_style = prediction.prepared.mnist_style
        entry = digits.add(image, mnist_style, body.label, name, prediction.digit)
    except DigitnetError as exc:
        raise refused(exc) from None
    return {**digits.describe(entry), "count": len(digits.entries())}


@router.post("/api/digits")
async def add_endpoint(body: DigitBody, store: Store, digits: Digits) -> dict[str, Any]:
    """Keep a drawing among your digits, with the digit it really is and the model's answer."""
    return await run_in_threadpool(add_digit, store, digits, body)


def list_digits(store: ModelStore, digits: DigitStore, model: str | None) -> dict[str, Any]:
    name = model or store.default
    net = store.get(name)
    try:
        entries = digits.entries()
        images, labels = digits.dataset(entries)
    except DigitnetError as exc:
        raise refused(exc) from None
    answers = np.zeros(0, np.int64)
    if len(entries):  # read as the network learnt them (deslanted, if it says so)
        answers = net.predict(inputs_for(net.metadata, images.reshape(len(images), -1)))
    items = [
        {
            **digits.describe(entry),
            "now": int(answer),
            "right": bool(answer == entry.label),
            "prepared": png(image.astype(np.float32) / 255.0),
        }
        for entry, image, answer in zip(entries, images, answers, strict=True)
    ]
    right = int(np.sum(answers == labels)) if len(entries) else 0
    return {"model": name, "count": len(items), "right": right, "digits": items}


@router.get("/api/digits")
async def list_endpoint(
    store: Store, digits: Digits, model: Annotated[str | None, Query(max_length=200)] = None
) -> dict[str, Any]:
    """Your digits, each with the picture the network sees and the model's answer now."""
    return await run_in_threadpool(list_digits, store, digits, model)


@router.delete("/api/digits/{digit_id:digit_id}")
async def delete_endpoint(digit_id: str, digits: Digits) -> dict[str, Any]:
    """Forget one of your digits."""
    try:
        check_id(digit_id)
    except DigitnetError as exc:
        raise ApiError(404, str(exc)) from None
    try:
        entry = await run_in_threadpool(digits.delete, digit_id)
    except DigitnetError as exc:
        raise refused(exc, 404) from None
    return {"deleted": entry.id, "count": len(digits.entries())}


def _zip_answer(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/api/digits/export.zip", response_class=Response)
async def export_png(digits: Digits) -> Response:
    """Your digits' pictures as a zip of ``<digit>_<id>.png`` files (``digitnet teach`` reads
    the unpacked folder; the page imports the zip)."""
    try:
        data = await run_in_threadpool(png_zip, digits)
    except DigitnetError as exc:
        raise refused(exc) from None
    return _zip_answer(data, "your-digits.zip")


@router.get("/api/digits/export-idx.zip", response_class=Response)
async def export_idx(digits: Digits) -> Response:
    """Your digits as MNIST's four IDX files (``digitnet train --data-dir`` reads them)."""
    try:
        data = await run_in_threadpool(idx_zip, digits)
    except DigitnetError as exc:
        raise refused(exc) from None
    return _zip_answer(data, "your-digits-idx.zip")


def _decode(file: UploadedFile) -> bytes:
    try:
        return base64.b64decode(file.data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"{file.name}: data_b64 is not valid base64") from None


def import_files(digits: DigitStore, body: ImportBody) -> dict[str, Any]:
    pictures: list[tuple[str, bytes]] = []
    for file in body.files:
        data = _decode(file)
        if file.name.lower().endswith(".zip"):
            try:
                pictures.extend(read_zip(data, file.name))
            except DigitnetError as exc:
                raise ApiError(422, str(exc)) from None
        else:
            pictures.append((file.name.replace("\\", "/").split("/")[-1], data))
    if not pictures:
        raise ApiError(422, "there are no pictures to import")
    if len(pictures) > MAX_IMPORT:
        raise ApiError(422, f"{len(pictures)} pictures is too many; import at most {MAX_IMPORT}")
    ready = []
    try:  # every picture is checked before any is kept: a bad one leaves the store as it was
        for name, data in pictures:
            label = label_of_name(name)
            prepared = prepare_digit(data, name)  # names the file in its error
            ready.append((to_grey(data, max_side=MAX_SIDE), prepared, label))
    except DigitnetError as exc:
        raise ApiError(422, str(exc)) from None
    try:
        for original, prepared, label in ready:
            digits.add(original, prepared, label)
    except DigitnetError as exc:
        raise refused(exc) from None
    return {"imported": len(ready), "count": len(digits.entries())}


@router.post("/api/digits/import")
async def import_endpoint(body: ImportBody, digits: Digits) -> dict[str, Any]:
    """Add pictures to your digits: images named ``7_mine.png``, or zips of them (also with
    folders ``0`` to ``9``), as the page's export makes."""
    return await run_in_threadpool(import_files, digits, body)
