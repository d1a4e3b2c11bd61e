"""How well networks read digits that are not MNIST's: people-like synthetic digits of six
kinds, real USPS scans, and MNIST's own test digits, each through the whole reading path.

    python benchmarks/real_digits.py                       # shipped networks, 500 per kind
    python benchmarks/real_digits.py --n 100 --usps 1000   # quicker
    python benchmarks/real_digits.py --model video --model my.safetensors --json out.json

Every picture is encoded as an image file in memory (PNG; photos JPEG), then read exactly as
``digitnet predict --json`` reads a file: :func:`digitnet.preprocess.prepare`, then
:func:`digitnet.prediction.predict_prepared` (which also stands digits upright for networks
that learnt deslanted digits). A picture refused as "no digit" counts as wrong.

The kinds (:mod:`digitnet.synthetic`, fixed seeds, never trained on): ``pen`` mouse drawings
in many writers' hands and styles on a 280x280 canvas, ``photos`` of such digits in ink on
paper, ``scan8``/``scan16``/``binary16`` low-resolution scans enlarged and blurred, ``fonts``
slanted, rotated, thickened or thinned type in both polarities; and ``USPS``, the 7,291 real
U.S. Postal Service training digits of ``../shared/usps`` (or ``--usps-file``), each drawn as a
user's scan would be (dark ink on light paper, enlarged 4 to 12 times, a margin around it);
``8x8 scans, real (UCI)``, the 1,797 real 8x8 scans of NIST forms that scikit-learn ships
(``load_digits``, UCI's optdigits test set), enlarged like ``scan8``. USPS and optdigits are
for measuring only: no shipped network is trained on them. ``MNIST test`` is MNIST's
test set through the same path (``raw``: the 28x28 images fed as they are).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from digitnet import preprocess as pp
from digitnet import synthetic as sy
from digitnet.data import load_mnist
from digitnet.modelfile import PRETRAINED
from digitnet.network import Network
from digitnet.prediction import predict_prepared
from digitnet.slant import inputs_for

SEEDS = {kind: 1000 + 101 * i for i, kind in enumerate(sy.KINDS)}
USPS_FILE = Path(__file__).resolve().parents[2] / "shared" / "usps" / "zip.train.gz"
USPS_SEED = 16
#: Real 8x8 scans: every one of scikit-learn's copy of UCI's optdigits test set, enlarged like
#: the synthetic ``scan8`` kind (:func:`digitnet.synthetic.enlarge`).
OPTDIGITS = "8x8 scans, real (UCI)"
OPTDIGITS_SEED = 8


def read_usps(path: Path, n: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """USPS digits from ``zip.train.gz``-style text (label, then 256 values in -1..1 per
    line): float32 ``(n, 16, 16)`` ink in 0..1 and int64 labels; the first ``n`` (0: all)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        rows = [line.split() for line in f if line.strip()]
    if n:
        rows = rows[:n]
    values = np.array(rows, np.float32)
    ink = (values[:, 1:].reshape(-1, 16, 16) + 1.0) / 2.0
    return np.clip(ink, 0.0, 1.0), values[:, 0].astype(np.int64)


def usps_picture(ink: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """One 16x16 USPS digit as a user's scan: dark ink on light paper (paper 200-250, ink
    0-60), a margin of 3-8 pixels around it, enlarged 4 to 12 times (bilinear or bicubic)."""
    paper, dark = rng.uniform(200, 250), rng.uniform(0, 60)
    margin = int(rng.integers(3, 9))
    grey = paper + (dark - paper) * np.pad(ink, margin)
    factor = int(rng.integers(4, 13))
    side = grey.shape[0] * factor
    method = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC)[int(rng.integers(2))]
    return Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L").resize((side, side), method)


def as_file(picture: Image.Image) -> bytes:
    """The picture as the bytes of an image file (JPEG for colour photos, else PNG)."""
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG" if picture.mode == "RGB" else "PNG", quality=90)
    return buffer.getvalue()


def read_optdigits() -> tuple[np.ndarray, np.ndarray]:
    """UCI's real 8x8 digit scans (optdigits' 1,797 test digits, bundled with scikit-learn as
    ``load_digits``): float ``(n, 8, 8)`` in 0..1, ink bright, and the labels."""
    from sklearn.datasets import load_digits  # the test extra; the row is left out without it

    data = load_digits()
    return (data.images / 16.0).astype(np.float32), data.target.astype(np.int64)


