"""The ASGI application behind ``digitnet serve``: the page and its JSON API.

Every endpoint is described in ``docs/api.md``. Errors are ``{"error": "one sentence"}``
with a 4xx status: 400 for a body that is not JSON, 413 for a body over
:data:`MAX_BODY_BYTES`, 404 for an unknown model, neuron, example, run or endpoint, 409 for a
second training run while one is going (runs are not queued) or a name already taken, and
422 for a well-formed request with wrong values (image size, pixel values, settings).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from digitnet import __version__
from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from digitnet.costs import COSTS
from digitnet.network import Network
from digitnet.optimizers import OPTIMIZERS, SCHEDULES
from digitnet.web.errors import ApiError
from digitnet.web.models import ModelStore, check_name
from digitnet.web.runs import RunManager, RunSettings

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 1_000_000
MIN_SIDE, MAX_SIDE = 8, 512
SHOWN_DEFAULT = 16  # hidden neurons drawn per layer; wider layers show their most active ones
TOP_INPUTS = 10  # connections drawn from the input grid to each shown first-layer neuron
TOP_TERMS = 8  # terms of a neuron's sum written out in full
MAX_HIDDEN = 2048
MAX_TRAIN_IMAGES = 50_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
T = TypeVar("T", bound=BaseModel)


# ---------------------------------------------------------------------- request bodies
class PredictBody(BaseModel):
    """A picture to read: grey pixels 0..255 (ink bright), row by row."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = None
    width: int
    height: int
    pixels: list[float]
    preprocess: bool = True
    show: int = Field(SHOWN_DEFAULT, ge=1, le=64)


class NeuronBody(BaseModel):
    """The input layer's 784 activations (0..1) to compute a neuron's sum for."""

    model_config = ConfigDict(extra="forbid")
    input: list[float] | None = None


class RunBody(BaseModel):
    """Settings of a training run."""

    model_config = ConfigDict(extra="forbid")
    layers: list[int] = Field(default_factory=lambda: [784, 16, 16, 10], min_length=2, max_length=6)
    hidden_activation: Literal[HIDDEN_ACTIVATIONS] = "sigmoid"  # type: ignore[valid-type]
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "sigmoid"  # type: ignore[valid-type]
    init: Literal["normal", "xavier", "he"] = "xavier"
    cost: Literal[tuple(COSTS)] = "cross_entropy"  # type: ignore[valid-type]
    optimizer: Literal[OPTIMIZERS] = "adam"  # type: ignore[valid-type]
    learning_rate: float = Field(0.005, gt=0, le=100)
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0, le=1)
    schedule: Literal[SCHEDULES] = "constant"  # type: ignore[valid-type]
    batch_size: int = Field(32, ge=1, le=10_000)
    epochs: int = Field(5, ge=1, le=100)
    limit: int = Field(MAX_TRAIN_IMAGES, ge=10, le=MAX_TRAIN_IMAGES)
    validation_size: int = Field(10_000, ge=0, le=10_000)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class SaveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    overwrite: bool = False


# ---------------------------------------------------------------------- helpers
def _sentence(exc: ValidationError | RequestValidationError) -> str:
    """The first validation problem as one sentence: ``field: what is wrong``."""
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    err = errors[0]
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
    msg = str(err.get("msg", "is not valid"))
    if err.get("type") == "extra_forbidden":
        msg = "is not a known field"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{loc}: {msg}{more}" if loc else f"{msg}{more}"


async def read_body(request: Request, model: type[T]) -> T:
    """Parse the request's JSON body into ``model``; 400 for non-JSON, 422 for bad values."""
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "the request needs a JSON body")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, _sentence(exc)) from None


def _floats(values: np.ndarray, digits: int = 4) -> list[float]:
    return [float(v) for v in np.round(np.asarray(values, dtype=np.float64), digits)]


