"""``digitnet download``: fetch MNIST from the public mirrors (checked by SHA-256)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "download",
        help="download MNIST from the public mirrors into the cache (checked by SHA-256)",
        description="digitnet ships MNIST, so this is only needed where the bundled files were "
        "removed. Files are checked by SHA-256; a corrupt or truncated file is never kept.",
    )
    p.add_argument(
        "--cache-dir", default=None, help="default: $DIGITNET_CACHE or ~/.cache/digitnet"
    )
    p.add_argument(
        "--mirror",
        action="append",
        default=None,
        metavar="URL",
        help="base URL to try instead of the usual mirrors (repeatable)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from digitnet.data import download_mnist, load_mnist

    folder = download_mnist(args.cache_dir, args.mirror)
    mnist = load_mnist(folder)
    print(f"MNIST in {folder}: {len(mnist.train):,} training and {len(mnist.test):,} test images")
    return 0
