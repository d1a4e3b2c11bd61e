# PYTHON_ARGCOMPLETE_OK  (shell completion: see the README's "Commands")
"""The ``digitnet`` command: train, evaluate, inspect, predict, serve and draw networks.

One module per command, each with ``add_parser(subparsers)`` and ``run(args)``; the table
:data:`COMMANDS` lists them all. Every command that takes a model accepts it as ``MODEL`` and
as ``--model MODEL``: a model file or a shipped network (``video``, the default, or ``wide``).
Errors a person can fix print one sentence and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from digitnet.cli import (
    download,
    evaluate,
    export,
    fool,
    info,
    predict,
    read,
    report,
    serve,
    show,
    teach,
    train,
)
from digitnet.cli.common import DefaultsFormatter
from digitnet.errors import DigitnetError
from digitnet.version import __version__

#: Every sub-command, in the order ``digitnet --help`` lists them, and its module.
COMMANDS: dict[str, ModuleType] = {
    "train": train,
    "evaluate": evaluate,
    "info": info,
    "predict": predict,
    "fool": fool,
    "read": read,
    "serve": serve,
    "show": show,
    "report": report,
    "download": download,
    "export": export,
    "teach": teach,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``digitnet`` command, with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="digitnet",
        description="The neural network of 3Blue1Brown's 'But what is a neural network?': "
        "it learns MNIST's handwritten digits, reads yours, and shows what happens inside.",
    )
    parser.add_argument("--version", action="version", version=f"digitnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        p = module.add_parser(sub)
        p.set_defaults(run=module.run)
    for p in all_parsers(parser):
        p.formatter_class = DefaultsFormatter  # every option's help shows its default
    return parser


def all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``parser`` and every sub-command's parser below it (``show weights`` too)."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += all_parsers(sub)
    return found


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request, if this run is one (argcomplete), and exit."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``digitnet`` command; return its exit code."""
    parser = build_parser()
    complete(parser)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler: Callable[[argparse.Namespace], int] = args.run
    try:
        return int(handler(args))
    except BrokenPipeError:
        # The reader went away (`digitnet evaluate --json | head -1`): end quietly, as Unix
        # tools do, and keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (DigitnetError, FloatingPointError, OSError, ValueError) as exc:
        print(f"digitnet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("digitnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
