"""Training curves: loss and accuracy per epoch, from a model's training history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from digitnet.errors import DigitnetError
from digitnet.figures.style import POSITIVE
from digitnet.inspection import FloatArray
from digitnet.network import Network


def _history_of(source: Network | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(source, Network):
        return list(source.metadata.get("history") or [])
    return list(source)


def curves(history: Network | Sequence[Mapping[str, Any]]) -> Figure:
    """Loss and accuracy per epoch, training and validation, side by side.

    ``history`` is a network (its ``metadata["history"]``) or that list of dicts. The best
    validation epoch is marked. Raises :class:`DigitnetError` if there is no history.
    """
    rows = _history_of(history)
    if not rows:
        raise DigitnetError("this model has no training history, so there are no curves to draw")
    epochs = np.array([int(h["epoch"]) for h in rows])

    def series(key: str) -> FloatArray | None:
        values = [h.get(key) for h in rows]
        if all(v is None for v in values):
            return None
        return np.array([np.nan if v is None else float(v) for v in values])

    marker = "o" if len(rows) <= 40 else None
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, keys, title in (
        (ax_loss, ("loss", "validation_loss"), "Loss (the cost)"),
        (ax_acc, ("train_accuracy", "validation_accuracy"), "Accuracy"),
    ):
        for key, name, color in zip(
            keys, ("training", "validation"), (POSITIVE, "#e07b24"), strict=True
        ):
            values = series(key)
            if values is not None:
                ax.plot(epochs, values, marker=marker, markersize=3.5, color=color, label=name)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax_acc.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax_loss.set_ylabel("mean cost per image")
    validation = series("validation_accuracy")
    if validation is not None and np.any(np.isfinite(validation)):
        best = int(np.nanargmax(validation))
        for ax in (ax_loss, ax_acc):
            ax.axvline(epochs[best], color="#888888", linestyle=":", linewidth=1)
        ax_acc.plot(
            [epochs[best]],
            [validation[best]],
            marker="*",
            markersize=11,
            linestyle="none",
            color="#e07b24",
            markeredgecolor="black",
            markeredgewidth=0.6,
            label=f"best validation {validation[best]:.2%} (epoch {epochs[best]})",
        )
    if isinstance(history, Network):
        mark_rate_changes(history, (ax_loss, ax_acc))
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle(f"Training over {len(rows)} epoch{'s' if len(rows) != 1 else ''}")
    return fig


RATE_CHANGE_COLOUR = "#d6338a"


def mark_rate_changes(net: Network, axes: Sequence[Any]) -> int:
    """A dashed line on each of ``axes`` where the learning rate was changed while ``net``
    trained, the new rate written at its top; how many were marked."""
    changes = net.metadata.get("learning_rate_changes")
    if not isinstance(changes, list):  # none, or not what digitnet writes
        return 0
    marked = 0
    for change in changes:
        if not isinstance(change, Mapping):
            continue
        where, rate = change.get("epochs_done"), change.get("learning_rate")
        if not isinstance(where, int | float) or not isinstance(rate, int | float):
            continue
        for ax in axes:
            ax.axvline(
                where,
                color=RATE_CHANGE_COLOUR,
                linestyle="--",
                linewidth=1,
                label="learning rate changed" if not marked and ax is axes[0] else None,
            )
            ax.text(
                where,
                0.98,
                f" \u03b7 {rate:g}",
                transform=ax.get_xaxis_transform(),
                color=RATE_CHANGE_COLOUR,
                fontsize=8,
                va="top",
            )
        marked += 1
    return marked
