// Small helpers shared by the tour's steps: elements, live read-outs, a curve with dots on it.

import { api } from "./api.js";
import { fitCanvas, fmt } from "./colors.js";
import { el } from "./dom.js";

// A live number of the tour (its help sentence comes from ".tour-readout" in texts.json).
export const readout = (testid, text = "") => el("div", { class: "tour-readout", "data-testid": testid, text });
export const find = (ctx, testid) => ctx.live.querySelector(`[data-testid="${testid}"]`);
export const blank = (app) => app.state.source === "draw" && app.pad.empty;

export function unselect(ctx) {
  ctx.app.diagram.select(ctx.app.state.selected || null);
}

// A neuron's trained weights and bias (GET, asked once per model and neuron).
const details = new Map();
export function neuronDetail(model, layer, index) {
  const key = `${model}/${layer}/${index}`;
  if (!details.has(key)) {
    const ask = api.neuron(model, layer, index);
    ask.catch(() => details.delete(key)); // a model saved again under its name: ask anew
    details.set(key, ask);
  }
  return details.get(key);
}

const CURVES = {
  sigmoid: { f: (z) => 1 / (1 + Math.exp(-z)), name: "\u03c3(z) = 1 / (1 + e^\u2212z)", top: 1 },
  relu: { f: (z) => Math.max(0, z), name: "ReLU(z) = max(0, z)", top: 10 },
};

// The curve a = f(z) for z in -10..10 and each point {z, label} marked on it (a z off the
// chart is drawn at its edge, with its value).
export function drawCurve(canvas, kind, points) {
  const { ctx, width, height } = fitCanvas(canvas);
  const curve = CURVES[kind];
  const left = 30;
  const right = 8;
  const top = 18;
  const bottom = 18;
  const w = width - left - right;
  const h = height - top - bottom;
  ctx.clearRect(0, 0, width, height);
  if (w < 20 || h < 20) return;
  const X = (z) => left + ((Math.max(-10, Math.min(10, z)) + 10) / 20) * w;
  const Y = (a) => top + h - (Math.min(a, curve.top) / curve.top) * h;
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#262c38";
  ctx.fillStyle = "#9aa3b2";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, Y(0));
  ctx.lineTo(left + w, Y(0));
  ctx.moveTo(X(0), top);
  ctx.lineTo(X(0), top + h);
  ctx.stroke();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const z of [-10, -5, 0, 5, 10]) ctx.fillText(String(z), X(z), top + h + 3);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillText("0", left - 4, Y(0));
  ctx.fillText(String(curve.top), left - 4, Y(curve.top));
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(curve.name, left + 4, 2);
  ctx.strokeStyle = "#60a5fa";
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = 0; i <= 200; i++) {
    const z = -10 + (20 * i) / 200;
    if (i === 0) ctx.moveTo(X(z), Y(curve.f(z)));
    else ctx.lineTo(X(z), Y(curve.f(z)));
  }
  ctx.stroke();
  for (const p of points) {
    const a = curve.f(p.z);
    ctx.fillStyle = "#facc15";
    ctx.beginPath();
    ctx.arc(X(p.z), Y(a), 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#e6e8ec";
    ctx.textAlign = X(p.z) > left + w / 2 ? "right" : "left";
    ctx.textBaseline = "bottom";
    const dx = ctx.textAlign === "right" ? -8 : 8;
    ctx.fillText(`${p.label}: z = ${fmt(p.z, 2)}`, X(p.z) + dx, Y(a) - 4);
  }
}