def pictures(kind: str, n: int, usps: int, usps_file: Path) -> tuple[list[Any], np.ndarray]:
    """The pictures of one kind (as image-file bytes) and their labels."""
    if kind == OPTDIGITS:
        scans, labels = read_optdigits()
        rng = np.random.default_rng(OPTDIGITS_SEED)
        return [as_file(sy.enlarge(scan, rng)) for scan in scans], labels
    if kind == "USPS":
        ink, labels = read_usps(usps_file, usps)
        rng = np.random.default_rng(USPS_SEED)
        return [as_file(usps_picture(digit, rng)) for digit in ink], labels
    images, labels = sy.make_set(kind, n, seed=SEEDS[kind])
    return [as_file(image) for image in images], labels


def evaluate(
    models: list[str], kinds: list[str], n: int, usps: int, usps_file: Path, mnist: int
) -> list[dict[str, Any]]:
    """One row per (kind, model): accuracy, refused and unsure shares, pictures."""
    nets = {name: Network.load(name) for name in models}
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        started = time.perf_counter()
        if kind == "MNIST test":
            test = load_mnist().test
            raw, labels = test.images[:mnist], test.labels[:mnist].astype(np.int64)
            prepared = [pp.prepare(image) for image in raw]
        else:
            files, labels = pictures(kind, n, usps, usps_file)
            prepared = [pp.prepare(data) for data in files]
        seconds = time.perf_counter() - started
        for name, net in nets.items():
            predictions = predict_prepared(net, prepared)
            answers = np.array([-1 if p.digit is None else p.digit for p in predictions])
            row = {
                "kind": kind,
                "model": name,
                "n": len(labels),
                "accuracy": float(np.mean(answers == labels)),
                "refused": float(np.mean([not p.prepared.found for p in predictions])),
                "unsure": float(
                    np.mean([p.prepared.found and not p.confident for p in predictions])
                ),
                "seconds to prepare": seconds,
            }
            if kind == "MNIST test":
                row["raw"] = float(np.mean(net.predict(inputs_for(net.metadata, raw)) == labels))
            rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]], models: list[str]) -> str:
    """Accuracy per kind (rows) and model (columns) as a Markdown table."""
    lines = [
        "| pictures | n | " + " | ".join(f"`{Path(m).stem}`" for m in models) + " |",
        "|---|---:|" + "---:|" * len(models),
    ]
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    for kind in kinds:
        cells = {r["model"]: r for r in rows if r["kind"] == kind}
        first = cells[models[0]]
        values = []
        for m in models:
            text = f"{cells[m]['accuracy']:.1%}"
            if "raw" in cells[m]:
                text += f" (raw {cells[m]['raw']:.2%})"
            values.append(text)
        lines.append(f"| {kind} | {first['n']} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def missing(kind: str, usps_file: Path) -> str | None:
    """Why ``kind`` cannot be measured on this machine, or None when it can."""
    if kind == OPTDIGITS:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            return "scikit-learn is not installed (pip install -e .[test])"
    if kind == "USPS" and not usps_file.exists():
        return f"{usps_file} not found"
    if kind == "handwriting fonts":
        try:
            sy.handwriting_font_files()
        except FileNotFoundError as error:
            return str(error)
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", help="a model file or video/wide (repeat)")
    parser.add_argument("--n", type=int, default=500, help="synthetic pictures per kind")
    parser.add_argument("--usps", type=int, default=0, help="USPS digits to use (0: all 7,291)")
    parser.add_argument("--usps-file", type=Path, default=USPS_FILE, help="USPS zip.train(.gz)")
    parser.add_argument("--mnist", type=int, default=10_000, help="MNIST test digits to use")
    parser.add_argument("--kinds", nargs="*", help="only these kinds")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    models = args.model or list(PRETRAINED)
    kinds = []
    for kind in args.kinds or [*sy.KINDS, OPTDIGITS, "USPS", "MNIST test"]:
        reason = missing(kind, args.usps_file)
        if reason:
            print(f"{kind} left out: {reason}")
        else:
            kinds.append(kind)
    rows = evaluate(models, kinds, args.n, args.usps, args.usps_file, args.mnist)
    print(markdown(rows, models))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
