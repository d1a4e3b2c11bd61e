"""Teach the network your handwriting.

* :mod:`~digitnet.teach.folder` reads a folder of labelled pictures (``7_mine.png`` or
  ``7/mine.png``) and prepares them the one way pictures are prepared;
* :mod:`~digitnet.teach.finetune` fine-tunes a copy of a network on them, mixed with MNIST
  training digits (replay), and measures it before and after on held-out digits and MNIST;
* :mod:`~digitnet.teach.step` shows what one example does: its cost written out, what each
  output wants, every neuron's nudge, the first layer's weight gradients, and one step;
* :mod:`~digitnet.teach.store` keeps *your digits* on disk (PNG files and a JSON index) and
  :mod:`~digitnet.teach.archive` exports them (a zip of PNGs, IDX files like MNIST's).

Everything is re-exported here: ``from digitnet.teach import teach, one_step``.
"""

from __future__ import annotations

from digitnet.teach.finetune import (
    EPOCHS,
    HOLDOUT,
    REPLAY,
    Moved,
    Progress,
    Score,
    Split,
    TeachResult,
    cost_name,
    score,
    split_held_out,
    teach,
)
from digitnet.teach.folder import Labelled, find_labelled, label_of_name, prepare_digit, read_folder
from digitnet.teach.step import CostTerm, Lesson, StepResult, lesson, one_step

__all__ = [
    "EPOCHS",
    "HOLDOUT",
    "REPLAY",
    "CostTerm",
    "Labelled",
    "Lesson",
    "Moved",
    "Progress",
    "Score",
    "Split",
    "StepResult",
    "TeachResult",
    "cost_name",
    "find_labelled",
    "label_of_name",
    "lesson",
    "one_step",
    "prepare_digit",
    "read_folder",
    "score",
    "split_held_out",
    "teach",
]
