"""Draw the README's pictures of "Beyond the video" (docs/beyond.md) from the shipped networks.

    python docs/make_beyond_images.py             # writes docs/images/fooled.png, ...
    python docs/make_beyond_images.py fooled.png  # only some

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

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from digitnet import figures, load_network  # noqa: E402
from digitnet.data import load_mnist  # noqa: E402
from digitnet.embedding import layer_maps  # noqa: E402
from digitnet.fooling import fool  # noqa: E402
from digitnet.robustness import robustness_curves  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
#: Test digits fooled in fooled.png (a 7, a 2, a 1, a 0, a 4, a 9) and what they become.
FOOLED = {0: 3, 1: 8, 2: 7, 3: 6, 4: 9, 7: 4}


def fooled_png() -> Figure:
    video = load_network("video")
    test = load_mnist().test
    indices = np.array(list(FOOLED))
    result = fool(video, test.images[indices], np.array(list(FOOLED.values())))
    return figures.fooled_digits(video, result)


def embedding_png() -> Figure:
    video = load_network("video")
    test = load_mnist().test
    maps = layer_maps(video, test.images, test.labels)
    return figures.embedding(maps, test.labels, last=video.num_layers - 1)


def robustness_png() -> Figure:
    test = load_mnist().test
    curves = {
        name: robustness_curves(load_network(name), test.images, test.labels)
        for name in ("video", "wide")
    }
    return figures.robustness(curves)


def pictures() -> dict[str, Callable[[], Figure]]:
    """File name -> function drawing it."""
    return {
        "fooled.png": fooled_png,
        "embedding.png": embedding_png,
        "robustness.png": robustness_png,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder to write to")
    parser.add_argument("--dpi", type=int, default=90)
    parser.add_argument("only", nargs="*", help="draw only these files (e.g. fooled.png)")
    args = parser.parse_args(argv)
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
