"""``digitnet show ...``: one picture of a network, from the command line.

``show`` draws one picture (weights, network, curves, confusion, mistakes or features) to a
PNG or SVG file. matplotlib is imported only when the command runs, so ``digitnet --help``
stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from digitnet.cli import show_beyond
from digitnet.cli.common import (
    add_model_argument,
    load_model,
    model_of,
    positive_int,
    progress_bar,
    require,
)
from digitnet.errors import DigitnetError

DEFAULT_NAMES = {
    "weights": "weights.png",
    "network": "network.png",
    "curves": "curves.png",
    "confusion": "confusion.png",
    "mistakes": "mistakes.png",
    "features": "features.png",
    "embedding": "embedding.png",
    "robustness": "robustness.png",
    "replay": "replay.png",
}
PICTURE_SUFFIXES = (".png", ".svg")


def _add_common(p: argparse.ArgumentParser, picture: str, *, data: bool = False) -> None:
    add_model_argument(p)
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help=f".png or .svg file to write (default: {DEFAULT_NAMES[picture]})",
    )
    p.add_argument("--dpi", type=positive_int, default=110, help="pixels per inch of a PNG")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    if data:
        p.add_argument(
            "--data-dir",
            default=None,
            help="use the test set of another IDX dataset instead of MNIST's",
        )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``show``, with one sub-command per picture."""
    show: argparse.ArgumentParser = subparsers.add_parser(
        "show",
        help="draw a picture of a network: weights, network, curves, confusion, mistakes, "
        "features, embedding, robustness, replay",
        description="Draw one picture of a network with matplotlib and save it as PNG or SVG.",
    )
    pictures = show.add_subparsers(dest="picture", metavar="PICTURE", required=True)

    p = pictures.add_parser(
        "weights",
        help="first-layer weights as 28x28 pictures, later layers as heat maps",
        description="Every first-layer neuron's 784 incoming weights as a 28x28 picture "
        "(blue positive, red negative, white zero), and the later layers' weight matrices as "
        "heat maps. Are these edge detectors?",
    )
    _add_common(p, "weights")
    p.add_argument(
        "--layer",
        type=positive_int,
        default=None,
        help="draw only this layer: 1 = the picture grid, 2 or more = that "
        "layer's incoming weight matrix",
    )
    p.add_argument(
        "--max-neurons",
        type=positive_int,
        default=64,
        help="wider first layers show this many neurons, those with the strongest outgoing weights",
    )
    p.add_argument(
        "--shared-scale",
        action="store_true",
        help="one colour scale for all pictures instead of one each",
    )

    p = pictures.add_parser(
        "network",
        help="the video's diagram of the network reading one digit",
        description="The input picture, each layer's neurons shaded by activation, the "
        "strongest connections coloured by sign and the output digits with the answer marked.",
    )
    _add_common(p, "network", data=True)
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--image",
        metavar="IMG",
        default=None,
        help="a picture of a digit (PNG, JPEG, ...), preprocessed like MNIST",
    )
    which.add_argument(
        "--test-index", type=int, default=None, metavar="N", help="test digit number N (default: 0)"
    )
    p.add_argument(
        "--connections",
        type=positive_int,
        default=30,
        help="connections drawn into each layer, the strongest ones",
    )

    p = pictures.add_parser(
        "curves",
        help="loss and accuracy per epoch, from the history in the model file",
        description="Loss and accuracy per epoch, training and validation.",
    )
    _add_common(p, "curves")

    p = pictures.add_parser(
        "confusion",
        help="the confusion matrix on the test set",
        description="How often each true digit (row) got each answer (column).",
    )
    _add_common(p, "confusion", data=True)

    p = pictures.add_parser(
        "mistakes",
        help="a gallery of misread test digits with truth, answer and confidence",
        description="The misread test digits the network was surest about.",
    )
    _add_common(p, "mistakes", data=True)
    p.add_argument("--count", type=positive_int, default=36, help="how many mistakes to show")

    p = pictures.add_parser(
        "features",
        help="what each hidden neuron looks for: its most exciting input, weights and digits",
        description="For each neuron of a layer: the input that excites it most (gradient "
        "ascent on the pixels, with the ink of an average digit), its weights and the test "
        "digits that excite it most.",
    )
    _add_common(p, "features", data=True)
    p.add_argument(
        "--layer",
        type=positive_int,
        default=1,
        help="which layer (1 = first hidden layer; the last is the output)",
    )
    p.add_argument(
        "--max-neurons",
        type=positive_int,
        default=16,
        help="wider layers show this many neurons, the most significant",
    )
    p.add_argument("--top", type=positive_int, default=5, help="test digits shown per neuron")
    p.add_argument("--steps", type=positive_int, default=200, help="gradient-ascent steps")

    show_beyond.add_parsers(pictures, _add_common)
    return show


