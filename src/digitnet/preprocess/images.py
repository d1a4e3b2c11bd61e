"""The types of the preprocessing package: every image in it is a float32 numpy array of shape
``(height, width)`` with values in 0..1 (a :data:`FloatImage`), unless said otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, TypeAlias

import numpy as np
from numpy.typing import NDArray
from PIL import Image

FloatImage: TypeAlias = NDArray[np.float32]
Mask: TypeAlias = NDArray[np.bool_]
#: What the preprocessing reads: a file's path, its bytes, an open binary file, a PIL image or
#: an array of grey levels or colours.
ImageInput: TypeAlias = str | Path | bytes | BinaryIO | Image.Image | NDArray[np.generic]
