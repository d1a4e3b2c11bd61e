"""Reading a folder of labelled digits: ``3_anything.png`` or ``3/anything.png``.

A folder holds pictures of digits, each labelled either by its name (the digit, an
underscore, anything: ``7_mine.png``) or by the subfolder it is in (``0/`` to ``9/``); both
layouts may be mixed. Every picture is prepared the one way pictures are prepared,
:func:`digitnet.preprocess.prepare`, into MNIST's 28x28 format. Anything wrong (a name without
a digit, a label outside 0 to 9, a picture that cannot be read or holds no digit, an empty
folder) is a :class:`DigitnetError` in one sentence, before anything is learnt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from digitnet.errors import DigitnetError

if TYPE_CHECKING:
    from digitnet.preprocess import ImageInput

#: The label at the start of a picture's name: a number, then an underscore.
NAME_LABEL = re.compile(r"^(-?\d+)_")


@dataclass
class Labelled:
    """A picture and the digit it shows."""

    path: Path
    label: int


def check_digit(label: int, where: str) -> int:
    """``label`` if it is a digit 0 to 9, else a DigitnetError naming ``where`` it came from."""
    if not 0 <= label <= 9:
        raise DigitnetError(f"{where}: the label {label} is not a digit from 0 to 9")
    return label


def label_of_name(name: str) -> int:
    """The digit a file name starts with (``7_mine.png`` -> 7), or a DigitnetError."""
    found = NAME_LABEL.match(name)
    if found is None:
        raise DigitnetError(
            f"{name}: the name does not say which digit it shows; name it like 7_mine.png "
            "or put it in a folder called 7"
        )
    return check_digit(int(found.group(1)), name)


def find_labelled(folder: str | Path) -> list[Labelled]:
    """Every picture in ``folder``, labelled by its name or by its subfolder ``0`` to ``9``,
    sorted by path. Hidden files (``.name``) are skipped."""
    root = Path(folder).expanduser()
    if not root.exists():
        raise DigitnetError(f"the folder {root} does not exist")
    if not root.is_dir():
        raise DigitnetError(f"{root} is not a folder of pictures")
    found: list[Labelled] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not re.fullmatch(r"-?\d+", entry.name):
                raise DigitnetError(f"{entry}: a subfolder must be called after its digit, 0 to 9")
            label = check_digit(int(entry.name), str(entry))
            for path in sorted(entry.iterdir()):
                if path.name.startswith("."):
                    continue
                if not path.is_file():
                    raise DigitnetError(f"{path} is not a picture file")
                found.append(Labelled(path, label))
        else:
            found.append(Labelled(entry, label_of_name(entry.name)))
    if not found:
        raise DigitnetError(
            f"the folder {root} holds no pictures (name them like 7_mine.png, or put them in "
            "folders 0 to 9)"
        )
    return found


def prepare_digit(image: ImageInput, name: str) -> NDArray[np.float32]:
    """One picture prepared like MNIST's digits, (28, 28) float32; a DigitnetError naming
    ``name`` if it cannot be read or holds no digit."""
    from digitnet.preprocess import prepare  # Pillow, needed only once pictures are read

    try:
        prepared = prepare(image)
    except DigitnetError as exc:
        message = str(exc)
        raise DigitnetError(message if name in message else f"{name}: {message}") from None
    if not prepared.found:
        raise DigitnetError(f"{name}: no digit found ({prepared.reason})")
    return prepared.pixels.astype(np.float32)


def read_folder(folder: str | Path) -> tuple[NDArray[np.float32], NDArray[np.int64], list[Path]]:
    """The pictures of ``folder`` (see :func:`find_labelled`) prepared: inputs (n, 784) in
    0..1, labels (n,) and the paths, in the same order."""
    items = find_labelled(folder)
    x = np.stack([prepare_digit(item.path, str(item.path)).reshape(-1) for item in items])
    labels = np.array([item.label for item in items], np.int64)
    return x, labels, [item.path for item in items]
