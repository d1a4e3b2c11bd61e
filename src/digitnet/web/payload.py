"""Numbers and pictures made ready for JSON answers."""

from __future__ import annotations

import base64
import io

import numpy as np
import numpy.typing as npt


def floats(values: npt.ArrayLike, digits: int = 4) -> list[float]:
    """``values`` as a flat list of Python floats rounded to ``digits`` decimals."""
    return [float(v) for v in np.round(np.asarray(values, dtype=np.float64), digits)]


def png(image: np.ndarray) -> str:
    """A 2-D 0..1 image as a PNG data URL."""
    from PIL import Image

    arr = np.asarray(image, dtype=np.float32)
    if arr.ndim != 2:
        arr = arr.reshape(arr.shape[0], -1)
    pixels = np.clip(np.nan_to_num(arr) * 255 + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
