"""One self-contained HTML page about a model: everything :mod:`digitnet.figures` can draw.

The page embeds its pictures as base64 PNG data URLs and carries its CSS inline: it needs no
other file, no network and no script, so it can be mailed, archived or opened offline.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from digitnet import figures as F
from digitnet import inspection
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write, check_output
from digitnet.network import Network
from digitnet.slant import input_for, inputs_for
from digitnet.version import __version__

SUFFIXES = (".html", ".htm")
#: How many sections report their start to ``progress``.
STEPS = 6

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2330; background: #f6f7f9; line-height: 1.45; }
main { max-width: 1120px; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
header { background: #0e1116; color: #fff; padding: 1.5rem 1.25rem; }
header div { max-width: 1120px; margin: 0 auto; }
header h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
header p { margin: 0; color: #c0c4ca; }
nav { margin-top: .8rem; font-size: .9rem; }
nav a { color: #f2b632; margin-right: 1rem; text-decoration: none; }
section { background: #fff; border-radius: 8px; padding: 1rem 1.25rem 1.25rem;
          margin: 1.25rem 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { margin-top: .2rem; font-size: 1.25rem; }
figure { margin: .8rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: #5a6170; margin-top: .3rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .92rem; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid #e3e6ea; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.bar { display: inline-block; height: .7rem; background: #2f6eb5; border-radius: 2px;
       vertical-align: middle; }
td.left { text-align: left; }
.note { color: #5a6170; font-style: italic; }
.facts { font-size: 1.02rem; }
"""


def _img(fig: Any, alt: str, caption: str = "") -> str:
    url = F.png_data_url(fig)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{url}" alt="{html.escape(alt)}">{cap}</figure>'


def _section(ident: str, title: str, body: str) -> str:
    return f'<section id="{ident}">\n<h2>{html.escape(title)}</h2>\n{body}\n</section>'


def _recipe_table(training: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(key).replace('_', ' '))}</td>"
        f"<td>{html.escape(str(value))}</td></tr>"
        for key, value in training.items()
        if value not in (None, {}, [])
    )
    return f"<table><tbody>{rows}</tbody></table>"


