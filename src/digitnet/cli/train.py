"""``digitnet train``: train a network on MNIST with a recipe, show progress, save it.

Every training option comes from :class:`digitnet.recipe.Recipe`: its flag, type, choices,
help and default. ``--preset`` (or ``--nielsen``) picks a named recipe; an option given on
the command line always wins over the preset.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Any

from digitnet.cli.common import number, parse_layers, whole_number
from digitnet.errors import DigitnetError
from digitnet.recipe import PRESETS, Recipe


def _quick_recipe() -> str:
    """The recipe of ``digitnet train`` with no options, in words, from the quick preset."""
    quick = Recipe.preset("quick")
    optimizer = "plain gradient descent" if quick.optimizer == "sgd" else quick.optimizer
    augment = "no" if quick.augment == "none" else quick.augment
    digits = "deslanted" if quick.preprocessing == "deslant" else "unchanged"
    return (
        f"{quick.hidden_activation} hidden layers, {quick.output_activation} outputs, "
        f"{quick.cost.replace('_', '-')} cost, {optimizer} with learning rate "
        f"{quick.learning_rate:g} and {quick.schedule} decay, mini-batch {quick.batch_size}, "
        f"{augment} random distortions, {digits} digits, {quick.epochs} epochs"
    )


DESCRIPTION = (
    "Train a network with mini-batch gradient descent and backpropagation. With no options: "
    f"the video's network 784-16-16-10 ({_quick_recipe()}): about 96% of MNIST's test "
    "digits in a few seconds. --preset picks another recipe: nielsen (Nielsen's chapter-1 "
    "run: 784-30-10, quadratic cost, SGD eta 3.0, mini-batch 10, 30 epochs), video or wide "
    "(the shipped networks' recipes), page (the web page's Learn tab). Options given "
    "explicitly always win over the preset's."
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``train``: one option per recipe field, plus data and output options."""
    t: argparse.ArgumentParser = subparsers.add_parser(
        "train",
        help="train a network on MNIST (by default the video's 784-16-16-10)",
        description=DESCRIPTION,
    )
    recipe = t.add_argument_group("recipe (defaults: the quick preset's)")
    defaults = Recipe.preset("quick")
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
        default=None,
        help=f"where to save the trained model (default: {DEFAULT_OUTPUT})",
    )
    t.add_argument(
        "--checkpoint",
        default=None,
        metavar="FILE",
        help="after every epoch, save here (atomically) everything needed to continue the run "
        "with --resume: weights, optimizer state, random generator, epoch, history, recipe",
    )
    t.add_argument(
        "--resume",
        default=None,
        metavar="FILE",
        help="continue the run saved in this checkpoint where it stopped (the recipe, data and "
        "output come from it); it ends with the same weights as a run never interrupted",
    )
    t.add_argument(
        "--save-best",
        default=None,
        metavar="FILE",
        help="also save the model here whenever validation accuracy improves",
    )
    t.add_argument(
        "--snapshots",
        action="store_true",
        help="keep the parameters after every epoch in the model file (thinned for wide "
        "networks), to replay the learning: digitnet show replay, the page's epoch slider",
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
    from digitnet.runner import run_recipe, split_data

    run = start_or_resume(args)
    out = check_output(run.output)
    best_file = check_output(args.save_best) if args.save_best else None
    mnist = load_mnist(run.data_dir)
    split = split_data(run.recipe, mnist)
    progress = Progress(run.recipe.epochs, len(split.train), quiet=args.quiet)
    progress.say(
        f"{run.net}\ntraining on {len(split.train):,} images, validating on "
        f"{len(split.validation):,}" + run.continuing()
    )
    from digitnet.replay import SnapshotRecorder, save_with_snapshots

    recorder = SnapshotRecorder() if args.snapshots else None
    if recorder is not None and run.state is None:  # a fresh run: the untrained net is epoch 0
        recorder.start(run.net)

    def on_epoch(metrics: Any, net: Any) -> None:
        progress.epoch(metrics, net)
        if recorder is not None:
            recorder(metrics, net)

    try:
        trained = run_recipe(
            run.recipe,
            mnist=mnist,
            dataset=mnist.source if run.data_dir else "MNIST",
            net=run.net,
            on_batch=progress.batch,
            on_epoch=on_epoch,
            save_best=best_file,
            state=run.state,
            on_state=run.keep,
            split=split,
        )
    except KeyboardInterrupt:
        progress.close()
        print(run.interrupted(), file=sys.stderr)
        return 130
    if recorder is not None:
        recorder.finish(trained.net, len(trained.net.metadata.get("history", [])))
        save_with_snapshots(trained.net, out, recorder.snapshots)
    else:
        trained.net.save(out)
    best = trained.best_validation
    print(
        f"test accuracy {trained.test_accuracy:.2%} on {len(trained.split.test):,} test images"
        + (f" (best validation {best:.2%})" if best is not None else "")
    )
    print(f"saved {out}")
    return 0


DEFAULT_OUTPUT = "digitnet-model.safetensors"


class Run:
    """A new run of ``digitnet train``, or one continued from a checkpoint: its recipe,
    network, state, and where its output and checkpoints go."""

    def __init__(self, recipe: Recipe, net: Any, state: Any, context: dict[str, Any]) -> None:
        self.recipe, self.net, self.state, self.context = recipe, net, state, context
        self.output: str = context["output"]
        self.data_dir: str | None = context.get("data_dir")
        self.last: tuple[Any, Any] | None = None

    def keep(self, net: Any, state: Any) -> None:
        """After every epoch: remember the state, and write it to --checkpoint if given."""
        from digitnet.checkpoint import write_checkpoint

        state.context = self.context
        self.last = (net, state)
        if self.context.get("checkpoint"):
            write_checkpoint(self.context["checkpoint"], net, state)

    def continuing(self) -> str:
        if self.state is None:
            return ""
        return f"; continuing after epoch {self.state.epochs_done} of {self.recipe.epochs}"

    def interrupted(self) -> str:
        """Save the last state (Ctrl+C) and say how to continue."""
        from digitnet.checkpoint import checkpoint_path_for, write_checkpoint

        if self.last is None:
            return "digitnet: interrupted before training began; nothing to continue"
        net, state = self.last
        path = Path(self.context.get("checkpoint") or checkpoint_path_for(self.output))
        write_checkpoint(path, net, state)
        return (
            f"digitnet: interrupted; the run after epoch {state.epochs_done} of "
            f"{self.recipe.epochs} is saved in {path}\ncontinue with: digitnet train --resume "
            f"{shlex.quote(str(path))}"
        )


def start_or_resume(args: argparse.Namespace) -> Run:
    """The run the command line asks for: a new one from the recipe, or ``--resume FILE``."""
    from digitnet.checkpoint import read_checkpoint
    from digitnet.runner import build_network

    if args.resume is None:
        recipe = recipe_from(args)
        context = {
            "output": args.output or DEFAULT_OUTPUT,
            "data_dir": args.data_dir,
            "checkpoint": args.checkpoint,
        }
        return Run(recipe, build_network(recipe), None, context)
    given = [f"--{f.name.replace('_', '-')}" for f in dataclasses.fields(Recipe)]
    given = [flag for flag, f in zip(given, dataclasses.fields(Recipe), strict=True)
             if getattr(args, f.name, None) is not None]  # fmt: skip
    if given or args.preset != "quick" or args.data_dir:
        raise DigitnetError(
            f"--resume continues the checkpoint's own recipe and data; leave out "
            f"{', '.join(given) or '--preset/--data-dir'}"
        )
    net, state = read_checkpoint(args.resume)
    recipe = Recipe.from_dict(net.metadata["training"])
    context = {
        "output": args.output or state.context.get("output") or DEFAULT_OUTPUT,
        "data_dir": state.context.get("data_dir"),
        "checkpoint": args.checkpoint or str(args.resume),
    }
    return Run(recipe, net, state, context)


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

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def epoch(self, m: Any, _: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        val = "" if m.validation_accuracy is None else f"  val {m.validation_accuracy:6.2%}"
        self.say(
            f"epoch {m.epoch:3d}/{self.epochs}  loss {m.loss:.4f}  train "
            f"{m.train_accuracy:6.2%}{val}  {m.images_per_second:9,.0f} img/s  {m.seconds:.2f} s"
        )