def _png(image: np.ndarray) -> str:
    """A 2-D 0..1 image as a PNG data URL."""
    from PIL import Image

    arr = np.asarray(image, dtype=np.float32)
    if arr.ndim != 2:
        arr = arr.reshape(arr.shape[0], -1)
    pixels = np.clip(np.nan_to_num(arr) * 255 + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _image(body: PredictBody) -> np.ndarray:
    """The request's pixels as a (height, width) uint8 array, or a 422 ApiError."""
    w, h = body.width, body.height
    if body.preprocess:
        if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
            raise ApiError(
                422, f"the image must be {MIN_SIDE} to {MAX_SIDE} pixels a side, got {w}x{h}"
            )
    elif (w, h) != (28, 28):
        raise ApiError(422, f"without preprocessing the image must be 28x28, got {w}x{h}")
    if len(body.pixels) != w * h:
        raise ApiError(
            422, f"a {w}x{h} image has {w * h} pixels, but {len(body.pixels)} values were sent"
        )
    arr = np.asarray(body.pixels, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or arr.min(initial=0) < 0 or arr.max(initial=0) > 255:
        raise ApiError(422, "pixel values must be numbers from 0 to 255")
    return np.round(arr).astype(np.uint8).reshape(h, w)


def _shown(activations: np.ndarray, count: int) -> list[int]:
    """Neurons to draw: all of a small layer, else the ``count`` most active, in index order."""
    n = len(activations)
    if n <= count:
        return list(range(n))
    top = np.argpartition(-activations, count - 1)[:count]
    return sorted(int(i) for i in top)


def analyse(net: Network, x: np.ndarray, show: int) -> dict[str, Any]:
    """Every layer's activations and weighted sums for one input, and what the diagram draws."""
    fp = net.feedforward(x.reshape(1, -1))
    last = net.num_layers - 1
    layers: list[dict[str, Any]] = []
    shown: list[list[int]] = []
    for layer in range(net.num_layers):
        a = fp.activations[layer][0]
        if layer == 0:
            shown.append(list(range(len(a))))
            layers.append({"size": len(a), "kind": "input"})
            continue
        z = fp.weighted_sums[layer - 1][0]
        idx = list(range(len(a))) if layer == last else _shown(a, show)
        shown.append(idx)
        layers.append(
            {
                "size": len(a),
                "kind": "output" if layer == last else "hidden",
                "activation": net.activation_of(layer).name,
                "activations": _floats(a),
                "weighted_sums": _floats(z),
                "shown": idx,
                "hidden": len(a) - len(idx),
            }
        )
    edges: list[dict[str, Any]] = []
    a0 = fp.activations[0][0]
    for layer in range(1, net.num_layers):
        w = net.weights[layer - 1]
        rows = shown[layer]
        if layer == 1:
            strength = np.abs(w[rows] * a0) if a0.any() else np.abs(w[rows])
            top = np.argsort(-strength, axis=1)[:, :TOP_INPUTS]
            sub = np.take_along_axis(w[rows], top, axis=1)
            edges.append(
                {
                    "to": layer,
                    "kind": "top",
                    "sources": top.tolist(),
                    "weights": [_floats(r) for r in sub],
                    "max_abs": float(np.max(np.abs(w[rows]))),
                }
            )
        else:
            sub = w[np.ix_(rows, shown[layer - 1])]
            edges.append(
                {
                    "to": layer,
                    "kind": "full",
                    "weights": [_floats(r) for r in sub],
                    "max_abs": float(np.max(np.abs(sub))) if sub.size else 1.0,
                }
            )
    out = fp.activations[-1][0]
    return {"layers": layers, "edges": edges, "outputs": out}


def _layout(store: ModelStore, name: str) -> dict[str, Any]:
    net = store.get(name)
    kind = dict(store.names()).get(name, "saved")
    layers = []
    for layer, size in enumerate(net.sizes):
        layers.append(
            {
                "index": layer,
                "size": size,
                "kind": "input"
                if layer == 0
                else ("output" if layer == net.num_layers - 1 else "hidden"),
                "activation": None if layer == 0 else net.activation_of(layer).name,
                "shown": min(size, SHOWN_DEFAULT) if 0 < layer < net.num_layers - 1 else size,
            }
        )
    meta = net.metadata
    return {
        **store.summary(name, kind),
        "layers": layers,
        "training": meta.get("training"),
        "history": meta.get("history", []),
    }


def _neuron(
    net: Network, name: str, layer: int, index: int, x: np.ndarray | None
) -> dict[str, Any]:
    """A neuron's incoming weights and bias, and with an input its sum written out."""
    if not 0 <= layer < net.num_layers:
        raise ApiError(
            404, f"model {name!r} has layers 0 to {net.num_layers - 1}; there is no layer {layer}"
        )
    size = net.sizes[layer]
    if not 0 <= index < size:
        raise ApiError(
            404, f"layer {layer} of model {name!r} has {size} neurons; there is no neuron {index}"
        )
    last = net.num_layers - 1
    kind = "input" if layer == 0 else ("output" if layer == last else "hidden")
    result: dict[str, Any] = {"model": name, "layer": layer, "index": index, "kind": kind}
    if layer == 0:
        row, col = divmod(index, 28)
        result.update({"row": row, "column": col, "weights": None, "bias": None})
        if x is not None:
            result["a"] = float(x[index])
        return result
    w = net.weights[layer - 1][index]
    b = float(net.biases[layer - 1][index])
    result.update(
        {
            "activation": net.activation_of(layer).name,
            "inputs": len(w),
            "weights": _floats(w, 5),
            "bias": b,
            "max_abs": float(np.max(np.abs(w))),
            "input_shape": [28, 28] if layer == 1 and len(w) == 784 else None,
        }
    )
    if x is not None:
        fp = net.feedforward(x.reshape(1, -1))
        prev = fp.activations[layer - 1][0]
        products = w.astype(np.float64) * prev
        order = np.argsort(-np.abs(products))
        terms = [
            {"index": int(i), "w": float(w[i]), "a": float(prev[i]), "wa": float(products[i])}
            for i in order[:TOP_TERMS]
        ]
        result.update(
            {
                "terms": terms,
                "sum_wa": float(products.sum()),
                "rest": float(products[order[TOP_TERMS:]].sum()),
                "rest_count": max(0, len(w) - TOP_TERMS),
                "positive": float(products[products > 0].sum()),
                "negative": float(products[products < 0].sum()),
                "z": float(fp.weighted_sums[layer - 1][0][index]),
                "a": float(fp.activations[layer][0][index]),
                "previous": _floats(prev),
            }
        )
    return result


def _preload() -> None:
    try:
        from digitnet.data import load_mnist

        load_mnist()
    except Exception:  # noqa: BLE001 - the endpoints that need MNIST report the problem
        pass


# ---------------------------------------------------------------------- body size limit
class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, by Content-Length and by count."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": f"the request body is larger than the limit of {self.limit:,} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# ---------------------------------------------------------------------- the app
def create_app(
    model: str = "video",
    models_dir: str | Path | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The FastAPI app: the page at ``/``, its files under ``/static``, the API under ``/api``.

    ``model`` is the model the page starts with (``video``, ``wide``, a saved model's name or
    a ``.safetensors`` file); ``models_dir`` is where models saved from the page go.
    """
    store = ModelStore(models_dir, model)
    runs = RunManager()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Read MNIST in the background now, so the first example or run needn't wait.
        threading.Thread(target=_preload, name="digitnet-load-mnist", daemon=True).start()
        yield
        await run_in_threadpool(runs.stop_all, 2.0)

    app = FastAPI(
        title="digitnet",
        version=__version__,
        description="See inside the network of 3Blue1Brown's 'But what is a neural network?'",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.runs = runs
    app.add_middleware(BodyLimit, limit=max_body)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"there is no {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return JSONResponse({"error": message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _sentence(exc)}, status_code=422)

    # ------------------------------------------------------------------ the page
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # ------------------------------------------------------------------ models
    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/models")
    def list_models() -> dict[str, Any]:
        """Every model the page can use, and the one it starts with."""
        models = [store.summary(name, kind) for name, kind in store.names()]
        return {"default": store.default, "models_dir": str(store.models_dir), "models": models}

    @app.get("/api/models/{name}")
    def model_layout(name: str) -> dict[str, Any]:
        """A model's layout: layer sizes, activations, training recipe and history."""
        return _layout(store, name)

    @app.get("/api/models/{name}/neurons/{layer}/{index}")
    def neuron_weights(name: str, layer: int, index: int) -> dict[str, Any]:
        return _neuron(store.get(name), name, layer, index, None)

    @app.post("/api/models/{name}/neurons/{layer}/{index}")
    async def neuron_sum(name: str, layer: int, index: int, request: Request) -> dict[str, Any]:
        body = await read_body(request, NeuronBody)
        x = None
        if body.input is not None:
            x = np.asarray(body.input, dtype=np.float32)
            if x.shape != (784,):
                raise ApiError(422, f"input must be 784 values (28x28), got {len(body.input)}")
            if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
                raise ApiError(422, "input values must be numbers from 0 to 1")
        net = store.get(name)
        return await run_in_threadpool(_neuron, net, name, layer, index, x)

    # ------------------------------------------------------------------ predict
    def predict(body: PredictBody) -> dict[str, Any]:
        name = body.model or store.default
        net = store.get(name)
        if net.sizes[0] != 784:
            raise ApiError(422, f"model {name!r} does not take 28x28 images")
        image = _image(body)
        if body.preprocess:
            from digitnet.preprocess import predict_image

            prediction = predict_image(net, image)
            prepared = prediction.prepared
            x = np.asarray(prepared.pixels, dtype=np.float32).reshape(-1)
            steps = [
                {
                    "name": s.name,
                    "title": s.title,
                    "note": str(getattr(s, "note", "") or ""),
                    "png": _png(s.image),
                }
                for s in prepared.steps
            ]
            digit = prediction.digit
            probabilities = np.asarray(prediction.probabilities, dtype=np.float64)
            result = {
                "digit": None if digit is None else int(digit),
                "found": bool(prepared.found),
                "message": prediction.message or (prepared.reason or ""),
                "confident": bool(prediction.confident),
                "steps": steps,
            }
        else:
            x = image.reshape(-1).astype(np.float32) / 255.0
            outputs = net.feedforward(x).output[0].astype(np.float64)
            total = outputs.sum()
            probabilities = outputs / total if total > 0 else outputs
            digit = int(np.argmax(outputs))
            result = {
                "digit": digit,
                "found": bool(x.any()),
                "message": f"the network reads a {digit}",
                "confident": bool(probabilities[digit] >= 0.5),
                "steps": [],
            }
        inside = analyse(net, x, body.show)
        return {
            "model": name,
            **result,
            "probabilities": _floats(probabilities),
            "outputs": _floats(inside["outputs"]),
            "input": _floats(x, 3),
            "layers": inside["layers"],
            "edges": inside["edges"],
        }

    @app.post("/api/predict")
    async def predict_endpoint(request: Request) -> dict[str, Any]:
        """Read a picture: the answer, the 28x28 input and every neuron's activation."""
        body = await read_body(request, PredictBody)
        return await run_in_threadpool(predict, body)

    # ------------------------------------------------------------------ examples
    def _test_set() -> Any:
        from digitnet.data import load_mnist

        return load_mnist().test

    def _example(index: int) -> dict[str, Any]:
        test = _test_set()
        if not 0 <= index < len(test):
            raise ApiError(404, f"there are {len(test):,} test digits (0 to {len(test) - 1})")
        return {
            "index": index,
            "label": int(test.labels[index]),
            "width": 28,
            "height": 28,
            "pixels": test.images[index].reshape(-1).tolist(),
        }

    @app.get("/api/examples/random")
    def random_example() -> dict[str, Any]:
        """A random MNIST test digit with its label."""
        return _example(random.randrange(len(_test_set())))

    @app.get("/api/examples/mistakes")
    def mistakes(model: str | None = None, offset: int = 0, limit: int = 24) -> dict[str, Any]:
        """The test digits the model gets wrong, with the right answer and the network's."""
        name = model or store.default
        if offset < 0 or not 1 <= limit <= 100:
            raise ApiError(422, "offset must be 0 or more and limit 1 to 100")
        found = store.mistakes(name)
        items = []
        test = _test_set()
        for k in range(offset, min(offset + limit, len(found.indices))):
            i = int(found.indices[k])
            items.append(
                {
                    "position": k,
                    "index": i,
                    "label": int(found.labels[k]),
                    "predicted": int(found.predicted[k]),
                    "confidence": round(float(found.confidence[k]), 4),
                    "pixels": test.images[i].reshape(-1).tolist(),
                }
            )
        return {
            "model": name,
            "accuracy": found.accuracy,
            "tested": found.total,
            "wrong": len(found.indices),
            "offset": offset,
            "items": items,
        }

    @app.get("/api/examples/{index}")
    def example(index: int) -> dict[str, Any]:
        """MNIST test digit number ``index`` (0..9999) with its label."""
        return _example(index)

    # ------------------------------------------------------------------ training runs
    @app.get("/api/runs")
    def list_runs() -> dict[str, Any]:
        return {"runs": [r.describe() for r in runs.all()]}

    @app.post("/api/runs", status_code=202)
    async def start_run(request: Request) -> dict[str, Any]:
        """Start training a new network (409 while another run is going)."""
        body = await read_body(request, RunBody)
        sizes = body.layers
        if sizes[0] != 784 or sizes[-1] != 10:
            raise ApiError(
                422, f"layers must start with 784 (pixels) and end with 10 (digits), got {sizes}"
            )
        if any(not 1 <= s <= MAX_HIDDEN for s in sizes[1:-1]):
            raise ApiError(422, f"hidden layers must have 1 to {MAX_HIDDEN} neurons, got {sizes}")
        run = runs.start(RunSettings(**body.model_dump()))
        return run.describe()

    @app.get("/api/runs/{run_id}")
    def get_run(run_id: str) -> dict[str, Any]:
        return runs.get(run_id).describe()

    @app.post("/api/runs/{run_id}/stop")
    def stop_run(run_id: str) -> dict[str, Any]:
        """Ask a run to stop after its current mini-batch; it keeps what it learned."""
        run = runs.get(run_id)
        run.stop_event.set()
        return run.describe()

    @app.post("/api/runs/{run_id}/save", status_code=201)
    async def save_run(run_id: str, request: Request) -> dict[str, Any]:
        """Save a finished (or stopped) run's network under a name in the models folder."""
        run = runs.get(run_id)
        body = await read_body(request, SaveBody)
        check_name(body.name)
        if run.net is None:
            state = "failed" if run.status == "failed" else "has not finished"
            raise ApiError(409, f"training run {run.id} {state}; there is no network to save")
        net = run.net
        await run_in_threadpool(store.save, body.name, net, body.overwrite)
        run.saved_as = body.name
        return {"name": body.name, "run": run.id, "model": store.summary(body.name, "saved")}

    @app.get("/api/runs/{run_id}/events")
    async def run_events(run_id: str, request: Request) -> StreamingResponse:
        """The run's events as server-sent events, from the first (or after Last-Event-ID)."""
        run = runs.get(run_id)
        try:
            after = int(request.headers.get("last-event-id", "0") or 0)
        except ValueError:
            after = 0
        past, queue = run.subscribe(after)

        def frame(event: dict[str, Any]) -> str:
            return f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                for event in past:
                    yield frame(event)
                    if event["type"] in ("done", "failed"):
                        return
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=10)
                    except asyncio.TimeoutError:
                        if run.finished and queue.empty():
                            return
                        yield ": still here\n\n"
                        continue
                    yield frame(event)
                    if event["type"] in ("done", "failed"):
                        return
            finally:
                run.unsubscribe(queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        """The choices the Learn form offers."""
        return {
            "hidden_activations": list(HIDDEN_ACTIVATIONS),
            "output_activations": list(OUTPUT_ACTIVATIONS),
            "costs": list(COSTS),
            "optimizers": list(OPTIMIZERS),
            "schedules": list(SCHEDULES),
            "max_train_images": MAX_TRAIN_IMAGES,
            "max_hidden": MAX_HIDDEN,
            "max_body_bytes": max_body,
        }

    @app.api_route(
        "/api/{rest:path}",
        methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        include_in_schema=False,
    )
    async def unknown(rest: str, request: Request) -> Response:
        return JSONResponse({"error": f"there is no endpoint {request.method} /api/{rest}"}, 404)

    return app
