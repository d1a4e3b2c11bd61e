"""docs/tour.ipynb, the tour of the video's ideas for Jupyter, runs from top to bottom without
an error (executed by nbclient in a real IPython kernel), so it cannot rot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tour.ipynb"


def test_the_tour_notebook_runs(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "docs/tour.ipynb is kept without outputs"
    )
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # it writes nothing, here or elsewhere
    )
    start = time.monotonic()
    client.execute()  # raises CellExecutionError, with the cell, on the first failing cell
    seconds = time.monotonic() - start
    outputs = "".join(
        o.get("text", "")
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream"
    )
    assert "all: 13,002" in outputs
    # The counts the README and the tour's texts quote (for the shipped `video`, reading the
    # test digits upright as it learnt them): layer 1, then layer 2.
    assert "7 of 16 neurons: more than half of their top 100 are one digit" in outputs
    assert "13 of 16 neurons: more than half of their top 100 are one digit" in outputs
    assert "0 of 16 neurons: 90 or more of their top 100 are one digit" in outputs
    assert "4 of 16 neurons: 90 or more of their top 100 are one digit" in outputs
    figures = sum(
        "image/png" in o.get("data", {})
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert figures >= 6
    assert seconds < 60, f"the notebook took {seconds:.0f} s"
    assert list(tmp_path.iterdir()) == []
