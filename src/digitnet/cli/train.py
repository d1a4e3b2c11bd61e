"""``digitnet train``: train a network on MNIST with a recipe, show progress, save it.

Every training option comes from :class:`digitnet.recipe.Recipe`: its flag, type, choices,
help and default. ``--preset`` (or ``--nielsen``) picks a named recipe; an option given on
the command line always wins over the preset.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from digitnet.cli.common import number, parse_layers, whole_number
from digitnet.recipe import PRESETS, Recipe

DESCRIPTION = (
    "Train a network with mini-batch gradient descent and backpropagation. With no options: "
    "the video's network 784-16-16-10 (sigmoid hidden layers, softmax outputs, cross-entropy, "
    "Adam, small random distortions), over 95%% in under a minute. --preset picks another "
    "recipe: nielsen (Nielsen's chapter-1 run: 784-30-10, quadratic cost, SGD eta 3.0, "
    "mini-batch 10, 30 epochs), video or wide (the shipped networks' recipes), page (the web "
    "page's Learn tab). Options given explicitly always win over the preset's."
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``train``: one option per recipe field, plus data and output options."""
    t: argparse.ArgumentParser = subparsers.add_parser(
        "train",
        help="train a network on MNIST (by default the video's 784-16-16-10)",
        description=DESCRIPTION,
    )
    recipe = t.add_argument_group("recipe (defaults: the quick preset's)")
    defaults = Recipe()
    for f in dataclasses.fields(Recipe):
        add_recipe_option(recipe, f, getattr(defaults, f.name))
    t.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="quick",
        help="named recipe whose values are the defaults (default: quick)",
    )
    t.add_argument(
        "--nielsen",
        dest="preset",
        action="store_const",
        const="nielsen",
        help="the same as --preset nielsen",
    )
    t.add_argument(
        "--data-dir",
        default=None,
        help="folder with a dataset in MNIST's four IDX files (e.g. Fashion-MNIST)",
    )
    t.add_argument(
        "-o",
        "--output",
        default="digitnet-model.safetensors",
        help="where to save the trained model (default: digitnet-model.safetensors)",
    )
    t.add_argument(
        "--checkpoint",
        default=None,
        metavar="FILE",
        help="also save the model here whenever validation accuracy improves",
    )
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return t


METAVARS: dict[Any, str] = {
    whole_number: "N",
    number: "X",
    str: "TEXT",
    "layers": "SIZES",
    "teacher": "MODEL",
    "early_stopping": "PATIENCE",
}


def add_recipe_option(group: Any, f: dataclasses.Field[Any], default: Any) -> None:
    """``--name-with-dashes`` (and the field's other flags) for one recipe field."""
    flags = (*f.metadata["flags"], "--" + f.name.replace("_", "-"))
    kinds = {int: whole_number, float: number}
    kind = parse_layers if f.name == "layers" else kinds.get(type(default), str)
    shown = ",".join(map(str, default)) if f.name == "layers" else default
    if default == "":
        shown = "none"
    group.add_argument(
        *flags,
        dest=f.name,
        type=kind,
        choices=f.metadata["choices"],
        default=None,  # None: not given, so the preset's value holds
        metavar=None if f.metadata["choices"] else METAVARS.get(f.name) or METAVARS[kind],
        help=f"{f.metadata['help']} (default: {shown!s})",
    )


def recipe_from(args: argparse.Namespace) -> Recipe:
    """The preset's recipe with every option given on the command line over it."""
    given = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Recipe)
        if getattr(args, f.name, None) is not None
    }
    return Recipe.preset(args.preset, **given)


def run(args: argparse.Namespace) -> int:
    from digitnet.data import load_mnist
    from digitnet.files import check_output
    from digitnet.runner import build_network, run_recipe, split_data

    recipe = recipe_from(args)
    out = check_output(args.output)
    checkpoint = check_output(args.checkpoint) if args.checkpoint else None
    mnist = load_mnist(args.data_dir)
    split = split_data(recipe, mnist)
    net = build_network(recipe)
    progress = Progress(recipe.epochs, len(split.train), quiet=args.quiet)
    progress.say(
        f"{net}\ntraining on {len(split.train):,} images, validating on {len(split.validation):,}"
    )
    trained = run_recipe(
        recipe,
        mnist=mnist,
        dataset=mnist.source if args.data_dir else "MNIST",
        net=net,
        on_batch=progress.batch,
        on_epoch=progress.epoch,
        checkpoint=checkpoint,
    )
    trained.net.save(out)
    best = trained.best_validation
    print(
        f"test accuracy {trained.test_accuracy:.2%} on {len(trained.split.test):,} test images"
        + (f" (best validation {best:.2%})" if best is not None else "")
    )
    print(f"saved {out}")
    return 0


class Progress:
    """A tqdm bar per epoch and a line when each epoch ends (nothing with ``quiet``)."""

    def __init__(self, epochs: int, images: int, quiet: bool) -> None:
        self.epochs, self.images, self.quiet = epochs, images, quiet
        self.bar: Any = None

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text)

    def batch(self, epoch: int, done: int, loss: float) -> None:
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.images,
                unit="img",
                unit_scale=True,
                leave=False,
                desc=f"epoch {epoch}/{self.epochs}",
                file=sys.stderr,
            )
        self.bar.update(done - self.bar.n)
        self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def epoch(self, m: Any, _: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        val = "" if m.validation_accuracy is None else f"  val {m.validation_accuracy:6.2%}"
        self.say(
            f"epoch {m.epoch:3d}/{self.epochs}  loss {m.loss:.4f}  train "
            f"{m.train_accuracy:6.2%}{val}  {m.images_per_second:9,.0f} img/s  {m.seconds:.2f} s"
        )
