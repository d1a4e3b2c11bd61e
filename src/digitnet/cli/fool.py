"""``digitnet fool IMAGE --target D``: the smallest change that makes the network read D.

The picture is prepared like MNIST's digits (:mod:`digitnet.preprocess`), then changed by
:func:`digitnet.fooling.fool` (sign steps on the gradient of the input, within an
L-infinity budget, then shrunk). Prints one line, or with ``--json`` the new answer, its
probability and the L2 and L-infinity size of the change. ``-o OUT.png`` saves the fooled
28x28 digit (exactly, 8 bits a pixel) and ``OUT-change.png`` a picture of the change (blue:
brighter, red: darker). Exit codes: 0 fooled, 1 not fooled within the budget, 2 a mistake
(a bad image, a target outside 0-9 or equal to the network's answer).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digitnet.cli.common import add_model_argument, model_of, number, require
from digitnet.errors import DigitnetError

if TYPE_CHECKING:
    from digitnet.network import Network

CHANGE_ZOOM = 10  # the change picture is 280x280: each pixel a 10x10 square


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``fool`` sub-command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "fool",
        help="the smallest change to a digit that makes the network read another one",
        description="Change a picture of a digit as little as it takes for the network to "
        "read the target digit instead: iterated steps along the sign of the gradient of the "
        "target's output with respect to the pixels, within an L-infinity budget (no pixel "
        "moves by more than --budget), then shrunk to the smallest change that still fools "
        "it. A person still reads the original digit. Exit code 0 when fooled, 1 when not "
        "within the budget, 2 for a mistake.",
    )
    p.add_argument(
        "image",
        nargs="?",
        default=None,
        metavar="IMAGE",
        help="picture of a digit (PNG, JPEG, ...), prepared like MNIST's",
    )
    p.add_argument(
        "--test-index",
        type=int,
        default=None,
        metavar="N",
        help="fool MNIST test digit number N instead of a picture",
    )
    p.add_argument(
        "-t", "--target", required=True, metavar="D", help="the digit the network should read"
    )
    add_model_argument(p, positional=False)
    p.add_argument(
        "--budget", type=number, default=0.3, help="largest change of any pixel (pixels: 0..1)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="OUT",
        help="save the fooled 28x28 digit as OUT (.png) and the change as OUT-change.png",
    )
    return p


def parse_target(text: str) -> int:
    """The ``--target`` argument as a digit, or one sentence."""
    from digitnet.fooling import check_target

    try:
        value = int(text)
    except ValueError:
        raise DigitnetError(f"the target must be a digit from 0 to 9, not {text!r}.") from None
    return check_target(value)


def read_digit(args: argparse.Namespace, net: Network) -> tuple[np.ndarray, str]:
    """The 28x28 pixels (0..1) to fool, as ``net`` reads them (deslanted if it learnt so), and
    a name for them."""
    from digitnet.slant import input_for

    if (args.image is None) == (args.test_index is None):
        raise DigitnetError("give one IMAGE or --test-index N (not both).")
    if args.test_index is not None:
        from digitnet.data import load_mnist

        test = load_mnist().test
        if not 0 <= args.test_index < len(test):
            raise DigitnetError(
                f"--test-index {args.test_index} is out of range: the test set has "
                f"{len(test):,} digits, numbered 0 to {len(test) - 1:,}."
            )
        pixels = input_for(net.metadata, test.images[args.test_index])
        return pixels / 255.0, f"test digit {args.test_index}"
    require("fool", "PIL")
    from digitnet.prediction import prepare_for

    path = Path(args.image)
    if not path.is_file():
        raise DigitnetError(f"the image {path} does not exist.")
    prepared = prepare_for(net, path)
    if not prepared.found:
        raise DigitnetError(f"found no digit in {path}: {prepared.reason}.")
    return np.asarray(prepared.pixels, dtype=np.float64), str(path)


def change_picture(change: np.ndarray, budget: float) -> np.ndarray:
    """(280, 280, 3) uint8: the change, blue where a pixel got brighter, red where darker,
    full colour at the budget."""
    scaled = np.clip(change.reshape(28, 28) / budget, -1.0, 1.0)
    rgb = np.zeros((28, 28, 3))
    blue, red = np.array([59, 130, 246]), np.array([239, 68, 68])
    rgb += np.clip(scaled, 0, None)[..., None] * blue
    rgb += np.clip(-scaled, 0, None)[..., None] * red
    big = np.kron(rgb, np.ones((CHANGE_ZOOM, CHANGE_ZOOM, 1)))
    return np.round(big).astype(np.uint8)


def save_pictures(out: Path, fooled: np.ndarray, change: np.ndarray, budget: float) -> list[Path]:
    """Write the fooled digit to ``out`` and the change beside it; the paths written."""
    from PIL import Image

    from digitnet.files import atomic_write

    change_path = out.with_name(f"{out.stem}-change.png")
    grey = np.round(fooled.reshape(28, 28) * 255.0).astype(np.uint8)
    for path, image in (
        (out, Image.fromarray(grey, "L")),
        (change_path, Image.fromarray(change_picture(change, budget), "RGB")),
    ):
        with atomic_write(path) as tmp:
            image.save(tmp, format="PNG")
    return [out, change_path]


def run(args: argparse.Namespace) -> int:
    """Run ``digitnet fool``; return the exit code."""
    from digitnet.files import check_output
    from digitnet.fooling import check_target, fool
    from digitnet.network import Network
    from digitnet.prediction import normalised_probabilities

    target = parse_target(args.target)
    if not 0 < args.budget <= 1:
        raise DigitnetError(f"--budget must lie in (0, 1], not {args.budget}.")
    out = check_output(args.output, (".png",), "picture") if args.output else None
    net = Network.load(model_of(args))
    pixels, name = read_digit(args, net)
    before = int(net.predict(pixels.reshape(1, -1))[0])
    check_target(target, before)
    result = fool(net, pixels.reshape(1, -1), [target], budget=args.budget)
    probability = float(normalised_probabilities(result.outputs)[0, result.after[0]])
    success = bool(result.success[0])
    saved = save_pictures(out, result.fooled[0], result.change[0], args.budget) if out else []
    entry = {
        "image": name,
        "model": model_of(args),
        "before": before,
        "target": target,
        "success": success,
        "answer": int(result.after[0]),
        "probability": round(probability, 6),
        "l2": round(float(result.l2[0]), 6),
        "linf": round(float(result.linf[0]), 6),
        "budget": args.budget,
        "pixels_changed": int(np.count_nonzero(result.change[0])),
        "saved": [str(p) for p in saved],
    }
    if args.json:
        print(json.dumps(entry, indent=2))
    elif success:
        print(
            f"{name}: the network now reads {target} ({100 * probability:.1f}%) instead of "
            f"{before}; the change: L2 {entry['l2']:.3f}, L-infinity {entry['linf']:.3f} "
            f"({entry['pixels_changed']} pixels changed)"
        )
    else:
        print(
            f"{name}: no change within the budget of {args.budget} makes the network read "
            f"{target}; it still reads {before}."
        )
    for path in saved:
        if not args.json:
            print(f"wrote {path}")
    return 0 if success else 1
