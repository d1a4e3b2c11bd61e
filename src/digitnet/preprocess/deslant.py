"""Step 8, for networks that learnt it: stand the 28x28 digit upright.

A network trained with the recipe option ``preprocessing = "deslant"`` learnt MNIST's digits
with their slant removed (:mod:`digitnet.slant`: a shear by the image's moments, scaled back
into the 20-pixel box if it grew wider), and its model file says so. :func:`stand_upright`
does the same to a prepared picture; the pipeline's ``prepare(image, deslant=True)`` and
``upright(prepared)`` run it as the step ``upright``.
"""

from __future__ import annotations

import numpy as np

from digitnet.preprocess.geometry import MNIST_SIZE
from digitnet.preprocess.images import FloatImage
from digitnet.slant import MAX_SLANT, deslant, grey_levels, slant


def stand_upright(pixels: FloatImage, levels: bool = False) -> tuple[FloatImage, str]:
    """The 28x28 ``pixels`` (white on black) deslanted, and a note saying how far the digit
    leaned. With ``levels`` the result is rounded to 256 grey levels, as MNIST's own images
    are when they are deslanted for training (:func:`digitnet.slant.deslant_pixels`), so that
    an image in MNIST's stored format is read exactly as the network learnt and was tested."""
    lean = float(np.clip(slant(pixels[None])[0], -MAX_SLANT, MAX_SLANT))
    upright = deslant(pixels[None])[0].reshape(MNIST_SIZE, MNIST_SIZE)
    if levels:
        upright = np.divide(grey_levels(upright), np.float32(255.0), dtype=np.float32)
    degrees = abs(float(np.degrees(np.arctan(lean))))
    side = "left" if lean > 0 else "right"
    return upright, f"leaned {degrees:.0f} degrees to the {side}; sheared upright"
