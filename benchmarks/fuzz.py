"""Throw generated inputs at what reads files and requests, and count what breaks.

    python benchmarks/fuzz.py [--n 100000] [--targets idx model image api] [--seed S]
    python benchmarks/fuzz.py --replay image:1234     # one input again, its traceback shown

Targets: ``read_idx``; ``Network.load`` and its summary as strict JSON; ``prepare`` and
``predict_prepared``; ``POST /api/predict``. Input ``i`` mutates a valid seed (MNIST's files,
model files, digits in a dozen picture formats, the page's bodies), seeded by ``(seed, target,
i)``. A watchdog kills a worker (4 GiB of memory) whose input runs over 5 s: a hang. Refused
cleanly: DataError, ModelFileError, ImageError, a 4xx ``{"error": ...}``; all else: uncaught.
"""

from __future__ import annotations

import argparse
import base64
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
import tempfile
import time
import traceback
import warnings
import zlib
from collections import deque
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

TIMEOUT, MEMORY, SHARDS = 5.0, 4 << 30, 4  # each target's inputs go to SHARDS workers in turn
INTS = (0, 1, 2, 3, 7, 8, 16, 28, 127, 128, 255, 256, 784, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF)
INTS += (0x80000000, 0xFFFFFFFF, 1 << 40, (1 << 63) - 1, (1 << 64) - 1)
DEEP = "@@deep@@"  # becomes 100,000 nested brackets once the JSON is written
WEIRD: tuple[Any, ...] = (None, True, False, 0, -1, 1, 1.5, -0.0, 2**31, 2**64, 10**400, 1e308)
WEIRD += (float("nan"), float("inf"), "", "x", "sigmoid", "softmax", "xavier", "\u00b2", "1" * 5000)
WEIRD += ([], {}, [1, 2, 3], [784, 16, 10], {"a": 1}, [[]], DEEP, "\ud800", "video", "wide")


