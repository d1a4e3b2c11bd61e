"""Networks in Jupyter: a compact HTML summary (layer table, key facts, weight grid), shown
for every :class:`~digitnet.network.Network` once :func:`enable_notebook_display` has run
(which importing :mod:`digitnet.figures` does)."""

from __future__ import annotations

import html
import sys
from typing import Any

from digitnet.errors import DigitnetError
from digitnet.figures.saving import png_data_url
from digitnet.figures.weights import weight_grid
from digitnet.network import Network


def summary_rows(net: Network) -> list[dict[str, Any]]:
    """One dict per layer (from :meth:`Network.summary`): name, neurons, activation, weights
    and biases into it."""
    layers = net.summary()["layers"]
    rows: list[dict[str, Any]] = [
        {
            "layer": "input",
            "neurons": net.sizes[0],
            "activation": "pixels",
            "weights": 0,
            "biases": 0,
        }
    ]
    for l, layer in enumerate(layers, start=1):
        rows.append(
            {
                "layer": "output" if l == len(layers) else f"hidden {l}",
                "neurons": layer["to"],
                "activation": layer["activation"],
                "weights": layer["weights"],
                "biases": layer["biases"],
            }
        )
    return rows


def summary_table_html(net: Network) -> str:
    """The layer table of :func:`summary_rows` as an HTML table."""
    head = "".join(f"<th>{h}</th>" for h in ("layer", "neurons", "activation", "weights", "biases"))
    body = "".join(
        f"<tr><td>{html.escape(r['layer'])}</td><td>{r['neurons']:,}</td>"
        f"<td>{html.escape(r['activation'])}</td><td>{r['weights']:,}</td>"
        f"<td>{r['biases']:,}</td></tr>"
        for r in summary_rows(net)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def facts(net: Network) -> list[str]:
    """Short sentences about a model (from :meth:`Network.summary`): parameters, test
    accuracy, training."""
    summary = net.summary()
    out = [f"{summary['parameters']:,} parameters"]
    if summary["test_accuracy"] is not None:
        out.append(f"test accuracy {float(summary['test_accuracy']):.2%}")
    training = summary["training"] or {}
    if summary["epochs_trained"]:
        recipe = ", ".join(
            f"{key.replace('_', ' ')} {training[key]}"
            for key in ("cost", "optimizer", "learning_rate", "batch_size", "schedule")
            if key in training
        )
        out.append(
            f"trained {summary['epochs_trained']} epochs" + (f" ({recipe})" if recipe else "")
        )
    else:
        out.append("no training history")
    return out


def network_html(net: Network, *, max_neurons: int = 36) -> str:
    """A compact HTML summary for Jupyter: the layer table, key facts and the weight grid."""
    layers = "-".join(str(s) for s in net.sizes)
    parts = [
        '<div class="digitnet-network" style="font-family: sans-serif">',
        f"<strong>Network {layers}</strong> ({html.escape(net.hidden_activation)} hidden, "
        f"{html.escape(net.output_activation)} output)",
        summary_table_html(net),
        f"<p>{html.escape('; '.join(facts(net)))}</p>",
    ]
    try:
        url = png_data_url(weight_grid(net, max_neurons=max_neurons), dpi=60)
    except DigitnetError:  # an input layer that is not a square picture
        url = ""
    if url:
        parts.append(
            f'<img src="{url}" alt="weights of the first layer as pictures" '
            'style="max-width: 480px">'
        )
    parts.append("</div>")
    return "\n".join(parts)


def enable_notebook_display() -> None:
    """Make a running IPython or Jupyter session show networks as :func:`network_html`.

    Registers it as the ``text/html`` formatter of :class:`Network`. Does nothing outside
    IPython: a plain Python process does not even import IPython.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    shell.display_formatter.formatters["text/html"].for_type(Network, network_html)
