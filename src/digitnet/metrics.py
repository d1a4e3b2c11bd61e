"""How good a network is: accuracy, accuracy per digit, the confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from digitnet.network import Network
from digitnet.slant import inputs_for


def evaluation(net: Network, images: ArrayLike, labels: ArrayLike) -> dict[str, Any]:
    """Accuracy, accuracy per digit and the confusion matrix (rows: the true digit, columns:
    the network's answer) of ``net`` on ``images`` ``(n, 784 or 28x28)`` and ``labels`` ``(n,)``,
    prepared as the network learnt them (deslanted if its model file says so)."""
    predicted = net.predict(inputs_for(net.metadata, images))
    labels = np.asarray(labels).astype(np.int64)
    n_out = net.sizes[-1]
    confusion = np.zeros((n_out, n_out), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_digit = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "images": len(labels),
        "correct": int(np.sum(predicted == labels)),
        "per_digit": [float(a) for a in per_digit],
        "confusion": confusion.tolist(),
    }