def mutate(data: bytes, rng: random.Random, hot: int = 64) -> bytes:
    """1 to 8 flips, insertions, deletions, cuts, integers, copies; half in the first ``hot``."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 8))):
        pos = rng.randrange((len(buf) if rng.random() < 0.5 else min(len(buf), hot)) + 1)
        op, span = rng.randrange(8), rng.choice((1, 2, 4, 16, 256))
        if op == 0 and pos < len(buf):
            buf[pos] ^= 1 << rng.randrange(8)
        elif op in (1, 6):  # insert, or overwrite
            buf[pos : pos + (span if op == 6 else 0)] = rng.randbytes(span)
        elif op in (2, 3):  # delete, or cut the rest
            del buf[pos : pos + span if op == 2 else None]
        elif op == 4:
            size, order = rng.choice((1, 2, 4, 8)), rng.choice(("big", "little"))
            value = rng.choice(INTS) if rng.random() < 0.8 else rng.getrandbits(8 * size)
            buf[pos : pos + size] = (value % (1 << 8 * size)).to_bytes(size, order)  # type: ignore[arg-type]
        elif op == 5 and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randrange(1, 512)]
        else:
            buf += rng.randbytes(rng.randrange(1, 64))
    return bytes(buf)


def dumps(value: Any) -> str:
    """JSON, NaN and Infinity tokens allowed, DEEP turned into deep nesting."""
    return json.dumps(value).replace(json.dumps(DEEP), "[" * 100_000 + "]" * 100_000)


def idx(data: bytes, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims) + data


class IdxTarget:
    refusal = "DataError"

    def __init__(self, work: Path) -> None:
        folder = resources.files("digitnet") / "datasets" / "mnist"
        images = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())[16:]
        labels = gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:]
        self.seeds = [idx(images[: 784 * n], (n, 28, 28)) for n in (0, 1, 3, 12)]
        self.seeds += [idx(labels[:n], (n,)) for n in (0, 1, 10, 300)]
        self.zeros, self.path = gzip.compress(bytes(1 << 20)), work / "input"  # 1 MiB in 1 KiB

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
        tiny.metadata = {"history": [{"epoch": 1}], "training": {}, "test_accuracy": 0.5}
        tiny.save(work / "t.safetensors")
        self.seeds = [pretrained_path("video").read_bytes(), (work / "t.safetensors").read_bytes()]
        self.path = work / "input.safetensors"

    def make(self, rng: random.Random) -> bytes:
        seed, kind = rng.choice(self.seeds), rng.randrange(20)
        size = int.from_bytes(seed[:8], "little")
        if kind < 3 or kind == 19:
            return mutate(seed, rng, 8 + size) if kind < 3 else rng.randbytes(rng.randrange(64))
        header, body = json.loads(seed[8 : 8 + size]), seed[8 + size :]
        network = header["__metadata__"]["network"]
        for _ in range(rng.choice((1, 1, 2, 3))):
            key = "__metadata__" if rng.random() < 0.6 else rng.choice(sorted(header))
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
                config = json.loads(network)
                item = rng.choice(("sizes", "hidden_activation", "output_activation", "init"))
                config[rng.choice((item, item, "seed"))] = copy.deepcopy(rng.choice(WEIRD))
                entry[name] = dumps(config)
            else:
                value = copy.deepcopy(rng.choice(WEIRD))
                entry[name] = value if rng.random() < 0.05 else dumps(value)
        text = dumps(header).encode() + b" " * (rng.randrange(8) if kind == 18 else 0)
        length = len(text) if kind < 17 else rng.choice((*INTS, len(text) + 1, len(text) - 1))
        return length.to_bytes(8, "little") + text + body

    def run(self, data: bytes) -> None:
        from digitnet.network import Network

        self.path.write_bytes(data)
        json.dumps(Network.load(self.path).summary(), allow_nan=False)


EXIF = bytes.fromhex("4578696600004d4d002a00000008000101120003000000010006000000000000")  # turned
FORMATS: list[tuple[str, str, dict[str, Any]]] = [
    ("PNG", "L", {}), ("PNG", "RGBA", {}), ("PNG", "P", {"transparency": 0}), ("PNG", "1", {}),
    ("PNG", "I;16", {}), ("PNG", "LA", {}), ("JPEG", "L", {"quality": 80}), ("JPEG", "CMYK", {}),
    ("JPEG", "RGB", {"progressive": True}), ("JPEG", "RGB", {"exif": EXIF}), ("BMP", "RGB", {}),
    ("BMP", "P", {}), ("BMP", "1", {}), ("GIF", "P", {}), ("GIF", "L", {}), ("TIFF", "L", {}),
    ("TIFF", "RGB", {"compression": "tiff_lzw"}), ("TIFF", "I;16", {}), ("TIFF", "F", {}),
    ("TIFF", "1", {"compression": "group4"}), ("TIFF", "CMYK", {}), ("PPM", "L", {}),
    ("WEBP", "RGB", {"quality": 70}), ("WEBP", "RGBA", {"lossless": True}), ("TGA", "RGB", {}),
    ("ICO", "RGBA", {}), ("PCX", "L", {}), ("JPEG2000", "L", {})]  # fmt: skip


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
                im.save(buf := io.BytesIO(), fmt, **options)
                self.seeds.append(buf.getvalue())

    def make(self, rng: random.Random) -> tuple[bool, bytes]:
        seed, kind = rng.choice(self.seeds), rng.randrange(10)
        if kind < 7:
            data = mutate(seed, rng, rng.choice((128, 128, len(seed))))
        elif kind < 9 and seed.startswith(b"\x89PNG"):
            data = png_header(seed, rng)
        else:
            other = rng.choice(self.seeds)
            data = seed[: rng.randrange(len(seed))] + other[rng.randrange(len(other)) :]
        return rng.random() < 0.05, data  # one in twenty from a file, as the CLI reads them

    def run(self, item: tuple[bool, bytes]) -> None:
        from digitnet.prediction import predict_prepared
        from digitnet.preprocess import prepare

        self.path.write_bytes(item[1]) if item[0] else None
        answer = predict_prepared(self.net, [prepare(self.path if item[0] else item[1])])[0]
        assert np.all(np.isfinite(answer.probabilities)), "the probabilities are not numbers"


def png_header(data: bytes, rng: random.Random) -> bytes:
    """A PNG with a field of its IHDR changed (size, depth, colour type), its CRC made right."""
    ihdr, (start, size) = bytearray(data[16:29]), rng.choice(((0, 4), (4, 4), (8, 1), (12, 1)))
    value = rng.choice((0, 1, 2, 3, 4, 6, 8, 16, 9000, 30_000, 0xFFFF, 0x7FFFFFFF))
    ihdr[start : start + size] = (value % (1 << 8 * size)).to_bytes(size, "big")
    return data[:16] + ihdr + zlib.crc32(b"IHDR" + ihdr).to_bytes(4, "big") + data[33:]


class ApiTarget:
    refusal = "4xx"
    SIDES = (0, 1, 7, 8, 9, 27, 28, 29, 100, 511, 512, 513, 2**31, -28)
    FIELDS = ("model", "width", "height", "pixels", "pixels_b64", "preprocess", "steps", "show")
    NUMBERS = (-1, 255.5, 256, 1e308, -0.0, 254.9999, 0.5, float("nan"), float("inf")) * 2

    def __init__(self, work: Path) -> None:
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
        b64 = base64.b64encode(bytes(self.seeds[2]["pixels"])).decode()
        self.seeds.append({"width": 40, "height": 40, "pixels_b64": b64, "steps": False})

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        body, kind = copy.deepcopy(rng.choice(self.seeds)), rng.randrange(12)
        pixels = body.get("pixels") or list(range(256))
        if kind < 3:
            body[rng.choice((*self.FIELDS, "extra"))] = copy.deepcopy(rng.choice(WEIRD))
        elif kind < 5:  # another size, with as many pixels: blank, noise, or the old ones
            w, h = rng.choice(self.SIDES), rng.choice(self.SIDES)
            body.update(width=w, height=h)
            if 0 <= w * h <= 600 * 600:
                noise = np.random.default_rng(rng.getrandbits(32)).integers(0, 256, w * h)
                new = rng.choice((noise * 0, noise, np.resize(np.asarray(pixels), w * h)))
                body["pixels"] = new.tolist()
        elif kind < 7:
            for _ in range(rng.choice((1, 2, 10))):
                pixels[rng.randrange(len(pixels))] = copy.deepcopy(rng.choice(self.NUMBERS + WEIRD))
            body["pixels"] = pixels
        elif kind == 7 and "pixels_b64" in body:
            body["pixels_b64"] = mutate(body["pixels_b64"].encode(), rng, 8).decode("latin-1")
        elif kind == 8:
            body.pop(rng.choice(self.FIELDS), None)
        elif kind == 9:
            body = copy.deepcopy(rng.choice(WEIRD))
        data = dumps(body).encode()
        data = mutate(data, rng, len(data)) if kind >= 10 else data
        return rng.choice(("application/json",) * 9 + ("text/plain", "")), data

    def run(self, item: tuple[str, bytes]) -> str:
        headers = {"content-type": item[0]} if item[0] else {}
        answer = self.client.post("/api/predict", content=item[1], headers=headers)
        if 400 <= answer.status_code < 500 and isinstance(answer.json().get("error"), str):
            return "refused"
        if answer.status_code != 200:
            raise AssertionError(f"HTTP {answer.status_code}: {answer.text[:300]}")
        return "accepted"


CLASSES = {"idx": IdxTarget, "model": ModelTarget, "image": ImageTarget, "api": ApiTarget}


def worker(target: str, seed: int, task: tuple[int, int], work: str, counts: Any, now: Any) -> None:
    """Run inputs ``task`` (from, to) of ``target``; ``now``: which one runs, since when."""
    from threadpoolctl import threadpool_limits

    from digitnet import errors

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    threadpool_limits(1)
    folder = Path(work) / f"{target}-{task[0]}"
    folder.mkdir()
    os.dup2(os.open(folder / "stderr.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND), 2)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the watchdog asks where it hangs
    warnings.simplefilter("ignore")  # Pillow warns about the damage it tolerates
    state, written = CLASSES[target](folder), 0
    documented = getattr(errors, state.refusal, ())
    for i in range(*task):
        now[0] = i
        item = state.make(random.Random(f"{seed}:{target}:{i}"))
        now[1] = time.monotonic()
        try:
            outcome = int(state.run(item) == "refused")
        except documented:
            outcome = 1
        except Exception as exc:  # noqa: BLE001 - counting these is the point
            outcome, written, last = 2, written + 1, traceback.extract_tb(exc.__traceback__)[-1]
            data = base64.b64encode(item if isinstance(item, bytes) else item[1]).decode()
            finding = {"target": target, "index": i, "error": f"{type(exc).__name__}: {exc}"[:500]}
            finding.update(where=f"{last.filename}:{last.lineno}", item=repr(item)[:100])
            finding.update(traceback=traceback.format_exc(limit=-12), input=data)
            if written <= 30:
                (Path(work) / "findings" / f"{target}-{i}.json").write_text(json.dumps(finding))
        now[1] = 0.0
        with counts.get_lock():
            counts[outcome] += 1


def fuzz(targets: list[str], n: int, seed: int, jobs: int) -> dict[str, Any]:
    """Every target's ``n`` inputs in workers, watched; the counts and the findings."""
    ctx, work = mp.get_context("fork"), tempfile.mkdtemp(prefix="digitnet-fuzz-")
    (Path(work) / "findings").mkdir()
    counts = {t: ctx.Array("q", 4) for t in targets}  # accepted, refused, uncaught, hangs
    seconds, step, problems = dict.fromkeys(targets, 0.0), -(-n // SHARDS), []
    tasks = deque((t, lo, min(n, lo + step)) for t in targets for lo in range(0, n, step))
    running: list[tuple[Any, Any, tuple[str, int, int], float]] = []
    while tasks or running:
        while tasks and len(running) < jobs:
            task, now = tasks.popleft(), ctx.Array("d", [-1.0, 0.0])
            args = (task[0], seed, task[1:], work, counts[task[0]], now)
            running.append((ctx.Process(target=worker, args=args), now, task, time.monotonic()))
            running[-1][0].start()
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
    problems += [json.loads(p.read_text()) for p in sorted((Path(work) / "findings").iterdir())]
    rows = {t: [sum(c[:]), *c[:], round(seconds[t])] for t, c in counts.items()}
    return {"seed": seed, "n": n, "rows": rows, "findings": problems, "work": work}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="inputs per target")
    parser.add_argument("--targets", nargs="+", choices=list(CLASSES), default=list(CLASSES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes at a time")
    parser.add_argument("--json", type=Path, help="write the counts and findings there")
    parser.add_argument("--replay", metavar="TARGET:INDEX", help="run one input again, here")
    args = parser.parse_args()
    if args.replay:  # in this process, so that a traceback shows
        target, index = args.replay.split(":")
        state = CLASSES[target](Path(tempfile.mkdtemp(prefix="digitnet-fuzz-")))
        item = state.make(random.Random(f"{args.seed}:{target}:{index}"))
        print(f"input {args.replay}: {repr(item)[:300]}")
        return print("answer:", state.run(item))
    result = fuzz(args.targets, args.n, args.seed, args.jobs)
    print(f"python benchmarks/fuzz.py --n {args.n} --seed {args.seed}\n")
    print("| target | inputs | accepted | refused cleanly | uncaught | hangs (> 5 s) | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for target, row in result["rows"].items():
        print(f"| {target} | " + " | ".join(f"{v:,}" for v in row) + " |")
    kinds = {(f["target"], f.get("where", f["error"])): f for f in reversed(result["findings"])}
    for f in kinds.values():  # the first finding of each kind: target and where it was raised
        print(f"\n### {f['target']}:{f['index']} {f['error']}\n{f['traceback']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
