// What each step of the tour shows and lets you do, on the page's live network. A step is
// {view, spot: selectors to highlight, enter(ctx), update(ctx, result), leave(ctx)}; its
// words are in /static/texts.json. ctx: {app, shared, live, signal, did(), active()}.

import { api } from "./api.js";
import { fmt, paintGrey, paintWeights } from "./colors.js";
import { el } from "./dom.js";
import { canWhatIf, whatIfBias } from "./whatif.js";
import { blank, drawCurve, find, neuronDetail, readout, unselect } from "./tour-util.js";

const rowCol = (i) => `row ${Math.floor(i / 28)}, column ${i % 28}`;
const percent = (p) => `${(p * 100).toFixed(p >= 0.1 ? 0 : 1)}%`;

// The first hidden layer's neuron the tour talks about: the one chosen, else the most active.
function neuronOf(ctx) {
  const r = ctx.app.state.result;
  if (ctx.shared.neuron === undefined && r) {
    const a = r.layers[1].activations;
    ctx.shared.neuron = a.indexOf(Math.max(...a));
  }
  return ctx.shared.neuron || 0;
}

function neuronPicker(ctx, onPick) {
  const select = el("select", { id: "tour-neuron", "aria-label": "Neuron of the first hidden layer" });
  const size = ctx.app.state.result ? ctx.app.state.result.layers[1].size : 16;
  for (let i = 0; i < size; i++) select.append(new Option(`layer 1, neuron ${i}`, String(i), false, i === neuronOf(ctx)));
  select.addEventListener("change", () => {
    ctx.shared.neuron = Number(select.value);
    ctx.shared.bias = undefined;
    ctx.app.diagram.select({ layer: 1, index: ctx.shared.neuron });
    onPick();
  }, { signal: ctx.signal });
  ctx.app.diagram.select({ layer: 1, index: neuronOf(ctx) });
  return el("label", { class: "tour-pick" }, "Neuron ", select);
}

// ------------------------------------------------------------------ 1. the problem
const problem = {
  view: "examples",
  spot: [".sees", ".diagram-wrap"],
  enter(ctx) {
    const canvas = el("canvas", { id: "tour-pixels", class: "tour-pixels pixelated", width: "28", height: "28" });
    const out = readout("pixel-value", "Hover or tap a pixel.");
    ctx.live.append(canvas, out);
    const say = (index) => {
      const r = ctx.app.state.result;
      if (!r || index < 0 || index >= 784) return;
      out.textContent = `Pixel ${rowCol(index)}: ${r.input[index].toFixed(2)}`;
      out.dataset.value = String(r.input[index]);
      ctx.did();
    };
    const pick = (e) => {
      const rect = canvas.getBoundingClientRect();
      const c = Math.floor(((e.clientX - rect.left) / rect.width) * 28);
      const row = Math.floor(((e.clientY - rect.top) / rect.height) * 28);
      if (c >= 0 && c < 28 && row >= 0 && row < 28) say(row * 28 + c);
    };
    canvas.addEventListener("pointermove", pick, { signal: ctx.signal });
    canvas.addEventListener("pointerdown", pick, { signal: ctx.signal });
    document.getElementById("diagram").addEventListener("mousemove", (e) => {
      const hit = ctx.app.diagram.hitAt(e);
      if (hit && hit.layer === 0) say(hit.index);
    }, { signal: ctx.signal });
  },
  update(ctx, result) {
    paintGrey(ctx.live.querySelector("#tour-pixels"), result.input, 28, 28, 255);
  },
};

// ------------------------------------------------------------------ 2. a neuron holds a number
const neuron = {
  view: "draw",
  spot: ["#draw-panel", ".diagram-wrap"],
  enter(ctx) {
    ctx.live.append(readout("lit-inputs", "Draw a digit."));
  },
  update(ctx, result) {
    const lit = result.input.filter((v) => v > 0).length;
    const out = find(ctx, "lit-inputs");
    out.dataset.lit = String(lit);
    if (blank(ctx.app)) {
      out.textContent = "Nothing drawn yet: all 784 input neurons hold 0.";
      return;
    }
    out.textContent = `${lit} of the 784 input neurons are lit (above 0); the brightest holds ${Math.max(...result.input).toFixed(2)}, the rest 0.`;
    if (lit > 0) ctx.did();
  },
};

