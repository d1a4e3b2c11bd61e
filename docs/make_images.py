"""Draw the pictures of docs/figures.md (and the README) from the shipped networks.

    python docs/make_images.py            # writes docs/images/*.png

Run it again whenever the shipped networks in src/digitnet/pretrained change.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from digitnet import (
    figures,  # noqa: E402
    load_network,  # noqa: E402
)
from digitnet.data import load_mnist  # noqa: E402
from digitnet.slant import input_for  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
DIAGRAM_DIGIT = 0  # test digit drawn in network.png (a 7)


def pictures() -> dict[str, Callable[[], Figure]]:
    """File name -> function drawing it."""
    video = load_network("video")
    wide = load_network("wide")
    test = load_mnist().test
    wrong, _, _ = figures.find_mistakes(video, test.images, test.labels)
    surest = int(wrong[0]) if len(wrong) else 1

    def read(image: object) -> object:
        return input_for(video.metadata, image)  # the test digit as the network reads it

    return {
        "weights.png": lambda: figures.weight_grid(video),
        "weight-matrices.png": lambda: figures.weight_matrices(video),
        "network.png": lambda: figures.network_diagram(
            video, read(test.images[DIAGRAM_DIGIT]), label=int(test.labels[DIAGRAM_DIGIT])
        ),
        "network-mistake.png": lambda: figures.network_diagram(
            video, read(test.images[surest]), label=int(test.labels[surest])
        ),
        "curves.png": lambda: figures.curves(video),
        "confusion.png": lambda: figures.confusion(video, test.images, test.labels),
        "mistakes.png": lambda: figures.mistakes(video, test.images, test.labels, n=18),
        "features.png": lambda: figures.features(video, 1, images=test.images),
        "features-layer2.png": lambda: figures.features(video, 2, images=test.images),
        "wide-weights.png": lambda: figures.weight_grid(wide, max_neurons=64),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder to write to")
    parser.add_argument("--dpi", type=int, default=90)
    parser.add_argument("only", nargs="*", help="draw only these files (e.g. weights.png)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    todo = pictures()
    unknown = sorted(set(args.only) - set(todo))
    if unknown:
        parser.error(f"unknown picture(s) {', '.join(unknown)}; choose from {', '.join(todo)}")
    for name, draw in todo.items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        path = figures.save_figure(draw(), args.out / name, dpi=args.dpi)
        size = path.stat().st_size / 1024
        print(f"wrote {path} ({size:,.0f} KiB, {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
