"""``digitnet teach DIR``: teach a network your handwriting from a folder of your digits."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from digitnet.cli.common import add_model_argument, model_of, positive_int, require, whole_number
from digitnet.errors import DigitnetError

DESCRIPTION = """\
Fine-tune a copy of a network on your own digits, mixed with MNIST training digits so that it
keeps reading MNIST, and save it. DIR holds pictures named like 7_mine.png (the digit, an
underscore, anything) or sorted into folders 0 to 9. Some of them are held out of the
teaching: the accuracy on those, and on MNIST's test digits, is printed before and after."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from digitnet.teach.finetune import EPOCHS, HOLDOUT, REPLAY

    p: argparse.ArgumentParser = subparsers.add_parser(
        "teach",
        help="teach a network your handwriting from a folder of your digits",
        description=DESCRIPTION,
    )
    p.add_argument("folder", metavar="DIR", help="folder of your digits (7_mine.png or 7/a.png)")
    add_model_argument(p, positional=False)
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="OUT",
        help="model file to write (default: the model's name with -taught, e.g. "
        "video-taught.safetensors, beside a model file or in this folder)",
    )
    p.add_argument("--epochs", type=positive_int, default=EPOCHS, help="passes over your digits")
    p.add_argument(
        "--replay",
        type=whole_number,
        default=REPLAY,
        help="MNIST training digits mixed into each mini-batch (0: none)",
    )
    p.add_argument("--seed", type=whole_number, default=0, help="seed of the run")
    p.add_argument(
        "--holdout",
        type=float,
        default=HOLDOUT,
        help="fraction of your digits held out of the teaching, to measure it on",
    )
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    return p


def default_output(model: str) -> Path:
    """``video`` -> ``video-taught.safetensors`` here; ``a/b.safetensors`` -> ``a/b-taught...``."""
    path = Path(model)
    if path.suffix == ".safetensors":
        return path.with_name(f"{path.stem}-taught.safetensors")
    return Path(f"{path.name}-taught.safetensors")


def check_writable(out: Path) -> Path:
    """``out`` if a model file can be written there, else one sentence (before any work)."""
    from digitnet.files import check_output

    out = check_output(out, (".safetensors",), "model file")
    folder = out.parent
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise DigitnetError(f"cannot write {out}: there is no permission to write in {folder}")
    return out


def run(args: argparse.Namespace) -> int:
    require("teach", "PIL")
    from digitnet.network import Network
    from digitnet.teach.finetune import teach
    from digitnet.teach.folder import read_folder

    if args.replay < 0:
        raise DigitnetError(f"--replay must be 0 or more, got {args.replay}")
    if not 0.0 <= args.holdout < 1.0:
        raise DigitnetError(f"--holdout must be at least 0 and below 1, got {args.holdout}")
    name = model_of(args)
    out = check_writable(Path(args.output) if args.output else default_output(name))
    net = Network.load(name)
    if net.sizes[0] != 784:
        raise DigitnetError(f"model {name} does not take 28x28 images")
    x, labels, paths = read_folder(args.folder)
    result = teach(
        net, x, labels, epochs=args.epochs, replay=args.replay, seed=args.seed,
        holdout=args.holdout,
    )  # fmt: skip
    result.net.save(out)
    numbers = {"model": name, "output": str(out), "digits": len(paths), **result.summary()}
    if args.json:
        print(json.dumps(numbers))
        return 0
    print(f"taught {name} {len(result.split.taught)} of your {len(paths)} digits "
          f"({result.batches} mini-batches, {result.seconds:.1f} s)")  # fmt: skip
    rows = [
        ("your digits taught", result.taught_before, result.taught_after),
        ("your digits held out", result.held_out_before, result.held_out_after),
        ("MNIST test digits", result.mnist_before, result.mnist_after),
    ]
    for what, before, after in rows:
        print(f"  {what + ':':<22} {before}  ->  {after}")
    moved = ", ".join(
        f"neuron {m.neuron} at ({m.row}, {m.column}) {m.before:+.3f} -> {m.after:+.3f}"
        for m in result.moved[:3]
    )
    print(f"  first-layer weights that moved most: {moved}")
    print(f"saved {out}")
    return 0
