"""``digitnet report``: one self-contained HTML page with a model's pictures and numbers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from digitnet.cli.common import add_model_argument, load_model, model_of, progress_bar, require


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    r: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="one self-contained HTML page with a model's pictures and numbers",
        description="Write one HTML file (images embedded, nothing external) with the "
        "model's summary, curves, accuracy per digit, confusion matrix, mistakes, weight "
        "pictures and what its hidden neurons look for.",
    )
    add_model_argument(r)
    r.add_argument(
        "-o", "--output", default="report.html", metavar="FILE", help="the .html file to write"
    )
    r.add_argument("--name", default=None, help="title of the report (default: the model)")
    r.add_argument(
        "--no-features",
        action="store_true",
        help="leave out the slowest section, what the hidden neurons look for",
    )
    r.add_argument(
        "--data-dir",
        default=None,
        help="use the test set of another IDX dataset instead of MNIST's",
    )
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return r


def run(args: argparse.Namespace) -> int:
    require("report", "matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from digitnet.data import load_mnist
    from digitnet.files import check_output
    from digitnet.report import STEPS, SUFFIXES, write_report

    out = check_output(args.output, SUFFIXES, "report")
    net = load_model(args)
    images = labels = None
    if args.data_dir is not None:
        test = load_mnist(args.data_dir).test
        images, labels = test.images, test.labels
    name = args.name or Path(model_of(args)).stem
    steps = STEPS if not args.no_features else STEPS - 1
    with progress_bar(steps, "report", quiet=args.quiet) as bar:

        def advance(section: str) -> None:
            bar.set_description_str(section)
            bar.update(1)

        write_report(
            net,
            out,
            name,
            images=images,
            labels=labels,
            features=not args.no_features,
            progress=advance,
        )
    print(f"wrote {out}")
    return 0