// ------------------------------------------------------------------ 3. layers
const layers = {
  view: "draw",
  spot: [".diagram-wrap", ".right"],
  enter(ctx) {
    ctx.live.append(readout("sizes"), readout("brightest", "Draw a digit."));
  },
  update(ctx, result) {
    find(ctx, "sizes").textContent = `Layers: ${result.layers.map((L) => L.size).join(" \u2192 ")}`;
    const out = find(ctx, "brightest");
    if (blank(ctx.app) || result.digit === null) {
      out.textContent = "Draw a digit to see the outputs light up.";
      return;
    }
    const a = result.layers[result.layers.length - 1].activations;
    const d = a.indexOf(Math.max(...a));
    out.dataset.digit = String(d);
    out.textContent = `The brightest output is neuron ${d} (activation ${fmt(a[d])}): the answer is ${d}.`;
    ctx.did();
  },
};

// ------------------------------------------------------------------ 4. the hope, and the evidence
const hope = {
  view: "draw",
  spot: [".diagram-wrap"],
  enter(ctx) {
    const at = { layer: 1, index: 0 };
    const layer = el("select", { id: "tour-layer", "aria-label": "Layer" },
      new Option("layer 1", "1"), new Option("layer 2", "2"));
    const prev = el("button", { id: "tour-neuron-prev", type: "button", "aria-label": "Previous neuron", text: "\u2190" });
    const next = el("button", { id: "tour-neuron-next", type: "button", "aria-label": "Next neuron", text: "\u2192" });
    const name = el("b", { "data-testid": "evidence-neuron" });
    const box = el("div", { class: "tour-evidence", "data-testid": "evidence" });
    const verdict = readout("evidence-verdict", "Loading\u2026");
    ctx.live.append(el("div", { class: "tour-row" }, layer, prev, next, name), box, verdict);
    let ticket = 0;
    const show = async () => {
      const size = ctx.app.state.result ? ctx.app.state.result.layers[at.layer].size : 16;
      at.index = (at.index + size) % size;
      name.textContent = `layer ${at.layer}, neuron ${at.index}`;
      ctx.app.diagram.select({ ...at });
      const mine = ++ticket;
      verdict.textContent = "Loading\u2026";
      let f;
      try {
        f = await api.features(ctx.app.state.model, at.layer, at.index);
      } catch (err) {
        verdict.textContent = err.message;
        return;
      }
      if (mine !== ticket || !ctx.active()) return;
      const weights = el("canvas", { "aria-label": "weights traced to the pixels" });
      paintWeights(weights, f.traced_weights, 28, 28, f.traced_max_abs);
      const favourite = el("canvas", { "aria-label": "the input it likes most" });
      paintGrey(favourite, f.favourite_input, 28, 28, 255);
      const figs = [
        el("figure", {}, weights, el("figcaption", { text: at.layer === 1 ? "its weights" : "weights traced to pixels" })),
        el("figure", {}, favourite, el("figcaption", { text: "input it likes most" })),
      ];
      const digits = el("div", { class: "tour-digits" });
      for (const d of f.top_digits) {
        const c = el("canvas", { "aria-label": `test digit ${d.index}, a ${d.label}` });
        paintGrey(c, d.pixels, 28, 28, 1);
        digits.append(el("figure", {}, c, el("figcaption", { text: String(d.label) })));
      }
      box.replaceChildren(el("div", { class: "tour-figs" }, ...figs), el("div", { class: "muted small-text", text: "Its top test digits:" }), digits);
      const labels = f.top_digits.map((d) => d.label);
      const counts = new Map();
      for (const l of labels) counts.set(l, (counts.get(l) || 0) + 1);
      const [top, count] = [...counts.entries()].sort((x, y) => y[1] - x[1])[0];
      verdict.dataset.same = String(count);
      verdict.textContent = count === labels.length
        ? `All ${count} of its top test digits are ${top}s: this neuron answers to whole ${top}s, not to an edge.`
        : count >= labels.length / 2
          ? `${count} of its ${labels.length} top test digits are ${top}s (${labels.join(", ")}).`
          : `A mix of digits excites it most (${labels.join(", ")}): some part shared by several digits.`;
      ctx.did();
    };
    layer.addEventListener("change", () => {
      at.layer = Number(layer.value);
      at.index = 0;
      show();
    }, { signal: ctx.signal });
    prev.addEventListener("click", () => { at.index -= 1; show(); }, { signal: ctx.signal });
    next.addEventListener("click", () => { at.index += 1; show(); }, { signal: ctx.signal });
    show();
  },
  leave: unselect,
};

// ------------------------------------------------------------------ 5. weights
function sumLines(d) {
  const lines = ["z = w\u2081a\u2081 + w\u2082a\u2082 + \u2026 + w\u2087\u2088\u2084a\u2087\u2088\u2084 + b"];
  d.terms.forEach((t, k) => {
    lines.push(`${k === 0 ? "  = " : "  + "}${fmt(t.w)} \u00d7 ${fmt(t.a)}    (pixel ${rowCol(t.index)})`);
  });
  if (d.rest_count > 0) lines.push(`  + ${d.rest_count} smaller terms, together ${fmt(d.rest)}`);
  lines.push(`  + b = ${fmt(d.bias)}`);
  lines.push(`  = ${fmt(d.z)}`);
  lines.push(`a = \u03c3(${fmt(d.z)}) = ${fmt(d.a)}`);
  return lines.join("\n");
}

