"""How much faster is today's digitnet than 0.1.0 at the README's headline: one epoch of plain
SGD over MNIST's 60,000 training images at mini-batch 32 (784-16-16-10, sigmoid, quadratic)?

    python benchmarks/against_0_1_0.py             # needs git: 0.1.0's code comes from history
    python benchmarks/against_0_1_0.py --repeat 7

0.1.0's ``src/digitnet`` is taken from the git history (``git archive``) into a temporary
folder; both versions train the same epoch from the same initial weights, one after the other
in fresh processes, alternating, ``--repeat`` times each, with one BLAS thread. Prints a
Markdown table of the best and median seconds, the ratio, and whether both gave the same
weights bit for bit. 0.1.0's README measured this epoch at 0.14 s on its machine; the issue's
goal (0.12 s there) is a ratio of 0.12 / 0.14 = 0.86.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: digitnet 0.1.0 (the commit the first issues were filed against).
VERSION_0_1_0 = "3cc8d01"
HERE = Path(__file__).resolve().parent.parent

#: One epoch, run in a fresh process against the digitnet found first on ``sys.path``. Both
#: versions know ``TrainingConfig`` (today: the ``nielsen`` preset's recipe).
EPOCH = """
import hashlib, sys
from threadpoolctl import threadpool_limits
from digitnet import Network
from digitnet.data import load_mnist
from digitnet.training import TrainingConfig, train
train_set = load_mnist().train
net = Network([784, 16, 16, 10], seed=0)
with threadpool_limits(1, "blas"):
    history = train(net, train_set.images, train_set.labels,
                    TrainingConfig(epochs=1, batch_size=32, learning_rate=3.0, threads=1))
digest = hashlib.sha256(b"".join(a.tobytes() for a in net.weights + net.biases)).hexdigest()
print(history[0].seconds, digest[:16])
"""


def extract_0_1_0(folder: Path) -> Path:
    """0.1.0's source tree, from git, in ``folder``; returns the folder to put on sys.path."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(HERE), "archive", VERSION_0_1_0, "src/digitnet"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"cannot read digitnet 0.1.0 from git history ({exc}); run this in a clone.")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def one_epoch(source: Path) -> tuple[float, str]:
    """(seconds, weights digest) of one epoch with the digitnet in ``source``."""
    env_path = str(source)
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r})\n{EPOCH}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="epochs per version (default: 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        versions = {"0.1.0": extract_0_1_0(Path(tmp)), "today": HERE / "src"}
        seconds: dict[str, list[float]] = {name: [] for name in versions}
        digests: dict[str, set[str]] = {name: set() for name in versions}
        for _ in range(args.repeat):
            for name, source in versions.items():
                took, digest = one_epoch(source)
                seconds[name].append(took)
                digests[name].add(digest)
    best = {name: min(times) for name, times in seconds.items()}
    print("| digitnet | best epoch | median epoch | vs 0.1.0 |")
    print("| --- | ---: | ---: | ---: |")
    for name, times in seconds.items():
        ratio = best[name] / best["0.1.0"]
        print(f"| {name} | {best[name]:.3f} s | {statistics.median(times):.3f} s | {ratio:.2f}x |")
    same = len(digests["0.1.0"] | digests["today"]) == 1
    print(f"\nthe same weights bit for bit: {'yes' if same else 'no'}")
    print(f"0.1.0's 0.14 s on its README's machine scales to {0.14 * ratio:.3f} s (goal 0.12 s)")


if __name__ == "__main__":
    main()
