// The tour's last steps: the knobs counted on the diagram, the matrix form with real numbers,
// and learning (a short run from random weights on the Learn tab).

import { fmt } from "./colors.js";
import { el } from "./dom.js";
import { find, neuronDetail, readout } from "./tour-util.js";

const count = (n) => n.toLocaleString("en-US");

// ------------------------------------------------------------------ 8. 13,002 knobs
function knobRows(sizes) {
  return sizes.slice(1).map((n, l) => ({
    layer: l + 1,
    from: sizes[l],
    to: n,
    weights: sizes[l] * n,
    biases: n,
    total: sizes[l] * n + n,
  }));
}

const knobs = {
  view: "draw",
  spot: [".diagram-wrap"],
  enter(ctx) {
    const sizes = ctx.app.state.result
      ? ctx.app.state.result.layers.map((L) => L.size)
      : [784, 16, 16, 10];
    const rows = knobRows(sizes);
    const total = rows.reduce((s, r) => s + r.total, 0);
    const table = el("table", { class: "tour-table" },
      el("thead", {}, el("tr", {}, ...["into", "weights", "biases", "knobs"].map((h) => el("th", { text: h })))));
    const body = el("tbody");
    for (const r of rows) {
      const name = r.layer === rows.length ? "the outputs" : `layer ${r.layer}`;
      body.append(el("tr", {}, el("td", { text: name }), el("td", { text: `${count(r.from)} \u00d7 ${count(r.to)} = ${count(r.weights)}` }),
        el("td", { text: count(r.biases) }), el("td", { text: count(r.total) })));
    }
    body.append(el("tr", { class: "sum" }, el("td", { text: "all" }),
      el("td", { text: count(rows.reduce((s, r) => s + r.weights, 0)) }),
      el("td", { text: count(rows.reduce((s, r) => s + r.biases, 0)) }),
      el("td", {}, el("b", { "data-testid": "knobs-total", text: count(total) }))));
    table.append(body);
    ctx.live.append(table);
    // The counts on the diagram itself, between the layers they join.
    const wrap = document.querySelector(".diagram-wrap");
    const overlay = el("div", { class: "tour-knobs", "data-testid": "knobs-overlay" });
    wrap.append(overlay);
    ctx.overlay = overlay;
    ctx.rows = rows;
    const observer = new ResizeObserver(() => this.place(ctx));
    observer.observe(wrap);
    ctx.signal.addEventListener("abort", () => {
      observer.disconnect();
      overlay.remove();
    });
    ctx.did();
  },
  update(ctx) {
    this.place(ctx);
  },
  place(ctx) {
    const { diagram, state } = ctx.app;
    const r = state.result;
    if (!r || !ctx.overlay.isConnected) return;
    const box = ctx.overlay.parentElement.getBoundingClientRect();
    const xs = [];
    const grid = diagram.position(0, 27);
    if (!grid) return;
    xs.push(grid.x + 4);
    for (let l = 1; l < r.layers.length; l++) {
      const p = diagram.position(l, r.layers[l].shown[0]);
      if (!p) return;
      xs.push(p.x);
    }
    ctx.overlay.replaceChildren(...ctx.rows.map((row, i) => {
      const label = el("div", { class: "tour-knob", text: `${count(row.to)}\u00d7${count(row.from)} + ${count(row.biases)}\n= ${count(row.total)}` });
      label.style.left = `${(xs[i] + xs[i + 1]) / 2 - box.left}px`;
      return label;
    }));
  },
};

// ------------------------------------------------------------------ 9. matrix form
const ROWS = 3;
const COLS = 4;

// A column vector or a matrix corner, in brackets, with dots for what is left out.
function bracket(rows, { more = true, wide = false, testid } = {}) {
  const m = el("span", { class: "tour-mat" });
  if (testid) m.dataset.testid = testid;
  for (const row of rows) {
    const line = el("span", { class: "tour-mat-row" });
    for (const v of row) line.append(el("span", { text: fmt(v, 2) }));
    if (wide) line.append(el("span", { class: "muted", text: "\u2026" }));
    m.append(line);
  }
  if (more) m.append(el("span", { class: "tour-mat-row muted" }, el("span", { text: "\u22ee" })));
  return m;
}

