"""``digitnet predict [MODEL] IMAGE...``: read the digit in pictures from the command line.

Every picture goes through MNIST-style preprocessing (:mod:`digitnet.preprocess`), then the
network (:mod:`digitnet.prediction`). One line per picture, the prediction's message::

    seven.png: 7 (97.1%)  runners-up: 1 1.5%, 9 0.8%
    blank.png: no digit found: the picture is blank (too little contrast ...)

A picture that cannot be read prints one sentence to stderr; the others are still answered and
the exit code is 2 (0 when every picture could be read). A picture that seems to hold several
digits gets a note on stderr pointing to ``digitnet read``, which reads whole numbers (and
``digits_found`` in the JSON says how many).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digitnet.cli.common import add_model_argument, looks_like_model, model_of, require
from digitnet.errors import DigitnetError, ImageError

if TYPE_CHECKING:
    from digitnet.network import Network

SHOW_INPUT_HELP = (
    "save the 28x28 image the network saw as PNG. With one IMAGE, OUT is the file to write. "
    "With several, OUT is a folder (created if needed) that gets one NAME.png per image, NAME "
    "being the image's file name without its extension (NAME-2.png, ... when two images share "
    "a name); or OUT is a file name pattern with {name} and/or {index} (1, 2, ...), e.g. "
    "'seen/{index}-{name}.png'"
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``predict`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "predict",
        help="read the digit in pictures (PNG, JPEG, BMP, GIF, TIFF, WebP)",
        description="Read the handwritten (or drawn, typeset, photographed) digit in each "
        "picture. Each picture is turned into the 28x28 image MNIST's authors would have made "
        "from it (grey, lighting flattened, white on black, cropped, scaled into 20x20, "
        "centred by mass) and fed to the network. Prints the digit, its probability (the "
        "output activations divided by their sum) and the runners-up, or 'no digit found' "
        "with the reason. Pictures that cannot be read are reported on stderr; the others "
        "are still answered, and the exit code is then 2.",
    )
    add_picture_arguments(p, SHOW_INPUT_HELP)
    return p


def add_picture_arguments(p: argparse.ArgumentParser, show_input_help: str) -> None:
    """The arguments ``digitnet predict`` and ``read`` share: pictures (a model may come
    first), ``--model``, ``--json`` and ``--show-input`` (what it saves: ``show_input_help``)."""
    p.add_argument(
        "images",
        nargs="+",
        metavar="[MODEL] IMAGE",
        help="picture files to read; '-' reads one picture from standard input. A first "
        "argument that is video, wide or a .safetensors file is the model",
    )
    add_model_argument(p, positional=False)
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list with one object per picture instead of text",
    )
    p.add_argument("--show-input", default=None, metavar="OUT", help=show_input_help)


def read_source(name: str) -> str | bytes:
    """What to prepare for an IMAGE argument: the path, or the bytes of stdin for '-'."""
    return sys.stdin.buffer.read() if name == "-" else name


def input_paths(images: list[str], out: str) -> list[Path]:
    """Where ``--show-input OUT`` saves the input of each image (see ``SHOW_INPUT_HELP``)."""
    stems = [Path(name).stem if name != "-" else "stdin" for name in images]
    if "{" in out:
        return [Path(out.format(name=stem, index=i)) for i, stem in enumerate(stems, start=1)]
    if len(images) == 1 and not out.endswith(("/", "\\")) and not Path(out).is_dir():
        return [Path(out)]
    folder = Path(out)
    paths: list[Path] = []
    seen: dict[str, int] = {}
    for stem in stems:
        seen[stem] = seen.get(stem, 0) + 1
        suffix = "" if seen[stem] == 1 else f"-{seen[stem]}"
        paths.append(folder / f"{stem}{suffix}.png")
    return paths


def save_input(pixels: np.ndarray, path: Path) -> None:
    """Save a float (28, 28) image in 0..1 as an 8-bit greyscale PNG (parent folders made)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.round(np.clip(pixels, 0.0, 1.0) * 255.0).astype(np.uint8), "L")
    image.save(path, format="PNG")


def digits_in(source: Any) -> int:
    """How many digits a picture seems to hold (the pieces of ink
    :func:`~digitnet.preprocess.find_pieces` finds; 0 when it finds none)."""
    from digitnet.preprocess import find_pieces

    try:
        found = find_pieces(source)
    except ImageError:
        return 0
    return len(found.pieces) if found.reason is None else 0


