"""Fooling the network: the smallest change to a digit that makes the network read another.

The network answers with its brightest output neuron. To make it answer a chosen ``target``
we push the input, pixel by pixel, in the direction that raises the target's share of the
output: the gradient of ``log softmax(z)[target]`` (z: the output layer's weighted sums) with
respect to the 784 pixels, from backpropagation carried down to the input
(:meth:`Network.input_gradient`). Each step moves every pixel by the same small amount in the
sign of its gradient (an "iterated fast gradient sign" step), and the change is kept within an
L-infinity budget (no pixel moves by more than it) and the pixels within 0..1. The budget grows
in stages up to ``budget`` (0.02, 0.04, ... 0.3), a few steps each; a digit stops as soon as
the network reads the target, so the change stays small. Then the change is shrunk (scaled
down by bisection) to the smallest multiple that still fools the network, on the 256 grey
levels of an 8-bit picture.

A person still reads the original digit: the change is a faint haze of +-0.1 or so over many
pixels, while the digit's strokes are +1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from digitnet.errors import DigitnetError
from digitnet.network import Network

FloatArray = NDArray[np.float64]

BUDGET = 0.3  #: the largest change of any pixel (L-infinity), pixels being 0..1
STAGES = 15  #: the budget grows in this many stages: 0.02, 0.04, ... 0.3
STEPS_PER_STAGE = 10  #: sign steps per stage
RESCUE_STEPS = (0.06, 0.03)  #: step sizes of the longer runs for the digits still unmoved
RESCUE_LENGTH = 40  #: sign steps of each of those runs
STEP_DIVISOR = 4  #: a sign step moves every pixel by a quarter of the stage's budget
SHRINK_STEPS = 10  #: bisection steps when shrinking a change that fools the network
LEVELS = 255.0  #: grey levels of an 8-bit picture: a fooled digit is saved exactly


@dataclass
class Fooled:
    """The result of fooling the network on a batch of n digits (every array has n rows).

    ``original`` and ``fooled`` are ``(n, 784)`` pixels in 0..1, ``change`` their difference;
    ``before`` and ``after`` the network's answers, ``target`` the wanted ones, ``outputs``
    the output activations for the fooled digits ``(n, 10)``; ``success`` where ``after``
    equals ``target``; ``steps`` the sign steps each took. ``l2`` and ``linf`` measure each
    change (0 where none was found).
    """

    original: FloatArray
    fooled: FloatArray
    target: NDArray[np.int64]
    before: NDArray[np.int64]
    after: NDArray[np.int64]
    outputs: FloatArray
    steps: NDArray[np.int64]

    @property
    def change(self) -> FloatArray:
        """fooled - original, ``(n, 784)``."""
        return self.fooled - self.original

    @property
    def success(self) -> NDArray[np.bool_]:
        return np.asarray(self.after == self.target)

    @property
    def l2(self) -> FloatArray:
        return np.asarray(np.linalg.norm(self.change, axis=1))

    @property
    def linf(self) -> FloatArray:
        return np.asarray(np.abs(self.change).max(axis=1, initial=0.0))


def check_target(target: int, before: int | None = None) -> int:
    """``target`` if it is a digit 0..9 other than the network's current answer ``before``;
    else a DigitnetError in one sentence."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise DigitnetError(f"the target must be a digit from 0 to 9, not {target!r}.")
    if not 0 <= int(target) <= 9:
        raise DigitnetError(f"the target must be a digit from 0 to 9, not {target}.")
    if before is not None and int(target) == int(before):
        raise DigitnetError(
            f"the network already reads this digit as a {before}: choose another target."
        )
    return int(target)


def _answers(net: Network, x: FloatArray) -> tuple[NDArray[np.int64], FloatArray]:
    """The network's answers and output activations for float64 pixels ``x``."""
    out = np.asarray(net._feedforward(x).output, dtype=np.float64)
    return np.argmax(out, axis=1), out


def _target_gradient(net: Network, x: FloatArray, target: NDArray[np.int64]) -> FloatArray:
    """d log softmax(z)[target] / d pixels, for each row of ``x``: the way to the target."""
    fp = net._feedforward(x)
    z = fp.weighted_sums[-1]
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    grad_z = -shifted / shifted.sum(axis=1, keepdims=True)
    grad_z[np.arange(len(x)), target] += 1.0
    return np.asarray(net.input_gradient(fp, net.num_layers - 1, grad_z), dtype=np.float64)


def _quantised(x: FloatArray) -> FloatArray:
    """Pixels on the grey levels of an 8-bit picture, in 0..1."""
    return np.asarray(np.clip(np.round(x * LEVELS) / LEVELS, 0.0, 1.0))


