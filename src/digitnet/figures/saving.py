"""Figures to files and bytes: PNG or SVG, the same figure always giving the same bytes."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from digitnet.files import atomic_write, check_output

DEFAULT_DPI = 110
FORMATS = (".png", ".svg")


def save_figure(fig: Figure, path: str | Path, *, dpi: int = DEFAULT_DPI) -> Path:
    """Write ``fig`` as PNG or SVG (chosen by the extension) atomically; return the path.

    The image goes to a temporary file beside ``path`` and is renamed over it, so the file
    is either complete or untouched. Raises :class:`DigitnetError` for another extension or
    a missing folder.
    """
    path = check_output(path, FORMATS, "picture")
    with atomic_write(path) as tmp, open(tmp, "wb") as out:
        _render(fig, out, path.suffix.lower()[1:], dpi)
    return path


def _render(fig: Figure, out: Any, fmt: str, dpi: int) -> None:
    from matplotlib import rc_context

    # No dates or random ids in the files, so the same figure gives the same bytes.
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    with rc_context({"svg.hashsalt": "digitnet", "svg.fonttype": "path"}):
        fig.savefig(
            out,
            format=fmt,
            dpi=dpi,
            metadata=metadata,
            facecolor=fig.get_facecolor(),
            bbox_inches="tight",
            pad_inches=0.1,
        )


def figure_png(fig: Figure, *, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    _render(fig, buffer, "png", dpi)
    return buffer.getvalue()


def png_data_url(fig: Figure, *, dpi: int = DEFAULT_DPI) -> str:
    """The figure as a ``data:image/png;base64,...`` URL, for self-contained HTML."""
    return "data:image/png;base64," + base64.b64encode(figure_png(fig, dpi=dpi)).decode("ascii")