def several_note(name: str, count: int) -> str:
    """What predict says about a picture that seems to hold several digits."""
    shown = "-" if name == "stdin" else name
    return (
        f"digitnet: note: {name} seems to hold {count} digits; predict reads one of them. "
        f"`digitnet read {shown}` reads the whole number."
    )


def text_line(name: str, prediction: Any) -> str:
    """The line printed for one picture: its name and the prediction's message."""
    return f"{name}: {prediction.message}"


def json_entry(name: str, prediction: Any, saved: Path | None) -> dict[str, Any]:
    """The JSON object for one picture that could be read."""
    return {
        "image": name,
        "digit": prediction.digit,
        "probability": round(prediction.probability, 6),
        "confident": prediction.confident,
        "found": prediction.prepared.found,
        "reason": prediction.prepared.reason,
        "runners_up": [
            {"digit": d, "probability": round(p, 6)} for d, p in prediction.ranking[1:3]
        ],
        "probabilities": [round(p, 6) for p in prediction.probabilities],
        "input": str(saved) if saved is not None else None,
        "error": None,
        "digits_found": 1,
    }


def error_entry(name: str, message: str) -> dict[str, Any]:
    """The JSON object for a picture that could not be read: the same keys, no answer."""
    return {
        "image": name,
        "digit": None,
        "probability": None,
        "confident": False,
        "found": False,
        "reason": None,
        "runners_up": [],
        "probabilities": [],
        "input": None,
        "error": message,
        "digits_found": 0,
    }


def pictures_and_network(args: argparse.Namespace) -> tuple[list[str], Network]:
    """The picture names of ``digitnet predict`` or ``read`` (a model named before them counts
    as ``--model``) and the network to read them with; a DigitnetError with one sentence for a
    model that cannot be loaded or standard input named twice."""
    from digitnet.network import Network

    images: list[str] = list(args.images)
    if len(images) > 1 and looks_like_model(images[0]):
        args.model_given = images.pop(0)
    net = Network.load(model_of(args))
    if images.count("-") > 1:
        raise DigitnetError("standard input ('-') can be read only once.")
    return images, net


def show_input_paths(images: list[str], pattern: str) -> list[Path]:
    """:func:`input_paths`, or a DigitnetError with one sentence for a bad pattern."""
    try:
        return input_paths(images, pattern)
    except (KeyError, IndexError, ValueError):
        raise DigitnetError(
            f"the --show-input pattern {pattern!r} may only use {{name}} and {{index}}."
        ) from None


def run(args: argparse.Namespace) -> int:
    """Run ``digitnet predict``; return the exit code (2 if any picture failed, else 0)."""
    require("predict", "PIL")
    from digitnet.prediction import predict_prepared
    from digitnet.preprocess import Prepared, prepare

    images, net = pictures_and_network(args)
    errors: dict[int, str] = {}
    prepared: dict[int, Prepared] = {}
    found: dict[int, int] = {}
    for i, name in enumerate(images):
        try:
            source = read_source(name)
            prepared[i] = prepare(source)
            found[i] = digits_in(source)
        except ImageError as exc:
            errors[i] = str(exc)
    readable = sorted(prepared)
    predictions = dict(
        zip(readable, predict_prepared(net, [prepared[i] for i in readable]), strict=True)
    )
    saved: dict[int, Path] = {}
    if args.show_input:
        targets = show_input_paths(images, args.show_input)
        for i in readable:
            try:
                save_input(prepared[i].pixels, targets[i])
                saved[i] = targets[i]
            except (OSError, ValueError) as exc:
                errors[i] = f"cannot write {targets[i]} ({exc})."
    entries: list[dict[str, Any]] = []
    for i, name in enumerate(images):
        label = "stdin" if name == "-" else name
        if i in errors:
            print(f"digitnet: error: {errors[i]}", file=sys.stderr)
            entries.append(error_entry(label, errors[i]))
        elif args.json:
            entries.append(json_entry(label, predictions[i], saved.get(i)))
            entries[-1]["digits_found"] = found[i]
        else:
            print(text_line(label, predictions[i]))
            if found[i] > 1:
                print(several_note(label, found[i]), file=sys.stderr)
    if args.json:
        print(json.dumps(entries, indent=2))
    return 2 if errors else 0
