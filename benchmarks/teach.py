"""Teaching the network a writer's hand: the numbers in docs/teach.md and the README.

    python benchmarks/teach.py               # every test writer (about a minute on 2 cores)
    python benchmarks/teach.py --others 100  # fewer of each writer's other digits

For each synthetic writer of :data:`digitnet.synthetic.WRITERS` (a consistent slant, turn,
width and pen), 30 digits (3 of each kind) are saved as ``<digit>_<n>.png`` in a folder and
taught with ``digitnet teach DIR --model video -o OUT``, run in this process exactly as a user
would type it. Then the writer's *other* digits (never taught, never held out) are read by
``video`` and by OUT. The table shows those, the held-out digits and MNIST's test digits
before and after, and the seconds the teaching took.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
from pathlib import Path

import numpy as np

from digitnet.cli import main as digitnet
from digitnet.network import Network
from digitnet.prediction import predict_images
from digitnet.synthetic import WRITERS, writer_set


def percent(right: int, total: int, digits: int = 1) -> str:
    return f"{100.0 * right / total:.{digits}f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--others", type=int, default=200, help="other digits of each writer")
    parser.add_argument("--model", default="video", help="the model to teach")
    args = parser.parse_args()
    before_net = Network.load(args.model)
    print("| writer | other digits before | after | held out before | after | MNIST test before "
          "| after | seconds |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, hand in WRITERS.items():
        images, labels = writer_set(hand, 30, seed=1)
        others, other_labels = writer_set(hand, args.others, seed=2)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "digits"
            folder.mkdir()
            for i, (image, label) in enumerate(zip(images, labels, strict=True)):
                image.save(folder / f"{label}_{i}.png")
            out = Path(tmp) / "taught.safetensors"
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                code = digitnet(
                    ["teach", str(folder), "--model", args.model, "-o", str(out), "--json"]
                )
            assert code == 0, code
            result = json.loads(printed.getvalue())
            after_net = Network.load(out)
        right = []
        for net in (before_net, after_net):
            answers = np.array([p.digit for p in predict_images(net, others)])
            right.append(int(np.sum(answers == other_labels)))
        n = len(other_labels)
        held, mnist = (result["held_out_before"], result["held_out_after"]), (
            result["mnist_before"], result["mnist_after"])  # fmt: skip
        print(
            f"| {name} | {percent(right[0], n)} | {percent(right[1], n)} "
            f"| {held[0]['right']} of {held[0]['total']} "
            f"| {held[1]['right']} of {held[1]['total']} "
            f"| {percent(mnist[0]['right'], mnist[0]['total'], 2)} "
            f"| {percent(mnist[1]['right'], mnist[1]['total'], 2)} | {result['seconds']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
