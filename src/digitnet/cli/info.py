"""``digitnet info``: a model's layers, parameter counts and training recipe."""

from __future__ import annotations

import argparse
import json
from typing import Any

from digitnet.cli.common import add_model_argument, load_model, model_of
from digitnet.looks import looks_of


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "info", help="layers, parameter counts and training recipe of a model"
    )
    add_model_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    return p


def run(args: argparse.Namespace) -> int:
    net = load_model(args)
    data = net.summary()
    looks = looks_of(net.metadata)
    if args.json:
        print(json.dumps(data))
        return 0
    print(f"{model_of(args)}: {'-'.join(map(str, net.sizes))}, {data['parameters']:,} parameters")
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
        recipe = [
            f"{t[key]}{after}"
            for key, after in (
                ("cost", " cost"),
                ("optimizer", ""),
                ("learning_rate", " learning rate"),
                ("batch_size", " per mini-batch"),
                ("schedule", " schedule"),
            )
            if key in t
        ]
        print(f"  trained {data['epochs_trained']} epochs: {', '.join(recipe) or 'recipe unknown'}")
        images = training_images(t)
        if images:
            print(f"  training images: {', '.join(images)}")
    if data["test_accuracy"] is not None:
        once = " (each test digit read once)" if looks > 1 else ""
        print(f"  test accuracy {data['test_accuracy']:.2%}{once}")
    if looks > 1:
        print(
            f"  reads each digit {looks} times: as prepared and moved one pixel up, "
            "down, left and right, the answers averaged"
        )
    made = [
        f"{name} {data[key]}"
        for name, key in (
            ("digitnet", "digitnet_version"),
            ("Python", "python_version"),
            ("NumPy", "numpy_version"),
            ("BLAS", "blas_version"),
        )
        if data.get(key)
    ]
    if made:
        print(f"  saved by {', '.join(made)}")
    return 0


def training_images(recipe: dict[str, Any]) -> list[str]:
    """What the recipe did to the training images, in words (nothing for MNIST as it is)."""
    said = []
    augment = recipe.get("augment", "none")
    if augment != "none":
        said.append(f"{augment} distortions" if isinstance(augment, str) else "own distortions")
    if recipe.get("preprocessing") == "deslant":
        said.append("deslanted")
    if recipe.get("flagged_ones"):
        said.append(f"{recipe['flagged_ones']:.0%} of the 1s given a flag")
    if recipe.get("teacher"):
        said.append(f"taught by {recipe['teacher']}")
    return said