const weights = {
  view: "draw",
  spot: [".diagram-wrap"],
  enter(ctx) {
    const picture = el("canvas", { class: "tour-weights", "data-testid": "tour-weights", "aria-label": "this neuron's 784 weights as a 28x28 picture" });
    ctx.live.append(neuronPicker(ctx, () => this.update(ctx, ctx.app.state.result)),
      el("figure", { class: "tour-fig" }, picture, el("figcaption", { text: "its 784 weights: blue +, red \u2212" })),
      el("pre", { class: "tour-formula", "data-testid": "tour-sum", text: "Draw a digit." }));
    ctx.ticket = 0;
  },
  async update(ctx, result) {
    if (!result) return;
    const k = neuronOf(ctx);
    const mine = ++ctx.ticket;
    let d;
    try {
      d = await api.neuron(ctx.app.state.model, 1, k, result.input);
    } catch (err) {
      find(ctx, "tour-sum").textContent = err.message;
      return;
    }
    if (mine !== ctx.ticket || !ctx.active()) return;
    paintWeights(find(ctx, "tour-weights"), d.weights, 28, 28, d.max_abs);
    const out = find(ctx, "tour-sum");
    out.textContent = sumLines(d) + (blank(ctx.app) ? "\n(Nothing drawn: every a is 0, so z = b.)" : "");
    out.dataset.z = String(d.z);
    if (!blank(ctx.app)) ctx.did();
  },
  leave: unselect,
};

// ------------------------------------------------------------------ 6. bias
const bias = {
  view: "draw",
  spot: [".diagram-wrap"],
  enter(ctx) {
    const slider = el("input", { id: "tour-bias", type: "range", step: "0.1", "aria-label": "bias" });
    const reset = el("button", { id: "tour-bias-reset", type: "button", text: "Trained bias" });
    ctx.live.append(neuronPicker(ctx, () => this.update(ctx, ctx.app.state.result)),
      el("div", { class: "tour-row" }, el("label", { class: "tour-slider" }, readout("bias-value"), slider), reset),
      el("pre", { class: "tour-formula wrap", "data-testid": "whatif-a" }),
      el("div", { class: "muted small-text", text: "Layer 2 (what-if; outlined where it changed):" }),
      el("div", { class: "tour-cells", "data-testid": "whatif-layer2" }),
      readout("whatif-answer"));
    slider.addEventListener("input", () => {
      ctx.shared.bias = Number(slider.value);
      ctx.did();
      this.draw(ctx);
    }, { signal: ctx.signal });
    reset.addEventListener("click", () => {
      ctx.shared.bias = undefined;
      this.update(ctx, ctx.app.state.result);
    }, { signal: ctx.signal });
  },
  async update(ctx, result) {
    if (!result) return;
    const k = neuronOf(ctx);
    const d = await neuronDetail(ctx.app.state.model, 1, k);
    if (!ctx.active() || k !== neuronOf(ctx)) return;
    ctx.trained = d.bias;
    const slider = ctx.live.querySelector("#tour-bias");
    slider.min = String(Math.floor(Math.min(-20, d.bias - 10)));
    slider.max = String(Math.ceil(Math.max(20, d.bias + 10)));
    slider.value = String(ctx.shared.bias ?? d.bias);
    this.draw(ctx);
  },
  draw(ctx) {
    const result = ctx.app.state.result;
    if (!result || ctx.trained === undefined) return;
    const k = neuronOf(ctx);
    const b = ctx.shared.bias ?? ctx.trained;
    find(ctx, "bias-value").textContent = `bias b = ${fmt(b, 2)} (trained: ${fmt(ctx.trained, 2)})`;
    if (!canWhatIf(result, 1)) {
      find(ctx, "whatif-a").textContent = "This network is too wide to show whole here: use the video's network.";
      return;
    }
    const w = whatIfBias(result, 1, k, ctx.trained, b);
    const z = w.layers[1].z[k];
    const a = w.layers[1].a[k];
    const sum = result.layers[1].weighted_sums[k] - ctx.trained;
    const out = find(ctx, "whatif-a");
    out.textContent = `z = \u03a3 w\u00b7a + b = ${fmt(sum)} + (${fmt(b)}) = ${fmt(z)}\n` +
      `a = \u03c3(z) = ${fmt(a)}    (with the trained bias: ${fmt(result.layers[1].activations[k])})\n` +
      `It lights up only when \u03a3 w\u00b7a is above ${fmt(-b, 2)}.`;
    out.dataset.a = String(a);
    out.dataset.neuron = String(k);
    const cells = find(ctx, "whatif-layer2");
    cells.replaceChildren(...w.layers[2].a.map((v, j) => {
      const was = result.layers[2].activations[j];
      const g = Math.round(Math.max(0, Math.min(1, v)) * 255);
      const c = el("span", { class: Math.abs(v - was) > 0.005 ? "changed" : "", title: `layer 2, neuron ${j}: ${fmt(v)} (trained: ${fmt(was)})` });
      c.style.background = `rgb(${g},${g},${g})`;
      return c;
    }));
    const answer = find(ctx, "whatif-answer");
    answer.dataset.digit = String(w.digit);
    const real = result.digit;
    answer.textContent = blank(ctx.app)
      ? "Draw a digit to see the answer change."
      : `What-if answer: ${w.digit} (${percent(w.probabilities[w.digit])}). The model itself still says ${real}.`;
    answer.classList.toggle("changed", !blank(ctx.app) && w.digit !== real);
  },
  leave: unselect,
};

