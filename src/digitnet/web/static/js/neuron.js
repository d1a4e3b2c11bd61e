// "A neuron up close": its incoming weights, its bias and its sum for the current input,
// written out term by term: z = sum of w*a + b, then a = f(z).

import { fmt, paintGrey, paintWeights, weightCSS } from "./colors.js";
import { el } from "./dom.js";

function span(cls, text) {
  return el("span", { class: cls, text });
}

const ACTIVATION_TEXT = {
  sigmoid: (z) => `\u03c3(z) = 1 / (1 + e^(\u2212z)) = \u03c3(${fmt(z)})`,
  relu: (z) => `ReLU(z) = max(0, z) = max(0, ${fmt(z)})`,
  leaky_relu: (z) => `leaky ReLU(z) = max(0.01\u00b7z, z) at z = ${fmt(z)}`,
  tanh: (z) => `tanh(z) = tanh(${fmt(z)})`,
  softmax: (z) => `softmax(z)\u2096 = e^z\u2096 / \u03a3\u2c7c e^z\u2c7c at z\u2096 = ${fmt(z)}`,
};

function sourceName(layer, index) {
  if (layer === 1) return `pixel (${Math.floor(index / 28)}, ${index % 28})`;
  return `neuron ${index}`;
}

export function neuronTitle(d) {
  if (d.kind === "input") return `Input pixel (${d.row}, ${d.column})`;
  if (d.kind === "output") return `Output neuron ${d.index}: the digit ${d.index}`;
  return `Layer ${d.layer}, neuron ${d.index}`;
}

export function renderNeuron(body, d) {
  body.replaceChildren();
  if (d.kind === "input") {
    body.append(
      el("p", { text: `This input neuron holds the brightness of pixel row ${d.row}, column ${d.column} of the 28\u00d728 image.` }),
      el("div", { class: "formula", "data-testid": "formula" },
        "a = ", el("b", { text: d.a === undefined ? "\u2013" : fmt(d.a) })),
      el("p", { class: "muted", text: "Input neurons have no weights and no bias: they pass the picture into the network. Click a neuron of a later layer to see a sum." }),
    );
    return;
  }
  const prevLayer = d.layer - 1;
  const prevName = prevLayer === 0 ? "the 784 pixels" : `the ${d.inputs} neurons of layer ${prevLayer}`;
  const kv = el("div", { class: "kv" },
    span("muted", "activation"), span("", d.activation),
    span("muted", "inputs"), span("", `${d.inputs} weights, from ${prevName}`),
    span("muted", "bias b"), span(d.bias >= 0 ? "" : "", fmt(d.bias)));
  body.append(kv);

  if (d.input_shape) {
    const wCanvas = el("canvas", { "data-testid": "weights-picture", "aria-label": "incoming weights as a 28x28 picture" });
    paintWeights(wCanvas, d.weights, 28, 28, d.max_abs);
    const figs = el("div", { class: "pics" }, el("figure", {}, wCanvas, el("figcaption", { text: "weights w (blue +, red \u2212)" })));
    if (d.previous) {
      const prod = d.weights.map((w, i) => w * d.previous[i]);
      const pCanvas = el("canvas", { "aria-label": "weights times input" });
      paintWeights(pCanvas, prod, 28, 28, 0);
      figs.append(el("figure", {}, pCanvas, el("figcaption", { text: "w \u00d7 a for this input" })));
    }
    body.append(figs);
  } else {
    body.append(el("div", { class: "muted small-text", text: `Weights from ${prevName} (blue +, red \u2212):` }));
    const cells = el("div", { class: d.weights.length > 48 ? "cells dense" : "cells", "data-testid": "weights-row" });
    d.weights.forEach((w, i) => {
      const c = el("div", { class: "cell", title: `from ${sourceName(d.layer, i)}: w = ${fmt(w)}`, text: String(i) });
      c.style.background = weightCSS(w, d.max_abs);
      cells.append(c);
    });
    body.append(cells);
  }

  if (d.z === undefined) {
    body.append(el("p", { class: "muted", text: "Draw a digit to see this neuron's sum." }));
    return;
  }
  const f = el("div", { class: "formula", "data-testid": "formula" });
  const line = (...parts) => f.append(...parts, "\n");
  line("z = \u03a3 w\u00b7a + b");
  d.terms.forEach((t, k) => {
    const sign = k === 0 ? "  = " : "    + ";
    line(sign, span(t.w >= 0 ? "pos" : "neg", fmt(t.w)), " \u00d7 ", fmt(t.a),
      span("muted", `   (${sourceName(d.layer, t.index)})`));
  });
  if (d.rest_count > 0) line("    + ", `${d.rest_count} smaller terms, together ${fmt(d.rest)}`);
  line("    + b = ", fmt(d.bias));
  const plusBias = d.bias >= 0 ? ` + ${fmt(d.bias)}` : ` \u2212 ${fmt(-d.bias)}`;
  line("  = ", fmt(d.sum_wa), plusBias, " = ", el("b", { text: `z = ${fmt(d.z)}` }));
  const act = ACTIVATION_TEXT[d.activation] || ((z) => `f(${fmt(z)})`);
  line("a = ", act(d.z), " = ", el("b", { text: fmt(d.a) }));
  body.append(f);

  const table = el("table", { class: "terms" });
  table.append(el("thead", {}, el("tr", {},
    el("th", { text: "strongest inputs" }), el("th", { text: "w" }), el("th", { text: "a" }), el("th", { text: "w\u00b7a" }))));
  const tbody = el("tbody");
  for (const t of d.terms) {
    const wa = el("td", { text: fmt(t.wa) });
    wa.className = t.wa >= 0 ? "pos" : "neg";
    wa.style.color = t.wa >= 0 ? "#93c5fd" : "#fca5a5";
    tbody.append(el("tr", {}, el("td", { text: sourceName(d.layer, t.index) }),
      el("td", { text: fmt(t.w) }), el("td", { text: fmt(t.a) }), wa));
  }
  table.append(tbody);
  body.append(table);
  body.append(el("p", { class: "muted small-text",
    text: `All positive terms add up to ${fmt(d.positive)}, all negative ones to ${fmt(d.negative)}.` }));
}

// What the neuron responds to (GET .../features): the input that excites it most, its weights
// traced back to the pixels (deeper layers) and the test digits that excite it most.
export function renderFeatures(body, f) {
  const box = el("section", { class: "features", "data-testid": "features" },
    el("h3", { text: "What it responds to" }));
  const figs = el("div", { class: "pics" });
  const favourite = el("canvas", { "data-testid": "favourite-input", "aria-label": "the input that excites it most" });
  paintGrey(favourite, f.favourite_input, 28, 28, 255);
  figs.append(el("figure", {}, favourite, el("figcaption", { text: "the input it likes most" })));
  if (f.layer > 1) {
    const traced = el("canvas", { "aria-label": "weights traced back to the pixels" });
    paintWeights(traced, f.traced_weights, 28, 28, f.traced_max_abs);
    figs.append(el("figure", {}, traced, el("figcaption", { text: "weights traced to the pixels" })));
  }
  box.append(figs);
  const digits = el("div", { class: "pics top-digits", "data-testid": "top-digits" });
  for (const d of f.top_digits) {
    const c = el("canvas", { "aria-label": `test digit ${d.index}, a ${d.label}` });
    paintGrey(c, d.pixels, 28, 28, 1);
    digits.append(el("figure", { title: `test digit ${d.index}` }, c, el("figcaption", { text: String(d.label) })));
  }
  box.append(el("div", { class: "muted small-text", text: "The test digits that excite it most:" }), digits);
  body.append(box);
}