def _shrink(
    net: Network, x: FloatArray, change: FloatArray, target: NDArray[np.int64]
) -> FloatArray:
    """The smallest multiple t * change (t in 0..1, by bisection) that still fools the
    network once quantised; rows of ``change`` all fool it at t = 1."""
    low = np.zeros(len(x))
    high = np.ones(len(x))
    for _ in range(SHRINK_STEPS):
        middle = (low + high) / 2
        answers, _ = _answers(net, _quantised(x + middle[:, None] * change))
        fools = answers == target
        high = np.where(fools, middle, high)
        low = np.where(fools, low, middle)
    return np.asarray(_quantised(x + high[:, None] * change))


def _sign_steps(
    net: Network,
    x: FloatArray,
    fooled: FloatArray,
    target: NDArray[np.int64],
    busy: NDArray[np.intp],
    eps: float,
    step: float,
    count: int,
    steps: NDArray[np.int64],
) -> NDArray[np.intp]:
    """Up to ``count`` sign steps of size ``step`` for the rows ``busy`` of ``fooled`` (in
    place), within ``eps`` of ``x``; counts them in ``steps``; returns the rows not fooled."""
    low, high = np.maximum(x[busy] - eps, 0.0), np.minimum(x[busy] + eps, 1.0)
    moving = np.arange(len(busy))  # rows of busy still moving
    for _ in range(count):
        if not len(moving):
            break
        rows = busy[moving]
        grad = _target_gradient(net, fooled[rows], target[rows])
        fooled[rows] = np.clip(fooled[rows] + step * np.sign(grad), low[moving], high[moving])
        steps[rows] += 1
        answers, _ = _answers(net, _quantised(fooled[rows]))
        moving = moving[answers != target[rows]]
    return busy[moving]


def fool(
    net: Network,
    images: ArrayLike,
    targets: ArrayLike,
    *,
    budget: float = BUDGET,
    stages: int = STAGES,
    shrink: bool = True,
) -> Fooled:
    """Change each image as little as it takes for the network to read its target digit.

    ``images``: ``(n, 784)`` or ``(n, 28, 28)`` pixels (uint8 0..255 or floats 0..1);
    ``targets``: ``(n,)`` digits. No pixel changes by more than ``budget``. Images the
    network already reads as their target are left as they are.
    """
    if not 0 < budget <= 1:
        raise DigitnetError(f"the budget must lie in (0, 1], not {budget}.")
    if stages < 1:
        raise DigitnetError(f"the budget grows in 1 or more stages, not {stages}.")
    x = net.as_input(images).astype(np.float64)
    if np.any(x < 0) or np.any(x > 1):
        raise DigitnetError("the pixels to change must lie in 0..1.")
    x = _quantised(x)
    target = np.asarray(targets, dtype=np.int64).reshape(-1)
    if len(target) != len(x):
        raise DigitnetError(f"{len(target)} targets for {len(x)} images.")
    if len(target) and (target.min() < 0 or target.max() >= net.sizes[-1]):
        raise DigitnetError(f"the targets must be digits from 0 to {net.sizes[-1] - 1}.")
    before, _ = _answers(net, x)
    fooled = x.copy()
    steps = np.zeros(len(x), dtype=np.int64)
    busy = np.flatnonzero(before != target)
    eps = budget
    for stage in range(1, stages + 1):
        # The budget grows stage by stage, on the grey levels (so no quantised pixel moves
        # further than it): a digit stops at the first budget that fools the network.
        eps = np.floor(budget * stage / stages * LEVELS + 1e-9) / LEVELS
        step = max(eps / STEP_DIVISOR, 1.0 / LEVELS)
        busy = _sign_steps(net, x, fooled, target, busy, eps, step, STEPS_PER_STAGE, steps)
    for step in RESCUE_STEPS:
        # The few digits still unmoved: longer runs at the whole budget with bigger steps,
        # each from the original digit again (the change is shrunk afterwards anyway).
        fooled[busy] = x[busy]
        busy = _sign_steps(net, x, fooled, target, busy, eps, step, RESCUE_LENGTH, steps)
    fooled = _quantised(fooled)
    answers, _ = _answers(net, fooled)
    won = np.flatnonzero((answers == target) & (before != target))
    if shrink and len(won):
        fooled[won] = _shrink(net, x[won], fooled[won] - x[won], target[won])
    lost = answers != target
    fooled[lost] = x[lost]  # no change is shown where none fooled the network
    after, outputs = _answers(net, fooled)
    return Fooled(x, fooled, target, before, after, outputs, steps)