def _per_digit_table(result: dict[str, Any]) -> str:
    matrix = np.asarray(result["confusion"])
    rows = []
    for digit, accuracy in enumerate(result["per_digit"]):
        total = int(matrix[digit].sum())
        correct = int(matrix[digit, digit])
        wrong = matrix[digit].copy()
        wrong[digit] = 0
        usual = f"{int(np.argmax(wrong))} ({int(wrong.max())})" if wrong.max() > 0 else "\u2014"
        rows.append(
            f"<tr><td>{digit}</td><td>{total:,}</td><td>{correct:,}</td>"
            f"<td>{accuracy:.2%}</td>"
            f'<td class="left"><span class="bar" style="width: {accuracy * 200:.0f}px"></span></td>'
            f"<td>{usual}</td></tr>"
        )
    head = (
        "<tr><th>digit</th><th>examples</th><th>correct</th><th>accuracy</th><th></th>"
        "<th>most often mistaken for</th></tr>"
    )
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def report_html(
    net: Network,
    name: str = "model",
    *,
    images: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    mistakes_count: int = 36,
    features: bool = True,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The report as one HTML string (see :func:`write_report`)."""

    def step(title: str) -> None:
        if progress is not None:
            progress(title)

    if (images is None) != (labels is None):
        raise ValueError("give both images and labels, or neither (the MNIST test set)")
    if images is None or labels is None:
        images, labels = inspection.mnist_test_set()
    x = np.asarray(images)
    y = np.asarray(labels).astype(np.int64)
    result = inspection.evaluate(net, x, y)
    layers = "-".join(str(s) for s in net.sizes)
    sections: list[tuple[str, str, str]] = []

    step("summary")
    facts = F.facts(net)
    facts = [f for f in facts if not f.startswith("test accuracy")]
    facts.insert(1, f"accuracy {result['accuracy']:.2%} on {len(y):,} test digits")
    body = F.summary_table_html(net) + f'<p class="facts">{html.escape("; ".join(facts))}.</p>'
    training = net.metadata.get("training")
    if isinstance(training, dict) and training:
        body += "<h3>Training recipe</h3>" + _recipe_table(training)
    sections.append(("summary", "Summary", body))

    step("training curves")
    if net.metadata.get("history"):
        body = _img(
            F.curves(net),
            "loss and accuracy per epoch",
            "Loss and accuracy after each epoch, on the training and validation sets.",
        )
    else:
        body = '<p class="note">This model has no training history, so there are no curves.</p>'
    sections.append(("curves", "Training curves", body))

    step("accuracy per digit and confusion matrix")
    sections.append(("per-digit", "Accuracy per digit", _per_digit_table(result)))
    body = _img(
        F.confusion(np.asarray(result["confusion"])),
        "confusion matrix",
        "Rows: the true digit; columns: the network's answer.",
    )
    sections.append(("confusion", "Confusion matrix", body))

    step("mistakes")  # and two digits through the network: a right one, the surest mistake
    wrong, _, _ = inspection.find_mistakes(net, x, y)
    body = _img(
        F.mistakes(net, x, y, n=mistakes_count),
        "misread test digits",
        f"{len(wrong):,} of {len(y):,} test digits misread; the "
        f"{min(mistakes_count, len(wrong))} the network was surest about, as it read them.",
    )
    sections.append(("mistakes", "Mistakes", body))
    first = inputs_for(net.metadata, x[:200])  # as the network reads them
    right = np.flatnonzero(net.predict(first) == y[:200])
    body = ""
    for index, what in ((right[:1], "a digit it reads right"), (wrong[:1], "its surest mistake")):
        if len(index):
            i = int(index[0])
            body += _img(
                F.network_diagram(net, input_for(net.metadata, x[i]), label=int(y[i])),
                f"the network reading test digit {i}",
                f"Test digit #{i}, {what}: activations and strongest connections.",
            )
    if body:
        sections.append(("diagram", "Inside the network", body))

    step("weights")
    try:
        body = _img(
            F.weight_grid(net),
            "first-layer weights as pictures",
            "Each first-layer neuron's incoming weights, arranged like the pixels.",
        )
    except DigitnetError as exc:
        body = f'<p class="note">{html.escape(str(exc))}.</p>'
    if net.num_layers > 2:
        body += _img(F.weight_matrices(net), "weight matrices of the later layers")
    sections.append(("weights", "Weights", body))
    if features:
        step("what the hidden neurons look for")
        body = ""
        for layer in range(1, min(net.num_layers - 1, 3)):
            body += _img(F.features(net, layer, images=x), f"what hidden layer {layer} looks for")
        if body:
            sections.append(("features", "What the hidden neurons look for", body))

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{i}">{html.escape(t)}</a>' for i, t, _ in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>digitnet report: {html.escape(name)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header><div>",
        f"<h1>digitnet report: {html.escape(name)}</h1>",
        f"<p>Network {layers}, {html.escape(net.hidden_activation)} hidden layers, "
        f"{html.escape(net.output_activation)} output; generated {generated} by digitnet "
        f"{html.escape(__version__)}.</p>",
        f"<nav>{nav}</nav>",
        "</div></header>",
        "<main>",
        *(_section(i, t, b) for i, t, b in sections),
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def write_report(
    net: Network,
    path: str | Path,
    name: str | None = None,
    *,
    images: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    mistakes_count: int = 36,
    features: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write a self-contained HTML report about ``net`` to ``path`` atomically; return it.

    Sections: summary (layers, parameters, recipe), training curves (or a note), accuracy per
    digit, confusion matrix, mistakes, two digits through the network, weight pictures and
    what the hidden neurons look for. Measured on ``images``/``labels``, by default the MNIST
    test set. ``name`` (default: the file's stem) titles the page. ``progress`` is called with
    each section's name as its work starts (:data:`STEPS` of them, fewer without features).
    """
    path = check_output(path, SUFFIXES, "report")
    text = report_html(
        net,
        name or path.stem,
        images=images,
        labels=labels,
        mistakes_count=mistakes_count,
        features=features,
        progress=progress,
    )
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
