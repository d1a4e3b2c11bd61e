"""Learning from your digits, made visible.

``POST /api/lesson``: for a prepared digit and the digit it should be, the cost written out,
what each output wants, every hidden neuron's nudge and the first layer's weight gradients
(:func:`digitnet.teach.step.lesson`). ``POST /api/step``: exactly one gradient step on it
(:func:`digitnet.teach.step.one_step`), the outputs before and after; nothing is kept unless
``save_as`` names a new model. ``POST /api/teach``: fine-tune the model on your digits
(:func:`digitnet.teach.finetune.teach`), save it as a new model, and report as it goes: the
answer is NDJSON, one ``{"progress": ...}`` line every few mini-batches, then one
``{"result": ...}`` line (or ``{"error": ...}``).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from digitnet.errors import DigitnetError
from digitnet.network import Network
from digitnet.prediction import normalised_probabilities
from digitnet.teach.finetune import EPOCHS, REPLAY, Progress, TeachResult, teach
from digitnet.teach.step import lesson, one_step
from digitnet.teach.store import DigitStore
from digitnet.web.errors import ApiError
from digitnet.web.models import ModelStore, check_name
from digitnet.web.payload import floats, rows
from digitnet.web.routes.digits import Digits, refused
from digitnet.web.state import Store

router = APIRouter()
#: First-layer neurons whose weight gradients are sent (the largest ones of a wide layer).
SHOWN_NEURONS = 16
#: A teaching run reports its progress this many times at most.
REPORTS = 40


class ExampleBody(BaseModel):
    """A prepared 28x28 digit (784 numbers 0..1, as ``input`` of ``POST /api/predict``'s
    answer) and the digit it should be."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = Field(None, description="the model (default: the server's)")
    input: list[float] = Field(min_length=784, max_length=784)
    label: int = Field(ge=0, le=9)


class StepBody(ExampleBody):
    """:class:`ExampleBody`, a learning rate, and optionally a name to save the result as."""

    learning_rate: float = Field(1.0, gt=0, le=100)
    save_as: str | None = Field(None, description="save the stepped network as this model")


class TeachBody(BaseModel):
    """How to teach the model your digits, and the name to save it under."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = None
    epochs: int = Field(EPOCHS, ge=1, le=1000)
    replay: int = Field(REPLAY, ge=0, le=512)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    save_as: str | None = Field(None, description="the new model's name (default: made up)")


def _model(store: ModelStore, name: str | None) -> tuple[str, Network]:
    name = name or store.default
    net = store.get(name)
    if net.sizes[0] != 784 or net.sizes[-1] != 10:
        raise ApiError(422, f"model {name!r} does not read 28x28 digits into 10 answers")
    return name, net


def _input(values: list[float]) -> np.ndarray:
    x = np.asarray(values, np.float64)
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ApiError(422, "input: must be 784 numbers from 0 to 1")
    return x.astype(np.float32)


def _reading(outputs: np.ndarray) -> dict[str, Any]:
    probs = normalised_probabilities(np.asarray(outputs)[None, :])[0]
    return {
        "outputs": floats(outputs),
        "probabilities": floats(probs),
        "digit": int(np.argmax(probs)),
    }


def lesson_answer(store: ModelStore, body: ExampleBody) -> dict[str, Any]:
    name, net = _model(store, body.model)
    taught = lesson(net, _input(body.input), body.label)
    grads = taught.weight_gradients
    shown = np.arange(len(grads))
    if len(grads) > SHOWN_NEURONS:
        shown = np.sort(np.argsort(-np.abs(grads).sum(axis=1))[:SHOWN_NEURONS])
    return {
        "model": name,
        "label": taught.label,
        "cost_name": taught.cost_name,
        "cost": taught.cost,
        "formula": taught.formula,
        "written": taught.written,
        "terms": [vars(t) for t in taught.terms],
        **_reading(taught.outputs),
        "wants": floats(taught.wants, 6),
        "nudges": [floats(n, 6) for n in taught.nudges],
        "gradient_neurons": shown.tolist(),
        "gradients": rows(grads[shown], 7),
        "gradient_max": float(np.abs(grads).max()),
    }


@router.post("/api/lesson")
async def lesson_endpoint(body: ExampleBody, store: Store) -> dict[str, Any]:
    """What learning from this one example means: cost, wants, nudges, weight gradients."""
    return await run_in_threadpool(lesson_answer, store, body)


def step_answer(store: ModelStore, body: StepBody) -> dict[str, Any]:
    name, net = _model(store, body.model)
    if body.save_as is not None:
        check_name(body.save_as)
    step = one_step(net, _input(body.input), body.label, body.learning_rate)
    saved = None
    if body.save_as is not None:
        step.net.metadata["stepped"] = {
            "from": name,
            "label": step.label,
            "rate": step.learning_rate,
        }
        store.save(body.save_as, step.net)
        saved = body.save_as
    return {
        "model": name,
        "label": step.label,
        "learning_rate": step.learning_rate,
        "cost_before": step.cost_before,
        "cost_after": step.cost_after,
        "before": _reading(step.outputs_before),
        "after": _reading(step.outputs_after),
        "saved": saved,
    }


@router.post("/api/step")
async def step_endpoint(body: StepBody, store: Store) -> dict[str, Any]:
    """One step of gradient descent on one example: outputs before and after (not kept
    unless ``save_as`` is given)."""
    return await run_in_threadpool(step_answer, store, body)


def free_name(store: ModelStore, base: str) -> str:
    """``base``-taught, or with ``-2``, ``-3``, ... if taken, as a valid model name."""
    stem = f"{base[:30]}-taught"
    taken = {n for n, _ in store.names()}
    name, k = stem, 1
    while name in taken or store.saved_path(name).exists():
        k += 1
        name = f"{stem}-{k}"
    return name


def result_numbers(result: TeachResult, saved: str) -> dict[str, Any]:
    top = np.argsort(-np.abs(result.change).sum(axis=1), kind="stable")[:4]
    return {
        **result.summary(),
        "saved": saved,
        "change_neurons": top.tolist(),
        "changes": rows(result.change[top], 6),
    }


def teaching_lines(
    store: ModelStore, net: Network, name: str, x: np.ndarray, labels: np.ndarray, body: TeachBody
) -> Iterator[bytes]:
    """Run the teaching in a thread; yield its progress and result as NDJSON lines."""
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def report(p: Progress) -> None:
        if p.batch % max(1, p.batches // REPORTS) == 0 or p.batch == p.batches:
            lines.put({"progress": vars(p)})

    def work() -> None:
        try:
            result = teach(
                net, x, labels, epochs=body.epochs, replay=body.replay, seed=body.seed,
                on_progress=report,
            )  # fmt: skip
            target = body.save_as or free_name(store, name)
            result.net.metadata["taught"]["from"] = name
            store.save(target, result.net)
            lines.put({"result": result_numbers(result, target)})
        except ApiError as exc:
            lines.put({"error": exc.message})
        except (DigitnetError, ValueError) as exc:
            lines.put({"error": str(exc)})
        finally:
            lines.put(None)

    threading.Thread(target=work, name="digitnet-teach", daemon=True).start()
    while (line := lines.get()) is not None:
        yield (json.dumps(line) + "\n").encode()


def start_teaching(store: ModelStore, digits: DigitStore, body: TeachBody) -> Iterator[bytes]:
    name, net = _model(store, body.model)
    if body.save_as is not None:
        check_name(body.save_as)
        if body.save_as in dict(store.names()):
            raise ApiError(409, f"a model called {body.save_as!r} exists already")
    try:
        images, labels = digits.dataset()
    except DigitnetError as exc:
        raise refused(exc) from None
    if not len(labels):
        raise ApiError(422, "you have no digits to teach yet: correct a few answers first")
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    return teaching_lines(store, net, name, x, labels, body)


@router.post("/api/teach", response_class=StreamingResponse)
async def teach_endpoint(body: TeachBody, store: Store, digits: Digits) -> StreamingResponse:
    """Fine-tune the model on your digits (mixed with MNIST), save it as a new model; the
    answer streams NDJSON lines: progress, then the result with the numbers."""
    lines = await run_in_threadpool(start_teaching, store, digits, body)
    return StreamingResponse(lines, media_type="application/x-ndjson")
