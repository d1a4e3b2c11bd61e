"""How often, and by how little, the shipped networks can be fooled into reading another digit.

    python benchmarks/fooling.py                   # 10,000 test digits for video, 2,000 for wide
    python benchmarks/fooling.py --n 1000 --cli 50

For each shipped network, MNIST test digits are each given a random target digit other than
the network's answer (seeded), and :func:`digitnet.fooling.fool` (what ``digitnet fool``
runs) looks for the smallest change within an L-infinity budget of 0.3. The Markdown table
shows how many were fooled, the size of the changes (L-infinity: the most any pixel moved;
L2: the length of the whole change), and the time per digit.

``--cli N`` also saves N test digits as PNG files and runs the command itself,
``digitnet fool FILE --target D --json``, on each (the picture is then prepared like
MNIST's first), and counts the answers that were fooled with an L-infinity change of at most
0.3.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from digitnet import load_pretrained
from digitnet.data import load_mnist
from digitnet.fooling import BUDGET, fool
from digitnet.slant import inputs_for

SEED = 15
ROW = "| {} | {} | {:,} | {:.2%} | {:.3f} | {:.3f} | {:.3f} | {:.2f} | {:.1f} |"


def targets(answers: np.ndarray, seed: int) -> np.ndarray:
    """A random digit other than each answer."""
    rng = np.random.default_rng(seed)
    return np.asarray((answers + rng.integers(1, 10, len(answers))) % 10)


def measure(name: str, n: int) -> str:
    """One table row: fool the first n test digits toward random targets."""
    net = load_pretrained(name)
    test = load_mnist().test
    images = inputs_for(net.metadata, test.images[:n])  # as the network reads them
    start = time.perf_counter()
    result = fool(net, images, targets(net.predict(images), SEED))
    seconds = time.perf_counter() - start
    ok = result.success & (result.linf <= BUDGET + 1e-9)
    return ROW.format(
        name,
        "`fool()`",
        n,
        ok.mean(),
        np.median(result.linf[ok]),
        result.linf[ok].mean(),
        result.linf[ok].max(),
        np.median(result.l2[ok]),
        1000 * seconds / n,
    )


def measure_cli(name: str, n: int) -> str:
    """One table row: ``digitnet fool FILE --target D --json`` on n test digits saved as PNG."""
    from PIL import Image

    from digitnet.cli import main

    net = load_pretrained(name)
    test = load_mnist().test
    rng = np.random.default_rng(SEED)
    fooled, linf, l2 = [], [], []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for i in range(n):
            path = Path(folder) / f"{i}.png"
            Image.fromarray(test.images[i], "L").save(path)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                # The answer for the prepared picture, then a random other target.
                main(["predict", str(path), "--model", name, "--json"])
            before = json.loads(out.getvalue())[0]["digit"]
            target = int((before + rng.integers(1, 10)) % 10)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main(["fool", str(path), "--target", str(target), "-m", name, "--json"])
            entry = json.loads(out.getvalue())
            ok = code == 0 and entry["answer"] == target and entry["linf"] <= BUDGET + 1e-9
            fooled.append(ok)
            if ok:
                linf.append(entry["linf"])
                l2.append(entry["l2"])
    seconds = time.perf_counter() - start
    del net
    return ROW.format(
        name,
        "`digitnet fool FILE`",
        n,
        float(np.mean(fooled)),
        np.median(linf),
        np.mean(linf),
        np.max(linf),
        np.median(l2),
        1000 * seconds / n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="test digits for video")
    parser.add_argument("--n-wide", type=int, default=2_000, help="test digits for wide")
    parser.add_argument("--cli", type=int, default=0, help="also run the command on N PNGs")
    args = parser.parse_args()
    print(
        "| network | through | digits | fooled (L-inf <= 0.3) | median L-inf | mean L-inf "
        "| max L-inf | median L2 | ms per digit |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, n in (("video", args.n), ("wide", args.n_wide)):
        print(measure(name, n), flush=True)
        if args.cli:
            print(measure_cli(name, args.cli), flush=True)


if __name__ == "__main__":
    main()
