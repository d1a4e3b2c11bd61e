"""``digitnet show embedding`` and ``digitnet show robustness``: the pictures of "Beyond the
video" (docs/beyond.md), registered in :mod:`digitnet.cli.show`'s sub-commands."""

from __future__ import annotations

import argparse
from typing import Any

from digitnet.cli.common import positive_int
from digitnet.errors import DigitnetError


def add_parsers(pictures: Any, add_common: Any) -> None:
    """Register ``embedding`` and ``robustness`` under ``show``."""
    p = pictures.add_parser(
        "embedding",
        help="a map of the test digits for each layer (PCA), coloured by digit",
        description="Each layer's activations for the test digits, projected on their two "
        "principal directions (PCA), coloured by digit, with the layer's nearest-centre "
        "accuracy (the share of digits closer to their own digit's centre than to any "
        "other's): the clusters separate from the input to the output.",
    )
    add_common(p, "embedding", data=True)
    p.add_argument(
        "--layer",
        type=int,
        default=None,
        help="draw only this layer (0 = the input pixels; default: every layer)",
    )
    p.add_argument(
        "--n", type=positive_int, default=10_000, help="test digits placed (the first N)"
    )
    p.add_argument(
        "--method",
        choices=("pca", "tsne"),
        default="pca",
        help="how each layer is flattened to 2-D: PCA (instant), or t-SNE (needs scikit-learn; "
        "keeps near neighbours near, but slow: 1,000 digits take about 25 s of CPU per layer, "
        "so try --n 1000)",
    )

    add_replay_parser(pictures, add_common)
    p = pictures.add_parser(
        "robustness",
        help="test accuracy against rotation, shift, scale, thickness and noise, side by side",
        description="The test accuracy of each network as the test digits are turned, moved, "
        "scaled, made thinner or bolder (digitnet.augment's warp) or covered in Gaussian "
        "noise, a little more at each step; the networks side by side.",
    )
    add_common(p, "robustness", data=True)
    p.add_argument(
        "--models",
        default="video,wide",
        metavar="M,M",
        help="the networks to compare, separated by commas (files or shipped names); a MODEL "
        "given instead draws that one alone",
    )
    p.add_argument("--n", type=positive_int, default=10_000, help="test digits used (the first N)")


def add_replay_parser(pictures: Any, add_common: Any) -> None:
    p = pictures.add_parser(
        "replay",
        help="the first layer's weights and one digit's answer through training (snapshots)",
        description="From a model trained with `digitnet train --snapshots`: the first "
        "layer's weights (16 neurons) and the answer for one test digit at several epochs, "
        "over the accuracy curve. Watch it learn. An output name ending in .gif gives an "
        "animation instead, one frame per snapshot.",
    )
    add_common(p, "replay", data=True)
    p.add_argument(
        "--test-index", type=int, default=0, metavar="N", help="the test digit to answer"
    )
    p.add_argument("--columns", type=positive_int, default=8, help="epochs shown at most")
    p.add_argument(
        "--frame-ms",
        type=positive_int,
        default=500,
        metavar="MS",
        help="in a .gif: how long each epoch shows, in milliseconds",
    )


def replay_figure(args: argparse.Namespace, net: Any, images: Any, labels: Any) -> Any:
    from digitnet import figures

    snapshots, image, label = replay_inputs(args, net, images, labels)
    return figures.replay(net, snapshots, image, label=label, columns=args.columns)


def replay_animation(args: argparse.Namespace, net: Any, images: Any, labels: Any) -> list[Any]:
    """``show replay -o NAME.gif``: one frame per snapshot."""
    from digitnet.figures.animation import replay_frames

    snapshots, image, label = replay_inputs(args, net, images, labels)
    return replay_frames(net, snapshots, image, label=label)


def replay_inputs(
    args: argparse.Namespace, net: Any, images: Any, labels: Any
) -> tuple[Any, Any, int]:
    """The model's snapshots, the test digit (0..1, as the network reads it) and its label,
    checked."""
    from digitnet.cli.common import model_of
    from digitnet.modelfile import PRETRAINED
    from digitnet.replay import read_snapshots

    name = model_of(args)
    snapshots = [] if name in PRETRAINED else read_snapshots(name)
    if not snapshots:
        raise DigitnetError(
            f"{name} has no snapshots to replay: train it with digitnet train --snapshots"
        )
    if not 0 <= args.test_index < len(images):
        raise DigitnetError(
            f"--test-index {args.test_index} is out of range: the test set has "
            f"{len(images):,} digits, numbered 0 to {len(images) - 1:,}"
        )
    from digitnet.slant import input_for

    digit = input_for(net.metadata, images[args.test_index])  # as the network reads it
    return snapshots, digit / 255.0, int(labels[args.test_index])


def embedding_figure(args: argparse.Namespace, net: Any, images: Any, labels: Any) -> Any:
    from digitnet import figures
    from digitnet.cli.common import require
    from digitnet.embedding import layer_maps

    if args.method == "tsne":
        require("show embedding --method tsne", "sklearn")  # before any work
    layers = None
    if args.layer is not None:
        if not 0 <= args.layer < net.num_layers:
            raise DigitnetError(
                f"--layer {args.layer} does not exist: this network's layers are 0 (the input) "
                f"to {net.num_layers - 1}"
            )
        layers = [args.layer]
    maps = layer_maps(net, images[: args.n], labels[: args.n], layers)
    if args.method == "tsne":
        from digitnet.slant import inputs_for

        inputs = inputs_for(net.metadata, images[: args.n])  # deslanted once for every layer
        maps = [tsne_map(net, inputs, labels[: args.n], m) for m in maps]
    return figures.embedding(maps, labels[: args.n], last=net.num_layers - 1)


def tsne_map(net: Any, inputs: Any, labels: Any, m: Any) -> Any:
    """Layer map ``m`` with its digits placed by scikit-learn's t-SNE instead of PCA;
    ``inputs`` are the digits as the network reads them (:func:`digitnet.slant.inputs_for`)."""
    import numpy as np
    from sklearn.manifold import TSNE

    from digitnet.embedding import with_points

    activations = net.layer_outputs(inputs, m.layer)
    perplexity = min(30.0, max(1.0, (len(activations) - 1) / 3))
    points = TSNE(2, init="pca", perplexity=perplexity, random_state=0).fit_transform(
        np.asarray(activations, dtype=np.float64)
    )
    return with_points(m, points, labels, "tsne")


def robustness_figure(args: argparse.Namespace, images: Any, labels: Any) -> Any:
    from digitnet import figures
    from digitnet.cli.common import model_of
    from digitnet.network import Network
    from digitnet.robustness import robustness_curves

    given = model_of(args, "") if (args.model_given or args.model_option) else ""
    names = [given] if given else [n.strip() for n in args.models.split(",") if n.strip()]
    if not names:
        raise DigitnetError("--models needs at least one model")
    curves = {
        name: robustness_curves(Network.load(name), images[: args.n], labels[: args.n])
        for name in names
    }
    return figures.robustness(curves)