// ------------------------------------------------------------------ 7. sigmoid, and ReLU
const sigmoid = {
  view: "draw",
  spot: [".diagram-wrap"],
  enter(ctx) {
    ctx.live.append(
      el("canvas", { id: "tour-sigmoid", class: "tour-curve" }), readout("sigmoid-z"),
      el("canvas", { id: "tour-relu", class: "tour-curve" }), readout("relu-z"));
    ctx.reluFor = null;
    ctx.app.diagram.select({ layer: 1, index: neuronOf(ctx) });
  },
  async update(ctx, result) {
    if (!result) return;
    const k = neuronOf(ctx);
    const d = await neuronDetail(ctx.app.state.model, 1, k);
    if (!ctx.active()) return;
    const z = result.layers[1].weighted_sums[k] + ((ctx.shared.bias ?? d.bias) - d.bias);
    const a = 1 / (1 + Math.exp(-z));
    drawCurve(ctx.live.querySelector("#tour-sigmoid"), "sigmoid", [{ z, label: `neuron ${k}` }]);
    const out = find(ctx, "sigmoid-z");
    out.dataset.z = String(z);
    const dragged = ctx.shared.bias !== undefined && Math.abs(ctx.shared.bias - d.bias) > 1e-9;
    out.textContent = `Layer 1, neuron ${k}: z = ${fmt(z)}, so a = \u03c3(z) = ${fmt(a)}.` +
      (dragged ? ` (With the bias you dragged in step 6, ${fmt(ctx.shared.bias, 2)}; trained: ${fmt(d.bias, 2)}.)` : "");
    ctx.did();
    await this.relu(ctx, result, z);
  },
  // The same picture read by a ReLU network (the shipped `wide`), if there is one.
  async relu(ctx, result, sigmoidZ) {
    const canvas = ctx.live.querySelector("#tour-relu");
    const out = find(ctx, "relu-z");
    const model = ctx.app.state.models.find((m) => m.hidden_activation === "relu" && !m.error);
    if (!model) {
      drawCurve(canvas, "relu", [{ z: sigmoidZ, label: "the same z" }]);
      out.textContent = "No ReLU network is available: the dot is the sigmoid neuron's z put through ReLU, only to compare the curves. Train one on the Learn tab (hidden activation: relu) and save it, or run `digitnet train --activation relu -o relu.safetensors`.";
      return;
    }
    if (ctx.reluFor === result) return;
    ctx.reluFor = result;
    let r;
    try {
      r = await api.predict({ model: model.name, width: 28, height: 28, preprocess: false, steps: false, show: 1,
        pixels: result.input.map((v) => Math.round(v * 255)) });
    } catch (err) {
      out.textContent = err.message;
      return;
    }
    if (!ctx.active()) return;
    const zs = r.layers[1].weighted_sums;
    const hi = zs.indexOf(Math.max(...zs));
    const lo = zs.indexOf(Math.min(...zs));
    drawCurve(canvas, "relu", [{ z: zs[hi], label: `neuron ${hi}` }, { z: zs[lo], label: `neuron ${lo}` }]);
    out.dataset.model = model.name;
    out.textContent = `The same picture in ${model.name} (${model.sizes.join("-")}, ReLU): layer-1 neuron ${hi} has z = ${fmt(zs[hi])}, so a = ${fmt(Math.max(0, zs[hi]))}; neuron ${lo} has z = ${fmt(zs[lo])}, so a = 0.`;
  },
  leave: unselect,
};

export { problem, neuron, layers, hope, weights, bias, sigmoid };
