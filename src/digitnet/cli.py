"""The ``digitnet`` command: train, evaluate, inspect, predict, serve and draw networks.

Every command that takes a MODEL accepts a model file path or the name of a shipped network
(``video``, the default, or ``wide``). Errors a person can fix print one sentence and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from digitnet import __version__
from digitnet.errors import DigitnetError

# Sub-commands that live in their own modules: each has add_parser(subparsers) and run(args).
PLUGINS = ("digitnet.cli_predict", "digitnet.cli_serve", "digitnet.cli_show")

AUGMENT_PRESETS: dict[str, dict[str, float]] = {
    "none": {},
    "small": {"shift": 1.0, "rotate": 5.0, "scale": 0.05},
    "light": {"shift": 2.0, "rotate": 10.0, "scale": 0.1},
    "full": {"shift": 2.5, "rotate": 15.0, "scale": 0.15, "elastic": 1.5, "thickness": 0.3},
}

# What `digitnet train` with no options runs: the video's network (sigmoid hidden neurons)
# with a quick recipe: 95.7% in well under a minute. The shipped `video` network adds a
# teacher and more epochs (see benchmarks/accuracy.py).
DEFAULT_RECIPE: dict[str, Any] = {
    "layers": "784,16,16,10",
    "activation": "sigmoid",
    "output_activation": "softmax",
    "cost": "cross_entropy",
    "optimizer": "adam",
    "learning_rate": 0.003,
    "batch_size": 32,
    "epochs": 30,
    "schedule": "cosine",
    "init": "xavier",
    "augment": "small",
}


def _parse_layers(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.replace("-", ",").split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"layers must be numbers separated by commas, such as 784,16,16,10 (got {text!r})"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"layers need at least an input and an output size, each at least 1 (got {text!r})"
        )
    return sizes


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def add_model_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model",
        nargs="?",
        default="video",
        metavar="MODEL",
        help="model file, or a shipped network: video (default) or wide",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``digitnet`` command, with every sub-command."""
    from digitnet.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
    from digitnet.optimizers import OPTIMIZERS, SCHEDULES

    parser = argparse.ArgumentParser(
        prog="digitnet",
        description="The neural network of 3Blue1Brown's 'But what is a neural network?': "
        "it learns MNIST's handwritten digits, reads yours, and shows what happens inside.",
    )
    parser.add_argument("--version", action="version", version=f"digitnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    d = DEFAULT_RECIPE
    t = sub.add_parser(
        "train",
        help="train a network on MNIST (by default the video's 784-16-16-10)",
        description="Train a network with mini-batch gradient descent and backpropagation. "
        "With no options: the video's network 784-16-16-10 (sigmoid hidden layers, softmax "
        "outputs, cross-entropy, Adam, small random distortions), over 95% in under a "
        "minute. --nielsen gives Nielsen's chapter-1 recipe (784-30-10, quadratic cost, SGD "
        "eta 3.0, mini-batch 10, 30 epochs).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    t.add_argument(
        "--layers",
        type=_parse_layers,
        default=_parse_layers(d["layers"]),
        help="neurons per layer, input first",
    )
    t.add_argument(
        "--activation",
        choices=HIDDEN_ACTIVATIONS,
        default=d["activation"],
        help="activation of the hidden layers",
    )
    t.add_argument(
        "--output-activation",
        choices=OUTPUT_ACTIVATIONS,
        default=d["output_activation"],
        help="activation of the output layer",
    )
    t.add_argument("--cost", choices=("quadratic", "cross_entropy"), default=d["cost"])
    t.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"])
    t.add_argument("--momentum", type=float, default=0.9, help="for --optimizer momentum")
    t.add_argument(
        "--lr",
        "--learning-rate",
        dest="learning_rate",
        type=_positive_float,
        default=d["learning_rate"],
        help="learning rate (eta)",
    )
    t.add_argument(
        "--batch-size", type=positive_int, default=d["batch_size"], help="mini-batch size"
    )
    t.add_argument("--epochs", type=positive_int, default=d["epochs"])
    t.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay lambda")
    t.add_argument(
        "--schedule", choices=SCHEDULES, default=d["schedule"], help="learning-rate schedule"
    )
    t.add_argument(
        "--step-every",
        type=positive_int,
        default=10,
        help="for --schedule step: epochs between steps",
    )
    t.add_argument(
        "--step-factor",
        type=_positive_float,
        default=0.5,
        help="for --schedule step: factor applied at each step",
    )
    t.add_argument(
        "--init",
        choices=("normal", "xavier", "he"),
        default=d["init"],
        help="initial weights: N(0,1) as in Nielsen's book, Xavier or He",
    )
    t.add_argument(
        "--early-stopping",
        type=int,
        default=0,
        metavar="PATIENCE",
        help="stop after this many epochs without a better validation accuracy "
        "and keep the best epoch's weights (0 = off)",
    )
    t.add_argument(
        "--validation-size",
        type=int,
        default=10_000,
        help="the last N training images form the validation set",
    )
    t.add_argument(
        "--augment",
        choices=tuple(AUGMENT_PRESETS),
        default=d["augment"],
        help="random distortions of training images (shift, rotate, scale, "
        "elastic, stroke thickness)",
    )
    t.add_argument(
        "--teacher",
        default=None,
        metavar="MODEL",
        help="learn also from this network's answers (knowledge distillation)",
    )
    t.add_argument(
        "--distill-weight",
        type=float,
        default=0.7,
        help="with --teacher: share of the teacher's answers in the wanted output",
    )
    t.add_argument(
        "--temperature",
        type=_positive_float,
        default=2.0,
        help="with --teacher: softening of the teacher's answers",
    )
    t.add_argument("--seed", type=int, default=0, help="seed: same seed, same weights")
    t.add_argument("--threads", type=int, default=0, help="BLAS threads (0 = choose)")
    t.add_argument(
        "--limit",
        type=positive_int,
        default=None,
        help="train on only the first N training images (quick experiments)",
    )
    t.add_argument(
        "--data-dir",
        default=None,
        help="folder with a dataset in MNIST's four IDX files (e.g. Fashion-MNIST)",
    )
    t.add_argument(
        "--nielsen",
        action="store_true",
        help="Nielsen's chapter-1 recipe (overrides layers, cost, optimizer, lr, "
        "batch size, epochs, schedule)",
    )
    t.add_argument(
        "-o",
        "--output",
        default="digitnet-model.safetensors",
        help="where to save the trained model",
    )
    t.add_argument(
        "--checkpoint",
        default=None,
        metavar="FILE",
        help="also save the model here whenever validation accuracy improves",
    )
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("evaluate", help="test accuracy, accuracy per digit, confusion matrix")
    add_model_argument(e)
    e.add_argument("--json", action="store_true", help="print JSON for scripts")
    e.add_argument("--data-dir", default=None, help="evaluate on another IDX dataset")

    i = sub.add_parser("info", help="layers, parameter counts and training recipe of a model")
    add_model_argument(i)
    i.add_argument("--json", action="store_true", help="print JSON for scripts")

    dl = sub.add_parser(
        "download",
        help="download MNIST from the public mirrors into the cache (checked by SHA-256)",
        description="digitnet ships MNIST, so this is only needed where the bundled files were "
        "removed. Files are checked by SHA-256; a corrupt or truncated file is never kept.",
    )
    dl.add_argument(
        "--cache-dir", default=None, help="default: $DIGITNET_CACHE or ~/.cache/digitnet"
    )
    dl.add_argument(
        "--mirror",
        action="append",
        default=None,
        metavar="URL",
        help="base URL to try instead of the usual mirrors (repeatable)",
    )

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        before = set(sub.choices)
        module.add_parser(sub)
        for command in set(sub.choices) - before:
            sub.choices[command].set_defaults(run=module.run)
    return parser


def _load(model: str) -> Any:
    from digitnet.modelfile import load_network

    return load_network(model)


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from digitnet.data import load_mnist, split_validation
    from digitnet.files import check_output
    from digitnet.network import Network
    from digitnet.training import EpochMetrics, TrainingConfig, train

    if args.nielsen:
        args.layers, args.cost, args.optimizer = [784, 30, 10], "quadratic", "sgd"
        args.learning_rate, args.batch_size, args.epochs = 3.0, 10, 30
        args.schedule, args.activation, args.output_activation = "constant", "sigmoid", "sigmoid"
        args.init, args.augment, args.validation_size = "normal", "none", 10_000
    config = TrainingConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        cost=args.cost,
        optimizer=args.optimizer,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        step_every=args.step_every,
        step_factor=args.step_factor,
        early_stopping=args.early_stopping,
        validation_size=args.validation_size,
        augment=AUGMENT_PRESETS[args.augment],
        teacher=args.teacher or "",
        distill_weight=args.distill_weight,
        temperature=args.temperature,
        seed=args.seed,
        threads=args.threads,
    )
    config.validate()
    teacher = _load(args.teacher) if args.teacher else None
    mnist = load_mnist(args.data_dir)
    train_set, validation = split_validation(mnist.train, args.validation_size)
    if args.limit:
        train_set = train_set.subset(0, min(args.limit, len(train_set)))
    net = Network(args.layers, args.activation, args.output_activation, args.init, args.seed)
    if net.sizes[0] != 784 or net.sizes[-1] != 10:
        raise DigitnetError(
            f"MNIST needs 784 input and 10 output neurons; --layers gave {net.sizes[0]} "
            f"and {net.sizes[-1]}"
        )
    out = check_output(args.output)
    say = (lambda *a: None) if args.quiet else print
    say(f"{net}\ntraining on {len(train_set):,} images, validating on {len(validation):,}")
    bar: Any = None

    def on_batch(epoch: int, done: int, loss: float) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(
                total=len(train_set),
                unit="img",
                unit_scale=True,
                leave=False,
                desc=f"epoch {epoch}/{args.epochs}",
                file=sys.stderr,
            )
        bar.update(done - bar.n)
        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def on_epoch(m: EpochMetrics, _: Network) -> None:
        nonlocal bar
        if bar is not None:
            bar.close()
            bar = None
        val = "" if m.validation_accuracy is None else f"  val {m.validation_accuracy:6.2%}"
        say(
            f"epoch {m.epoch:3d}/{args.epochs}  loss {m.loss:.4f}  train "
            f"{m.train_accuracy:6.2%}{val}  {m.images_per_second:9,.0f} img/s  {m.seconds:.2f} s"
        )

    history = train(
        net,
        train_set.images,
        train_set.labels,
        config,
        (validation.images, validation.labels),
        on_batch=on_batch,
        on_epoch=on_epoch,
        teacher=teacher,
        checkpoint=check_output(args.checkpoint) if args.checkpoint else None,
    )
    test_accuracy = net.accuracy(mnist.test.images, mnist.test.labels)
    net.metadata["test_accuracy"] = test_accuracy
    net.metadata["dataset"] = mnist.source if args.data_dir else "MNIST"
    net.save(out)
    best = max((h.validation_accuracy or 0.0) for h in history)
    print(f"test accuracy {test_accuracy:.2%} on {len(mnist.test):,} test images", end="")
    print(f" (best validation {best:.2%})" if validation and len(validation) else "")
    print(f"saved {out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from digitnet.data import load_mnist
    from digitnet.metrics import evaluation

    net = _load(args.model)
    test = load_mnist(args.data_dir).test
    result = {"model": args.model, **evaluation(net, test.images, test.labels)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.model}: {net}")
    print(f"test accuracy {result['accuracy']:.2%} ({result['correct']:,} of {result['images']:,})")
    print("accuracy per digit:")
    for digit, acc in enumerate(result["per_digit"]):
        print(f"  {digit}: {acc:6.2%}")
    print("confusion matrix (rows: true digit, columns: the network's answer):")
    print("      " + "".join(f"{c:>6d}" for c in range(len(result["confusion"]))))
    for digit, row in enumerate(result["confusion"]):
        print(f"  {digit:>3d} " + "".join(f"{v:>6d}" for v in row))
    return 0


def info(net: Any) -> dict[str, Any]:
    """A model's layout and training facts, as a dict for ``digitnet info --json``."""
    layers = []
    for i, (w, b) in enumerate(net.parameter_counts(), start=1):
        layers.append(
            {
                "from": net.sizes[i - 1],
                "to": net.sizes[i],
                "weights": w,
                "biases": b,
                "activation": net.activation_of(i).name,
            }
        )
    meta = net.metadata
    history = meta.get("history", [])
    return {
        "sizes": net.sizes,
        "parameters": net.num_parameters,
        "layers": layers,
        "training": meta.get("training"),
        "epochs_trained": len(history),
        "test_accuracy": meta.get("test_accuracy"),
        "digitnet_version": meta.get("digitnet_version"),
    }


def cmd_info(args: argparse.Namespace) -> int:
    net = _load(args.model)
    data = info(net)
    if args.json:
        print(json.dumps(data))
        return 0
    print(f"{args.model}: {'-'.join(map(str, net.sizes))}, {data['parameters']:,} parameters")
    print(f"  input layer: {net.sizes[0]} neurons (the pixels)")
    for i, layer in enumerate(data["layers"], start=1):
        kind = "output layer" if i == len(data["layers"]) else f"hidden layer {i}"
        print(
            f"  {kind}: {layer['to']} neurons, {layer['activation']}; "
            f"{layer['weights']:,} weights ({layer['from']}x{layer['to']}) + "
            f"{layer['biases']} biases = {layer['weights'] + layer['biases']:,}"
        )
    if data["training"]:
        t = data["training"]
        print(
            f"  trained {data['epochs_trained']} epochs: {t['cost']} cost, {t['optimizer']}, "
            f"lr {t['learning_rate']}, mini-batch {t['batch_size']}, schedule {t['schedule']}"
        )
    if data["test_accuracy"] is not None:
        print(f"  test accuracy {data['test_accuracy']:.2%}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from digitnet.data import download_mnist, load_mnist

    folder = download_mnist(args.cache_dir, args.mirror)
    mnist = load_mnist(folder)
    print(f"MNIST in {folder}: {len(mnist.train):,} training and {len(mnist.test):,} test images")
    return 0


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "info": cmd_info,
    "download": cmd_download,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``digitnet`` command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler = COMMANDS.get(args.command) or args.run
    try:
        return int(handler(args))
    except (DigitnetError, FloatingPointError) as exc:
        print(f"digitnet: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"digitnet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("digitnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