const matrix = {
  view: "draw",
  spot: [".diagram-wrap"],
  enter(ctx) {
    ctx.live.append(
      el("div", { class: "tour-matrix", "data-testid": "matrix-corner", text: "Loading\u2026" }),
      readout("matrix-check"),
      el("pre", { class: "tour-formula wrap", "data-testid": "matrix-shapes" }));
  },
  async update(ctx, result) {
    if (!result) return;
    const model = ctx.app.state.model;
    const details = await Promise.all([...Array(ROWS).keys()].map((i) => neuronDetail(model, 2, i)));
    if (!ctx.active()) return;
    const b = details.map((d) => d.bias);
    const W = result.edges.find((e) => e.to === 2).weights;
    const a = result.layers[1].activations;
    const z = result.layers[2].weighted_sums;
    const a2 = result.layers[2].activations;
    const first = (v, n) => v.slice(0, n).map((x) => [x]);
    const f = result.layers[2].activation === "sigmoid" ? "\u03c3" : result.layers[2].activation;
    find(ctx, "matrix-corner").replaceChildren(
      el("div", { class: "tour-mat-line" },
        el("span", { class: "tour-mat-name", text: "z\u00b2 = W\u00b2 a\u00b9 + b\u00b2" })),
      el("div", { class: "tour-mat-line" },
        bracket(W.slice(0, ROWS).map((row) => row.slice(0, COLS)), { wide: true, testid: "matrix-w" }),
        el("span", { text: "\u00b7" }), bracket(first(a, COLS)), el("span", { text: "+" }),
        bracket(first(b, ROWS)), el("span", { text: "=" }), bracket(first(z, ROWS), { testid: "matrix-z" })),
      el("div", { class: "tour-mat-line" },
        el("span", { class: "tour-mat-name", text: `a\u00b2 = ${f}(z\u00b2) =` }), bracket(first(a2, ROWS))));
    // One row in full, all 16 columns: W's first row times a, plus b, is z.
    const row = W[0].reduce((s, w, j) => s + w * a[j], 0);
    const check = find(ctx, "matrix-check");
    check.dataset.sum = String(row + b[0]);
    check.dataset.z = String(z[0]);
    check.textContent = `Row 1 in full: the sum of its ${W[0].length} weights \u00d7 a\u00b9 is ${fmt(row)}; plus b\u00b2\u2081 = ${fmt(b[0])} gives ${fmt(row + b[0])}, the network's own z\u00b2\u2081 = ${fmt(z[0])}.`;
    const sizes = result.layers.map((L) => L.size);
    find(ctx, "matrix-shapes").textContent = ["Full shapes (rows\u00d7columns):", ...sizes.slice(1).map((n, l) => {
      const g = result.layers[l + 1].activation === "sigmoid" ? "\u03c3" : result.layers[l + 1].activation;
      return `a${sup(l + 1)} = ${g}(W${sup(l + 1)} a${sup(l)} + b${sup(l + 1)}): W${sup(l + 1)} ${n}\u00d7${sizes[l]}, a${sup(l)} ${sizes[l]}\u00d71, b${sup(l + 1)} ${n}\u00d71`;
    })].join("\n");
    if (!(ctx.app.state.source === "draw" && ctx.app.pad.empty)) ctx.did();
  },
};

function sup(n) {
  return String(n).replace(/\d/g, (d) => "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"[d]);
}

// ------------------------------------------------------------------ 10. learning
const SHORT_RUN = { layers: "784,16,16,10", epochs: "2", limit: "5000" };

const learning = {
  view: "learn",
  spot: ["#learn-form", ".charts", ".weights-box"],
  enter(ctx) {
    const button = el("button", { id: "tour-train", type: "button", class: "primary",
      text: "Start a short run from random weights" });
    const status = readout("learn-status", "");
    ctx.live.append(el("p", { class: "muted small-text",
      text: "784-16-16-10, 2 epochs over 5,000 training images: a few seconds. The model you draw on is not touched." }),
    button, status);
    button.addEventListener("click", () => {
      const form = document.getElementById("learn-form");
      for (const [name, value] of Object.entries(SHORT_RUN)) form.elements[name].value = value;
      form.requestSubmit();
      ctx.did();
    }, { signal: ctx.signal });
    const watch = () => {
      const going = document.getElementById("train-start").disabled;
      button.disabled = going;
      const text = document.getElementById("train-status").textContent;
      const turns = Number(document.getElementById("weight-grid").dataset.updates || 0);
      status.dataset.state = document.getElementById("train-status").dataset.state || "";
      status.textContent = `${text} The weight pictures have changed ${turns} time${turns === 1 ? "" : "s"}.`;
    };
    watch();
    const timer = setInterval(watch, 250);
    ctx.signal.addEventListener("abort", () => clearInterval(timer));
  },
};

export { knobs, matrix, learning };
