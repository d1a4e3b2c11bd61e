"""The page's words (src/digitnet/web/static/texts.json), which teachers may edit: the file is
valid JSON, every tour step has what the page shows, and every step the page knows has words."""

from __future__ import annotations

import json
import re

from digitnet.web.app import STATIC

TEXTS_FILE = STATIC / "texts.json"


def texts() -> dict:
    return json.loads(TEXTS_FILE.read_text(encoding="utf-8"))


def test_every_step_has_a_title_text_a_thing_to_do_and_a_question() -> None:
    steps = texts()["tour"]
    assert len(steps) >= 10
    for n, step in enumerate(steps, start=1):
        where = f"tour step {n} ({step.get('id')})"
        assert step["title"].strip() and step["do"].strip(), where
        assert step["text"] and all(p.strip() for p in step["text"]), where
        q = step["question"]
        assert q["ask"].strip() and q["right"].strip() and q["wrong"].strip(), where
        assert len(q["choices"]) >= 2, where
        assert 0 <= q["answer"] < len(q["choices"]), f"{where}: answer is not one of the choices"


def test_the_steps_are_those_the_page_knows_in_the_videos_order() -> None:
    ids = [s["id"] for s in texts()["tour"]]
    assert len(set(ids)) == len(ids)
    tour_js = (STATIC / "js" / "tour.js").read_text(encoding="utf-8")
    known = re.search(r"const STEPS = \{([^}]*)\}", tour_js)
    assert known is not None
    assert ids == [name.strip() for name in known.group(1).split(",")]


def test_every_help_sentence_is_a_sentence() -> None:
    help_texts = texts()["help"]
    assert len(help_texts) > 50
    for selector, sentence in help_texts.items():
        assert selector.strip(), "an empty selector"
        assert sentence.strip().endswith((".", ")")), f"{selector}: {sentence!r}"
        assert len(sentence) <= 240, f"{selector}: keep it short"
