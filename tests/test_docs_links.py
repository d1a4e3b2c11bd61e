"""The README and the pages in docs/ link to each other and to pictures: every relative link
must lead to a file that exists, and every link to a heading of a page to a heading it has."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target), not inside `code`; the target ends at a space or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def prose(page: Path) -> str:
    """The page's text without its code blocks (a "# comment" there is no heading)."""
    return re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)


@functools.cache  # read each page's headings once, not once per link to it
def anchors(page: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", prose(page), re.MULTILINE)}


def links(page: Path) -> list[str]:
    text = re.sub(r"`[^`\n]*`", "", prose(page))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def test_slug_follows_githubs_rule() -> None:
    assert slug("Reading digits that are not MNIST's") == "reading-digits-that-are-not-mnists"
    assert slug("Tour: the video, step by step") == "tour-the-video-step-by-step"
    assert slug("Adam a block at a time") == "adam-a-block-at-a-time"


def test_the_pages_have_links_to_check() -> None:
    assert "docs/experiments.md" in links(ROOT / "README.md")
    assert "../README.md#reading-digits-that-are-not-mnists" in links(
        ROOT / "docs" / "experiments.md"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{page.name}: {broken}"
