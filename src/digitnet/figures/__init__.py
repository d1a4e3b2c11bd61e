"""Pictures of a network, drawn with matplotlib: look inside instead of reading numbers.

Every function returns a :class:`matplotlib.figure.Figure` made directly (never through
pyplot), so nothing opens a window and nothing stays in a global figure list; save one with
:func:`save_figure` or show it in a notebook by leaving it as a cell's last value.

- :func:`weight_grid`: each first-layer neuron's 784 incoming weights as a 28x28 picture.
- :func:`weight_matrices`: the later layers' weight matrices as heat maps.
- :func:`weights_overview`: both in one figure (what ``digitnet show weights`` draws).
- :func:`network_diagram`: the video's diagram for one input.
- :func:`curves`: loss and accuracy per epoch, from a model's training history.
- :func:`confusion`: the confusion matrix on the test set.
- :func:`mistakes`: a gallery of misread test digits.
- :func:`embedding`: each layer's map of the test digits (:mod:`digitnet.embedding`).
- :func:`replay`: the first layer's weights and an answer through training (snapshots).
- :func:`robustness`: accuracy against distortions, networks side by side.
- :func:`fooled_digits`: digits changed just enough to be misread (:mod:`digitnet.fooling`).
- :func:`features`: for each hidden neuron, the input that excites it most
  (:func:`maximise_activation`), its weights and the test digits that excite it most
  (:func:`top_activating`).

Colours follow the video: in weight pictures and connections blue means a positive weight and
red a negative one; neurons glow from black (activation 0) to white (activation 1).

The numbers behind the pictures live in :mod:`digitnet.inspection` and
:mod:`digitnet.maximise` (no matplotlib there); they are re-exported here as before. Importing
this package makes a running Jupyter session show networks as :func:`network_html`.
"""

from __future__ import annotations

from digitnet.figures.curves import curves
from digitnet.figures.diagram import network_diagram
from digitnet.figures.embedding import embedding
from digitnet.figures.evaluation import confusion, mistakes
from digitnet.figures.features import features
from digitnet.figures.fooling import fooled_digits
from digitnet.figures.notebook import (
    enable_notebook_display,
    facts,
    network_html,
    summary_rows,
    summary_table_html,
)
from digitnet.figures.replay import replay
from digitnet.figures.robustness import robustness
from digitnet.figures.saving import DEFAULT_DPI, FORMATS, figure_png, png_data_url, save_figure
from digitnet.figures.style import (
    BACKGROUND,
    DIGIT_CMAP,
    HIGHLIGHT,
    NEGATIVE,
    POSITIVE,
    WEIGHT_CMAP,
)
from digitnet.figures.weights import weight_grid, weight_matrices, weights_overview
from digitnet.inspection import (
    evaluate,
    find_mistakes,
    layer_values,
    mnist_test_set,
    significant_neurons,
    top_activating,
    traced_weights,
)
from digitnet.maximise import (
    DEFAULT_NORM,
    input_gradients,
    maximise_activation,
    maximise_activations,
)

__all__ = [
    "BACKGROUND",
    "DEFAULT_DPI",
    "DEFAULT_NORM",
    "DIGIT_CMAP",
    "FORMATS",
    "HIGHLIGHT",
    "NEGATIVE",
    "POSITIVE",
    "WEIGHT_CMAP",
    "confusion",
    "curves",
    "embedding",
    "enable_notebook_display",
    "evaluate",
    "facts",
    "features",
    "fooled_digits",
    "replay",
    "robustness",
    "figure_png",
    "find_mistakes",
    "input_gradients",
    "layer_values",
    "maximise_activation",
    "maximise_activations",
    "mistakes",
    "mnist_test_set",
    "network_diagram",
    "network_html",
    "png_data_url",
    "save_figure",
    "significant_neurons",
    "summary_rows",
    "summary_table_html",
    "top_activating",
    "traced_weights",
    "weight_grid",
    "weight_matrices",
    "weights_overview",
]

enable_notebook_display()
