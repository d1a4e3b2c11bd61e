"""Files are checked before any work and written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitnet.errors import DigitnetError
from digitnet.files import atomic_write, check_output


def test_check_output_says_what_is_wrong(tmp_path: Path) -> None:
    assert check_output(tmp_path / "a.png", (".png",)) == tmp_path / "a.png"
    with pytest.raises(DigitnetError, match=r"a picture must end in \.png or \.svg, not \.jpg"):
        check_output(tmp_path / "a.jpg", (".png", ".svg"), "picture")
    with pytest.raises(DigitnetError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(DigitnetError, match="the folder .*missing does not exist"):
        check_output(tmp_path / "missing" / "a.png")


def test_atomic_write_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_write(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