def output_path(path: str | None, default: str, suffixes: tuple[str, ...]) -> Path:
    """The output path, checked before any work is done."""
    from digitnet.files import check_output

    return check_output(path if path is not None else default, suffixes, "picture")


def test_set(data_dir: str | None) -> tuple[Any, Any]:
    from digitnet.data import load_mnist

    test = load_mnist(data_dir).test
    return test.images, test.labels


def _figure(args: argparse.Namespace, net: Any) -> Any:
    from digitnet import figures

    what = args.picture
    if what == "weights":
        if args.layer is None:
            return figures.weights_overview(net, max_neurons=args.max_neurons)
        if args.layer >= net.num_layers:
            raise DigitnetError(
                f"--layer {args.layer} does not exist: this network's weight layers are 1 to "
                f"{net.num_layers - 1}"
            )
        if args.layer == 1:
            return figures.weight_grid(
                net, max_neurons=args.max_neurons, shared_scale=args.shared_scale
            )
        return figures.weight_matrices(net, [args.layer])
    if what == "network":
        label: int | None = None
        if args.image is not None:
            image = Path(args.image)
            if not image.is_file():
                raise DigitnetError(f"the image {image} does not exist")
            from digitnet.prediction import prepare_for

            prepared = prepare_for(net, image)
            if not prepared.found:
                raise DigitnetError(f"found no digit in {image}: {prepared.reason}")
            pixels = prepared.pixels
        else:
            images, labels = test_set(args.data_dir)
            index = 0 if args.test_index is None else args.test_index
            if not 0 <= index < len(images):
                raise DigitnetError(
                    f"--test-index {index} is out of range: the test set has {len(images):,} "
                    f"digits, numbered 0 to {len(images) - 1:,}"
                )
            from digitnet.slant import input_for

            pixels = input_for(net.metadata, images[index])  # as the network reads it
            label = int(labels[index])
        return figures.network_diagram(net, pixels, top_connections=args.connections, label=label)
    if what == "curves":
        if not net.metadata.get("history"):
            raise DigitnetError(
                f"{model_of(args)} has no training history, so there are no curves to draw"
            )
        return figures.curves(net)
    if what == "confusion":
        return figures.confusion(net, *test_set(args.data_dir))
    if what == "mistakes":
        return figures.mistakes(net, *test_set(args.data_dir), n=args.count)
    if what == "features":
        if args.layer >= net.num_layers:
            raise DigitnetError(
                f"--layer {args.layer} does not exist: this network's layers after the input "
                f"are 1 to {net.num_layers - 1}"
            )
        images, _ = test_set(args.data_dir)
        return figures.features(
            net,
            args.layer,
            max_neurons=args.max_neurons,
            k=args.top,
            images=images,
            steps=args.steps,
        )
    if what == "embedding":
        return show_beyond.embedding_figure(args, net, *test_set(args.data_dir))
    if what == "replay":
        return show_beyond.replay_figure(args, net, *test_set(args.data_dir))
    if what == "robustness":
        return show_beyond.robustness_figure(args, *test_set(args.data_dir))
    raise DigitnetError(f"unknown picture {what!r}")  # argparse prevents this


def run(args: argparse.Namespace) -> int:
    """Run ``show PICTURE``; return the exit code."""
    require("show", "matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from digitnet import figures

    animated = args.picture == "replay"  # a .gif name: one frame per snapshot
    suffixes = (*PICTURE_SUFFIXES, ".gif") if animated else PICTURE_SUFFIXES
    out = output_path(args.output, DEFAULT_NAMES[args.picture], suffixes)
    with progress_bar(3, f"show {args.picture}", quiet=args.quiet) as bar:
        bar.set_postfix_str("reading the model")
        net = load_model(args)
        bar.update(1)
        bar.set_postfix_str("computing and drawing")
        if out.suffix.lower() == ".gif":
            from digitnet.figures.animation import save_animation

            frames = show_beyond.replay_animation(args, net, *test_set(args.data_dir))
            bar.update(1)
            bar.set_postfix_str(f"writing {out.name}")
            save_animation(frames, out, frame_ms=args.frame_ms)
        else:
            fig = _figure(args, net)
            bar.update(1)
            bar.set_postfix_str(f"writing {out.name}")
            figures.save_figure(fig, out, dpi=args.dpi)
        bar.update(1)
    print(f"wrote {out}")
    return 0
