"""Throw generated inputs at what reads files and requests, and count what breaks.

    python benchmarks/fuzz.py [--n 100000] [--targets idx model image api] [--seed S]
    python benchmarks/fuzz.py --replay image:1234     # one input again, its traceback shown

Targets: ``idx`` (``read_idx``), ``model`` (``Network.load``, its summary as strict JSON),
``image`` (``prepare`` + ``predict_prepared``, as ``digitnet predict``), ``api`` (``POST
/api/predict`` in-process). Input ``i`` mutates a valid seed (MNIST's files, model files,
digits saved in a dozen formats, the page's bodies; headers most often, PNG CRCs made right)
with a generator seeded by ``(seed, target, i)``. Workers have 4 GiB of memory; a watchdog
kills one whose input runs over 5 s (a hang, its stack kept) and goes on after it. Refused
cleanly: DataError, ModelFileError, ImageError, a 4xx ``{"error": ...}``; all else: uncaught.
"""

from __future__ import annotations

import argparse
import copy
import faulthandler
import gzip
import io
import json
import multiprocessing as mp
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
import zlib
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

TIMEOUT, MEMORY = 5.0, 4 << 30
TARGETS = ("idx", "model", "image", "api")
INTS = (0, 1, 2, 3, 7, 8, 16, 28, 127, 128, 255, 256, 784, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF)
INTS += (0x80000000, 0xFFFFFFFF, 1 << 40, (1 << 63) - 1, (1 << 64) - 1)
DEEP = "@@deep@@"  # becomes 100,000 nested brackets once the JSON is written
WEIRD: tuple[Any, ...] = (None, True, False, 0, -1, 1, 1.5, -0.0, 2**31, 2**64, 10**400, 1e308)
WEIRD += (float("nan"), float("inf"), "", "x", "sigmoid", "softmax", "xavier", "\u00b2", "1" * 5000)
WEIRD += ([], {}, [1, 2, 3], [784, 16, 10], {"a": 1}, [[]], DEEP, "\ud800", "video", "wide")


