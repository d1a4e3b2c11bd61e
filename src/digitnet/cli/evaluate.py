"""``digitnet evaluate``: test accuracy, accuracy per digit and the confusion matrix."""

from __future__ import annotations

import argparse
import json
from typing import Any

from digitnet.cli.common import add_model_argument, load_model, model_of


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "evaluate", help="test accuracy, accuracy per digit, confusion matrix"
    )
    add_model_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--data-dir", default=None, help="evaluate on another IDX dataset")
    return p


def run(args: argparse.Namespace) -> int:
    from digitnet.data import load_mnist
    from digitnet.looks import looks_of
    from digitnet.metrics import evaluation

    name = model_of(args)
    net = load_model(args)
    test = load_mnist(args.data_dir).test
    result = {"model": name, **evaluation(net, test.images, test.labels)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{name}: {net}")
    once = ""
    if (looks := looks_of(net.metadata)) > 1:  # as `digitnet info` says it
        once = f"; each test digit read once, where pictures are read {looks} times"
    print(
        f"test accuracy {result['accuracy']:.2%} ({result['correct']:,} of "
        f"{result['images']:,}{once})"
    )
    print("accuracy per digit:")
    for digit, acc in enumerate(result["per_digit"]):
        print(f"  {digit}: {acc:6.2%}")
    print("confusion matrix (rows: true digit, columns: the network's answer):")
    print("      " + "".join(f"{c:>6d}" for c in range(len(result["confusion"]))))
    for digit, row in enumerate(result["confusion"]):
        print(f"  {digit:>3d} " + "".join(f"{v:>6d}" for v in row))
    return 0
