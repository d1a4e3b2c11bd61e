"""The shortcut for even paper: a drawing made on a screen skips the lighting fits, and reads
exactly as it would without the shortcut; anything with noisy paper takes the full path."""

from __future__ import annotations

import numpy as np
import pytest

from digitnet import synthetic as sy
from digitnet.preprocess import lighting
from digitnet.preprocess.pipeline import prepare


def _drawing(seed: int, invert: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = sy.stroke_digit(seed % 10, rng, size=112, pen=0.12, invert=invert)
    return np.asarray(image.convert("L"))


@pytest.mark.parametrize("invert", [True, False], ids=["ink-bright", "ink-dark"])
def test_a_drawing_reads_exactly_as_through_the_full_path(
    invert: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawings = [_drawing(seed, invert) for seed in range(20)]
    grey = drawings[0].astype(np.float32) / 255
    assert lighting.even_paper(grey) == (0.0 if invert else 1.0)
    fast = [prepare(d) for d in drawings]
    monkeypatch.setattr(lighting, "even_paper", lambda grey: None)  # the full path
    monkeypatch.setattr("digitnet.preprocess.pipeline.even_paper", lambda grey: None)
    slow = [prepare(d) for d in drawings]
    for f, s in zip(fast, slow, strict=True):
        assert f.found and s.found
        np.testing.assert_array_equal(f.pixels, s.pixels)
        assert [st.note for st in f.steps] == [st.note for st in s.steps]


def test_noisy_or_shaded_paper_takes_the_full_path() -> None:
    rng = np.random.default_rng(0)
    grey = _drawing(3, invert=False).astype(np.float32) / 255
    noisy = np.clip(grey + rng.normal(0, 0.02, grey.shape).astype(np.float32), 0, 1)
    shaded = grey * np.linspace(0.6, 1.0, grey.shape[1], dtype=np.float32)[None, :]
    assert lighting.even_paper(noisy) is None
    assert lighting.even_paper(shaded) is None
    assert lighting.even_paper(np.zeros((0, 0), np.float32)) is None
    # A digit whose ink covers the top-left corner is not mistaken for paper.
    corner = grey.copy()
    corner[:40, :40] = 0.0
    assert lighting.even_paper(corner) is None