def mutate(data: bytes, rng: random.Random, hot: int = 64) -> bytes:
    """1 to 8 of: a bit flip, an insertion, a deletion, a truncation, an interesting integer,
    a copied span, random bytes, junk at the end; half of them in the first ``hot`` bytes."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 8))):
        pos = rng.randrange((len(buf) if rng.random() < 0.5 else min(len(buf), hot)) + 1)
        op, span = rng.randrange(8), rng.choice((1, 2, 4, 16, 256))
        if op == 0 and pos < len(buf):
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[pos:pos] = rng.randbytes(span)
        elif op == 2:
            del buf[pos : pos + span]
        elif op == 3:
            del buf[pos:]
        elif op == 4:
            size, order = rng.choice((1, 2, 4, 8)), rng.choice(("big", "little"))
            value = rng.choice(INTS) if rng.random() < 0.8 else rng.getrandbits(8 * size)
            buf[pos : pos + size] = (value % (1 << 8 * size)).to_bytes(size, order)  # type: ignore[arg-type]
        elif op == 5 and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randrange(1, 512)]
        elif op == 6:
            buf[pos : pos + span] = rng.randbytes(span)
        else:
            buf += rng.randbytes(rng.randrange(1, 64))
    return bytes(buf)


def weird(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(WEIRD))


def dumps(value: Any) -> str:
    """JSON, NaN and Infinity tokens allowed, DEEP turned into deep nesting."""
    return json.dumps(value).replace(json.dumps(DEEP), "[" * 100_000 + "]" * 100_000)


def idx(data: bytes, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims) + data


class IdxTarget:
    refusal = "DataError"

    def __init__(self, work: Path) -> None:
        from importlib import resources

        folder = resources.files("digitnet") / "datasets" / "mnist"
        images = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())[16:]
        labels = gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:]
        self.seeds = [idx(images[: 784 * n], (n, 28, 28)) for n in (0, 1, 3, 12)]
        self.seeds += [idx(labels[:n], (n,)) for n in (0, 1, 10, 300)]
        self.zeros = gzip.compress(bytes(1 << 20), mtime=0)  # a 1 KiB gzip member, 1 MiB inside
        self.path = work / "input"

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        seed, kind = rng.choice(self.seeds), rng.randrange(1000)
        if kind < 650:  # most often in the header: magic, type, dimensions (4-byte integers)
            data = mutate(seed, rng, 16)
        elif kind < 850:
            inner = mutate(seed, rng, 16) if rng.random() < 0.7 else seed
            data = gzip.compress(inner, compresslevel=1, mtime=0)
        elif kind < 995:
            data = mutate(gzip.compress(seed, mtime=0), rng, 32)
        else:  # a gzip bomb: a header, honest or not, then up to 64 MiB of zeros
            n = rng.choice((1, 100, 85_000, 1 << 24, (1 << 32) - 1))
            data = gzip.compress(idx(b"", (n, 28, 28)), mtime=0) + self.zeros * rng.randint(1, 64)
        gz = (data[:2] == b"\x1f\x8b") != (rng.random() < 0.1)
        return (".gz" if gz else ".raw"), data

    def run(self, item: tuple[str, bytes]) -> None:
        from digitnet.idx import read_idx

        path = self.path.with_suffix(item[0])
        path.write_bytes(item[1])
        int(read_idx(path).sum())


class ModelTarget:
    refusal = "ModelFileError"
    TENSOR = {
        "dtype": ("F32", "F64", "F16", "BF16", "I32", "U8", "BOOL", "X", "", 5, None),
        "shape": ([], [0], [1], [-1], [1 << 32, 1 << 32], [1 << 62], [16, 784, 1], "x", [1.5]),
        "data_offsets": ([0, 0], [0, 1 << 62], [-1, 4], [8, 4], [0], "x", [0, 1 << 64]),
    }

    def __init__(self, work: Path) -> None:
        from digitnet.modelfile import pretrained_path
        from digitnet.network import Network

        tiny = Network([4, 3, 2], "relu", "softmax", init="he", seed=1)
        history = [{"epoch": 1, "loss": 0.5, "train_accuracy": 0.5}]
        tiny.metadata = {"history": history, "training": {"epochs": 1}, "test_accuracy": 0.5}
        self.seeds = [pretrained_path("video").read_bytes()]
        self.seeds.append(tiny.save(work / "tiny.safetensors").read_bytes())
        self.path = work / "input.safetensors"

    def make(self, rng: random.Random) -> bytes:
        seed, kind = rng.choice(self.seeds), rng.randrange(20)
        size = int.from_bytes(seed[:8], "little")
        if kind < 6:
            return mutate(seed, rng, 8 + size)
        if kind == 19:
            return rng.randbytes(rng.randrange(64))
        header, body = json.loads(seed[8 : 8 + size]), seed[8 + size :]
        for _ in range(rng.choice((1, 1, 2, 3))):
            key = rng.choice(sorted(header))
            entry, choice = header[key], rng.randrange(8)
            if key != "__metadata__" and choice == 0:
                header[rng.choice(("weights.0", "biases.2", "weights.9", "x"))] = header.pop(key)
            elif key != "__metadata__" and choice == 1 and isinstance(entry["data_offsets"], list):
                offsets, shift = entry["data_offsets"] + [0, 0], rng.choice((-4, -1, 1, 4, 4096))
                entry["data_offsets"] = [offsets[0] + shift, offsets[1] + rng.choice((0, shift))]
            elif key != "__metadata__":
                field = rng.choice(sorted(self.TENSOR))
                entry[field] = copy.deepcopy(rng.choice(self.TENSOR[field]))
            elif (name := rng.choice((*entry, "network", "format_version", "x"))) == "network":
                config = json.loads(entry.get("network", "{}"))
                item = rng.choice(("sizes", "hidden_activation", "output_activation", "init"))
                config[rng.choice((item, item, "seed"))] = weird(rng)
                entry[name] = dumps(config)
            else:
                value = weird(rng)
                entry[name] = value if rng.random() < 0.05 else dumps(value)
        text = dumps(header).encode() + b" " * (rng.randrange(8) if kind == 18 else 0)
        length = len(text) if kind < 17 else rng.choice((*INTS, len(text) + 1, len(text) - 1))
        return length.to_bytes(8, "little") + text + body

    def run(self, data: bytes) -> None:
        from digitnet.network import Network

        self.path.write_bytes(data)
        json.dumps(Network.load(self.path).summary(), allow_nan=False)


EXIF = (
    b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06"
    + bytes(6)
)
FORMATS: list[tuple[str, str, dict[str, Any]]] = [
    ("PNG", "L", {}), ("PNG", "RGBA", {}), ("PNG", "P", {"transparency": 0}), ("PNG", "1", {}),
    ("PNG", "I;16", {}), ("PNG", "LA", {}), ("JPEG", "L", {"quality": 80}),
    ("JPEG", "RGB", {"progressive": True}), ("JPEG", "CMYK", {}), ("JPEG", "RGB", {"exif": EXIF}),
    ("BMP", "RGB", {}), ("BMP", "P", {}), ("BMP", "1", {}), ("GIF", "P", {}), ("GIF", "L", {}),
    ("TIFF", "L", {}), ("TIFF", "RGB", {"compression": "tiff_lzw"}), ("TIFF", "I;16", {}),
    ("TIFF", "F", {}), ("TIFF", "1", {"compression": "group4"}), ("TIFF", "CMYK", {}),
    ("WEBP", "RGB", {"quality": 70}), ("WEBP", "RGBA", {"lossless": True}), ("PPM", "L", {}),
    ("TGA", "RGB", {}), ("ICO", "RGBA", {}), ("PCX", "L", {}), ("JPEG2000", "L", {}),
]  # fmt: skip


class ImageTarget:
    refusal = "ImageError"

    def __init__(self, work: Path) -> None:
        from digitnet import synthetic as sy
        from digitnet.network import Network

        self.net, self.path, rng = Network.load("video"), work / "input", np.random.default_rng(0)
        digits = [sy.stroke_digit(3, rng, size=48), sy.font_digit(5, rng, size=40)]
        digits.append(sy.photo_digit(2, rng).resize((80, 60)).convert("L"))
        self.seeds: list[bytes] = []
        for digit in digits:
            for fmt, mode, options in FORMATS:
                im = digit.convert(mode)
                if mode in ("LA", "RGBA"):
                    im.putalpha(digit.point(lambda v: 255 - v))
                buf = io.BytesIO()
                im.save(buf, fmt, **options)
                self.seeds.append(buf.getvalue())

    def make(self, rng: random.Random) -> tuple[bool, bytes]:
        seed, kind = rng.choice(self.seeds), rng.randrange(10)
        if kind < 6:
            data = mutate(seed, rng, 128)
        elif kind < 8 and seed.startswith(b"\x89PNG"):
            data = png_chunk(seed, rng)
        elif kind < 9:
            other = rng.choice(self.seeds)
            data = seed[: rng.randrange(len(seed))] + other[rng.randrange(len(other)) :]
        else:
            data = mutate(mutate(seed, rng, len(seed)), rng, 512)
        return rng.random() < 0.05, data  # one in twenty from a file, as the CLI reads them

    def run(self, item: tuple[bool, bytes]) -> None:
        from digitnet.prediction import predict_prepared
        from digitnet.preprocess import prepare

        if item[0]:
            self.path.write_bytes(item[1])
        predict_prepared(self.net, [prepare(self.path if item[0] else item[1])])


def png_chunk(data: bytes, rng: random.Random) -> bytes:
    """A PNG with one chunk changed (most often IHDR's size, depth, colour type, interlacing)
    and every CRC made right again, so that the decoder goes past the change."""
    chunks, pos = [], 8
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append((data[pos + 4 : pos + 8], bytearray(data[pos + 8 : pos + 8 + length])))
        pos += 12 + length
    kind, content = chunks[0] if rng.random() < 0.6 else rng.choice(chunks)
    if kind == b"IHDR" and rng.random() < 0.8:
        start, size = rng.choice(((0, 4), (4, 4), (8, 1), (9, 1), (12, 1)))
        value = rng.choice((0, 1, 2, 3, 4, 6, 8, 16, 9000, 30_000, 0xFFFF, 0x7FFFFFFF))
        content[start : start + size] = (value % (1 << 8 * size)).to_bytes(size, "big")
    else:
        content[:] = mutate(bytes(content), rng, 16)
    out = bytearray(data[:8])
    for kind, content in chunks:
        out += len(content).to_bytes(4, "big") + kind + content
        out += zlib.crc32(kind + content).to_bytes(4, "big")
    return bytes(out)


class ApiTarget:
    refusal = "4xx"
    SIDES = (0, 1, 7, 8, 9, 27, 28, 29, 100, 511, 512, 513, 2**31, -28)
    FIELDS = ("model", "width", "height", "pixels", "pixels_b64", "preprocess", "steps", "show")
    NUMBERS = (-1, 255.5, 256, 1e308, -0.0, 254.9999, 0.5, float("nan"), float("inf"))
    TYPES = ("application/json", "text/plain", "", "application/json; charset=latin-1")

    def __init__(self, work: Path) -> None:
        from base64 import b64encode

        from fastapi.testclient import TestClient

        from digitnet import synthetic as sy
        from digitnet.web.app import create_app

        self.client = TestClient(create_app(models_dir=work / "models"))
        rng, self.seeds = np.random.default_rng(1), []
        for digit, size in ((4, 28), (1, 28), (8, 40), (6, 64)):
            pixels = np.asarray(sy.stroke_digit(digit, rng, size=size, invert=True)).ravel()
            self.seeds.append({"width": size, "height": size, "pixels": pixels.tolist()})
        self.seeds[0]["preprocess"] = False
        self.seeds[3].update(model="video", show=8)
        b64 = b64encode(bytes(self.seeds[2]["pixels"])).decode()
        self.seeds.append({"width": 40, "height": 40, "pixels_b64": b64, "steps": False})

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        body, kind = copy.deepcopy(rng.choice(self.seeds)), rng.randrange(12)
        pixels = body.get("pixels") or list(range(256))
        if kind < 3:
            body[rng.choice((*self.FIELDS, "extra"))] = weird(rng)
        elif kind < 5:  # another size, with as many pixels: blank, noise, or the old ones
            w, h = rng.choice(self.SIDES), rng.choice(self.SIDES)
            body.update(width=w, height=h)
            if 0 <= w * h <= 600 * 600:
                noise = np.random.default_rng(rng.getrandbits(32)).integers(0, 256, w * h)
                new = rng.choice((noise * 0, noise, np.resize(np.asarray(pixels), w * h)))
                body["pixels"] = new.tolist()
        elif kind < 7:
            for _ in range(rng.choice((1, 2, 10))):
                value = rng.choice(self.NUMBERS) if rng.random() < 0.7 else weird(rng)
                pixels[rng.randrange(len(pixels))] = value
            body["pixels"] = pixels
        elif kind == 7 and "pixels_b64" in body:
            body["pixels_b64"] = mutate(body["pixels_b64"].encode(), rng, 8).decode("latin-1")
        elif kind == 7:
            body["pixels"] = pixels[: rng.randrange(len(pixels))] + [0] * rng.randrange(3)
        elif kind == 8:
            body.pop(rng.choice(self.FIELDS), None)
        elif kind == 9:
            body = weird(rng)
        data = dumps(body).encode()
        data = mutate(data, rng, len(data)) if kind >= 10 else data
        return (self.TYPES[0] if rng.random() < 0.9 else rng.choice(self.TYPES)), data

    def run(self, item: tuple[str, bytes]) -> str:
        headers = {"content-type": item[0]} if item[0] else {}
        answer = self.client.post("/api/predict", content=item[1], headers=headers)
        if 400 <= answer.status_code < 500 and isinstance(answer.json().get("error"), str):
            return "refused"
        if answer.status_code != 200:
            raise AssertionError(f"HTTP {answer.status_code}: {answer.text[:300]}")
        return "accepted"


CLASSES = {"idx": IdxTarget, "model": ModelTarget, "image": ImageTarget, "api": ApiTarget}


def classify(state: Any, item: Any) -> int:
    """0 accepted, 1 refused with the documented error; anything else propagates."""
    from digitnet import errors

    try:
        return int(state.run(item) == "refused")
    except getattr(errors, state.refusal, ()):
        return 1


def describe(item: Any) -> str:
    data = item if isinstance(item, bytes) else item[1]
    return f"{len(data)} bytes: {data[:1500] if data[:1] in b'{[' else data[:64]!r}, {item[0]!r}"


def worker(target: str, seed: int, task: tuple[int, int], work: str, counts: Any, now: Any) -> None:
    """Run inputs ``task`` (from, to) of ``target``. ``now`` is the input running and since
    when (0 between inputs); the first uncaught exceptions go to ``work``/findings."""
    from threadpoolctl import threadpool_limits

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    threadpool_limits(1)
    folder = Path(work) / f"{target}-{task[0]}"
    folder.mkdir(parents=True, exist_ok=True)
    os.dup2(os.open(folder / "stderr.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND), 2)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the watchdog asks where it hangs
    warnings.simplefilter("ignore")  # Pillow warns about the damage it tolerates
    state, written = CLASSES[target](folder), 0
    for i in range(*task):
        now[0] = i
        item = CLASSES[target].make(state, random.Random(f"{seed}:{target}:{i}"))
        now[1] = time.monotonic()
        try:
            outcome = classify(state, item)
        except Exception as exc:  # noqa: BLE001 - counting these is the point
            outcome, written, last = 2, written + 1, traceback.extract_tb(exc.__traceback__)[-1]
            finding = {"target": target, "index": i, "error": f"{type(exc).__name__}: {exc}"[:500]}
            finding.update(where=f"{last.filename}:{last.lineno}", input=describe(item))
            finding["traceback"] = traceback.format_exc(limit=-12)
            if written <= 30:
                (Path(work) / "findings" / f"{target}-{i}.json").write_text(json.dumps(finding))
        now[1] = 0.0
        with counts.get_lock():
            counts[outcome] += 1


def fuzz(targets: list[str], n: int, seed: int, jobs: int, shards: int) -> dict[str, Any]:
    """Every target's ``n`` inputs in workers, watched; the counts and the findings."""
    ctx, work = mp.get_context("fork"), tempfile.mkdtemp(prefix="digitnet-fuzz-")
    (Path(work) / "findings").mkdir()
    counts = {t: ctx.Array("q", 4) for t in targets}  # accepted, refused, uncaught, hangs
    seconds, step, problems = dict.fromkeys(targets, 0.0), -(-n // shards), []
    tasks = deque((t, lo, min(n, lo + step)) for t in targets for lo in range(0, n, step))
    running: list[tuple[Any, Any, tuple[str, int, int], float]] = []
    while tasks or running:
        while tasks and len(running) < jobs:
            (target, lo, hi), now = tasks.popleft(), ctx.Array("d", [-1.0, 0.0])
            proc = ctx.Process(
                target=worker, args=(target, seed, (lo, hi), work, counts[target], now)
            )
            proc.start()
            running.append((proc, now, (target, lo, hi), time.monotonic()))
        time.sleep(0.05)
        for entry in list(running):
            proc, now, (target, lo, hi), started = entry
            since = now[1]  # read once: the worker sets it to 0 when the input ends
            stuck = since > 0 and time.monotonic() - since > TIMEOUT
            if proc.is_alive() and not stuck:
                continue
            if stuck:
                os.kill(proc.pid, signal.SIGUSR1)
                time.sleep(0.5)
                proc.kill()
            proc.join()
            running.remove(entry)
            seconds[target] += time.monotonic() - started
            if proc.exitcode == 0:
                continue
            if now[1] == 0:
                raise SystemExit(f"{target} worker failed (exit {proc.exitcode}) in setup: {work}")
            i, log = int(now[0]), (Path(work) / f"{target}-{lo}" / "stderr.log").read_text()
            with counts[target].get_lock():
                counts[target][3 if stuck else 2] += 1
            error = "hang (over 5 s)" if stuck else f"the worker died (exit code {proc.exitcode})"
            stack = log[log.rfind("Thread 0x") :] if stuck else log[-3000:]
            problems.append({"target": target, "index": i, "error": error, "traceback": stack})
            tasks.extendleft([(target, i + 1, hi)] if i + 1 < hi else [])
        if int(time.monotonic()) % 60 == 0:  # about once a minute, how far each target is
            done = ", ".join(f"{t} {sum(c[:]):,}" for t, c in counts.items())
            print(f"{time.strftime('%H:%M:%S')} {done} of {n:,}", file=sys.stderr, flush=True)
            time.sleep(1)
    problems += [json.loads(p.read_text()) for p in sorted((Path(work) / "findings").iterdir())]
    keys = ("accepted", "refused", "uncaught", "hangs")
    rows = {
        t: {"inputs": sum(c[:]), **dict(zip(keys, c[:], strict=True))} for t, c in counts.items()
    }
    for target, row in rows.items():
        row["seconds"] = round(seconds[target], 1)
    return {"seed": seed, "n": n, "rows": rows, "findings": problems, "work": work}


def table(rows: dict[str, dict[str, Any]]) -> str:
    keys = ("inputs", "accepted", "refused", "uncaught", "hangs")
    head = "| target | inputs | accepted | refused cleanly | uncaught | hangs (> 5 s) | seconds |"
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for target, r in rows.items():
        cells = " | ".join(f"{r[k]:,}" for k in keys)
        lines.append(f"| {target} | {cells} | {r['seconds']:,.0f} |")
    return "\n".join(lines)


def replay(spec: str, seed: int) -> None:
    """Run one input again in this process: show it, save it, let its traceback through."""
    target, index = spec.split(":")
    work = Path(tempfile.mkdtemp(prefix="digitnet-fuzz-"))
    state = CLASSES[target](work)
    item = CLASSES[target].make(state, random.Random(f"{seed}:{target}:{index}"))
    (work / "input.bin").write_bytes(item if isinstance(item, bytes) else item[1])
    print(f"input {target}:{index}, saved as {work / 'input.bin'}: {describe(item)}")
    start = time.monotonic()
    outcome = ("accepted", "refused cleanly")[classify(state, item)]
    print(f"{outcome} in {time.monotonic() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="inputs per target")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes at a time")
    parser.add_argument("--shards", type=int, default=4, help="pieces each target is cut in")
    parser.add_argument("--show", type=int, default=3, help="kinds of error shown per target")
    parser.add_argument("--json", type=Path, help="also write the counts and findings there")
    parser.add_argument("--replay", metavar="TARGET:INDEX", help="run one input again")
    args = parser.parse_args()
    if args.replay:
        return replay(args.replay, args.seed)
    result = fuzz(args.targets, args.n, args.seed, args.jobs, args.shards)
    print(f"python benchmarks/fuzz.py --n {args.n} --seed {args.seed}\n\n{table(result['rows'])}")
    seen: dict[tuple[str, str], int] = {}
    for f in result["findings"]:
        key = (f["target"], f.get("where") or f["error"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1 and sum(k[0] == f["target"] for k in seen) <= args.show:
            print(f"\n### {f['target']}:{f['index']} {f['error']}\n{f.get('input', '')}")
            print(f["traceback"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
