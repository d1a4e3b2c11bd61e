"""Accuracy on MNIST's 10,000 test images for the recipes in the README, re-trained from scratch.

    python benchmarks/accuracy.py                 # every row (about 25 minutes on 2 cores)
    python benchmarks/accuracy.py --rows 1 3      # only some rows

Each row is a `digitnet train` command line, run in this process exactly as a user would type
it; the table shows the command, the test accuracy and the training time. Rows that need a
teacher network use the shipped `wide` network.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import tempfile
import time
from pathlib import Path

from digitnet import load_network
from digitnet.cli import main as digitnet

VIDEO = "--layers 784,16,16,10"
# The recipes that made the shipped networks: named presets of digitnet.recipe (the README
# spells them out option by option; tests/test_recipe.py checks that both are the same).
WIDE_RECIPE = "--preset wide"
VIDEO_RECIPE = "--preset video"
ROWS: list[tuple[str, str, str]] = [
    (
        "the video's net, sigmoid, quadratic cost, plain SGD",
        "95.0%",
        f"{VIDEO} --activation sigmoid --output-activation sigmoid --cost quadratic "
        "--optimizer sgd --lr 3.0 --batch-size 10 --epochs 60 --schedule cosine --init xavier "
        "--augment small --validation-size 0",
    ),
    (
        "the same without random distortions of the training images",
        "-",
        f"{VIDEO} --activation sigmoid --output-activation sigmoid --cost quadratic "
        "--optimizer sgd --lr 3.0 --batch-size 10 --epochs 60 --schedule cosine --init xavier "
        "--augment none --validation-size 0",
    ),
    (
        "the video's net, best recipe (same 13,002 parameters, deslanted): the shipped `video`",
        "97.0%",
        VIDEO_RECIPE,
    ),
    (
        "`digitnet train` with no options (the README's first command)",
        "-",
        "",
    ),
    (
        "Nielsen's chapter-1 run: 784-30-10, sigmoid, quadratic, SGD eta 3.0, batch 10, 30 epochs",
        "about 95%",
        "--nielsen",
    ),
    (
        "a wide fully connected network: the shipped `wide`",
        "99.4%",
        WIDE_RECIPE,
    ),
]


def run_row(arguments: str, folder: Path) -> tuple[float, float]:
    """Train with ``digitnet train ARGUMENTS``; return (test accuracy, seconds)."""
    out = folder / "model.safetensors"
    argv = ["train", *shlex.split(arguments), "-q", "-o", str(out)]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = digitnet(argv)
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"digitnet {' '.join(argv)} failed with exit code {code}")
    return float(load_network(out).metadata["test_accuracy"]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", help="row numbers to run (1-based)")
    args = parser.parse_args()
    chosen = args.rows or list(range(1, len(ROWS) + 1))
    print("| run | must reach | test accuracy | training time | command |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for number in chosen:
            name, target, arguments = ROWS[number - 1]
            accuracy, seconds = run_row(arguments, Path(tmp))
            print(
                f"| {name} | {target} | **{accuracy:.2%}** | {seconds / 60:.1f} min | "
                f"`digitnet train {arguments}` |",
                flush=True,
            )


if __name__ == "__main__":
    main()
