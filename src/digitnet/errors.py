"""The errors digitnet raises for things a person can fix: each message is one clear sentence."""

from __future__ import annotations


class DigitnetError(ValueError):
    """Base class: a bad file, a wrong shape, a bad argument. The CLI prints it and exits 2."""


class DataError(DigitnetError):
    """An IDX data file is missing, truncated, corrupt or not what it claims to be."""


class ModelFileError(DigitnetError):
    """A model file cannot be read, or its contents do not make a valid network."""


class ImageError(DigitnetError):
    """A picture cannot be opened or is not usable as a digit."""
