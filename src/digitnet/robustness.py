"""Robustness curves: the test accuracy as digits are turned, moved, scaled, made bolder or
thinner, or covered in noise, a little more at each step.

The distortions are :mod:`digitnet.augment`'s (the same warp that distorts training digits):
each test digit gets the step's amount with its own random direction (turned left or right,
moved in a random direction), from a fixed seed, so every network meets the same digits.
Noise is Gaussian, added to every pixel and clipped to 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.augment import Distortion, distort
from digitnet.errors import DigitnetError
from digitnet.network import Network
from digitnet.slant import inputs_for

SEED = 3
#: Each distortion: its unit and the amounts measured, from none to a lot.
DISTORTIONS: dict[str, tuple[str, tuple[float, ...]]] = {
    "rotation": ("degrees", (0, 10, 20, 30, 40, 50, 60)),
    "shift": ("pixels", (0, 1, 2, 3, 4, 5, 6)),
    "scale": ("times the size", (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)),
    "thickness": ("thinner (-) or bolder (+)", (-1.0, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1.0)),
    "noise": ("standard deviation", (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)),
}


@dataclass
class Curve:
    """One network's accuracy at each amount of one distortion."""

    distortion: str
    unit: str
    amounts: list[float]
    accuracies: list[float]


def distorted(images: ArrayLike, distortion: str, amount: float, seed: int = SEED) -> NDArray:
    """The images ``(n, 784)`` or ``(n, 28, 28)`` with ``amount`` of ``distortion``, each in
    its own seeded random direction; ``(n, 784)`` float32 in 0..1."""
    x = np.asarray(images)
    n = len(x)
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], n)
    direction = rng.uniform(0, 2 * np.pi, n)
    noise_rng = np.random.default_rng(seed + 1)
    if distortion == "rotation":
        d = Distortion.same(n)
        d = Distortion(sign.astype(np.float32) * amount, d.scale, d.shift_x, d.shift_y, d.stroke)
    elif distortion == "shift":
        d = Distortion.same(n)
        dx = (amount * np.cos(direction)).astype(np.float32)
        dy = (amount * np.sin(direction)).astype(np.float32)
        d = Distortion(d.angle, d.scale, dx, dy, d.stroke)
    elif distortion == "scale":
        d = Distortion.same(n, scale=amount)
    elif distortion == "thickness":
        d = Distortion.same(n, stroke=amount)
    elif distortion == "noise":
        flat = distort(x, Distortion.same(n))
        noisy = flat + noise_rng.normal(0.0, amount, flat.shape).astype(np.float32)
        return np.clip(noisy, 0.0, 1.0)
    else:
        raise DigitnetError(
            f"unknown distortion {distortion!r}; choose one of: {', '.join(DISTORTIONS)}."
        )
    return distort(x, d)


def robustness_curves(
    net: Network,
    images: ArrayLike,
    labels: ArrayLike,
    distortions: list[str] | None = None,
    seed: int = SEED,
) -> list[Curve]:
    """The network's accuracy on ``images`` at every amount of each distortion."""
    y = np.asarray(labels)
    curves = []
    for name in distortions or list(DISTORTIONS):
        if name not in DISTORTIONS:
            raise DigitnetError(
                f"unknown distortion {name!r}; choose one of: {', '.join(DISTORTIONS)}."
            )
        unit, amounts = DISTORTIONS[name]
        accuracies = [  # read as the network learnt: deslanted after the distortion if it says so
            net.accuracy(inputs_for(net.metadata, distorted(images, name, amount, seed)), y)
            for amount in amounts
        ]
        curves.append(Curve(name, unit, [float(a) for a in amounts], accuracies))
    return curves
