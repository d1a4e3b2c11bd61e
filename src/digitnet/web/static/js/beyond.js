// Beyond the video: fool the network, and each layer's map of the 10,000 test digits with
// the digit on show as a marker that moves while you draw (docs/beyond.md).

import { api } from "./api.js";
import { paintGrey, paintWeights } from "./colors.js";

const $ = (id) => document.getElementById(id);
// One colour per digit (matplotlib's tab10, as in `digitnet show embedding`).
export const DIGIT_COLOURS = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const MAP_SIDE = 180; // CSS pixels of a map
const PAD = 6; // room around the points, so the marker never leaves the map

function layerName(layer, last) {
  if (layer === 0) return "input";
  return layer === last ? "output" : `hidden layer ${layer}`;
}

export class Beyond {
  // hooks: { state, showTestDigit(index), showPixels(pixels 0..1, label), toast(message) }
  constructor(hooks) {
    this.hooks = hooks;
    this.panel = $("beyond-panel");
    this.toggle = $("beyond-toggle");
    this.maps = null; // GET /api/models/{name}/embedding, for this.mapsModel
    this.mapsModel = null;
    this.loading = null;
    this.bases = []; // each map's points, drawn once
    this.markers = []; // where the digit on show lies on each map, 0..1
    this.fooled = null;
    this.build();
    this.toggle.addEventListener("click", () => this.setOpen(this.panel.hidden));
  }

  build() {
    this.panel.innerHTML = `
      <div class="panel-head"><h2>Beyond the video</h2>
        <button id="beyond-close" type="button" aria-label="Close">&times;</button></div>
      <section class="beyond-fool" aria-label="Fool the network">
        <h3>Fool the network</h3>
        <p class="muted small-text">Pick the digit the network should read instead. The smallest
          change to the digit on show that makes it so: every pixel nudged along the gradient,
          none by more than 0.3.</p>
        <div id="fool-targets" class="fool-targets" role="group" aria-label="Target digit"></div>
        <div class="fool-pictures">
          <figure><canvas id="fool-original" class="pixelated"></canvas><figcaption>the digit</figcaption></figure>
          <figure><canvas id="fool-change" class="pixelated"></canvas><figcaption id="fool-change-caption">the change</figcaption></figure>
          <figure><canvas id="fool-fooled" class="pixelated"></canvas><figcaption>fooled</figcaption></figure>
        </div>
        <div id="fool-result" class="fool-result muted" aria-live="polite">Draw a digit or pick a test digit, then a target.</div>
      </section>
      <section class="beyond-maps" aria-label="Maps of the layers">
        <h3>Maps of the layers</h3>
        <p class="muted small-text">Each layer's activations for the 10,000 test digits, flattened
          to two dimensions (PCA), coloured by digit. The white ring is the digit on show: it moves
          as you draw. Click a dot to see that test digit.</p>
        <div id="map-legend" class="map-legend"></div>
        <div id="maps" class="maps"><span class="muted small-text">Open to load the maps.</span></div>
      </section>`;
    $("beyond-close").addEventListener("click", () => this.setOpen(false));
    const targets = $("fool-targets");
    for (let d = 0; d < 10; d++) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = String(d);
      b.dataset.target = String(d);
      b.title = `Make the network read a ${d}`;
      b.addEventListener("click", () => this.fool(d));
      targets.append(b);
    }
    const legend = $("map-legend");
    DIGIT_COLOURS.forEach((c, d) => {
      const s = document.createElement("span");
      s.innerHTML = `<i style="background:${c}"></i>${d}`;
      legend.append(s);
    });
  }

  setOpen(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.loadMaps();
      this.update(this.hooks.state.result);
    }
  }

  modelChanged() {
    this.maps = null;
    this.mapsModel = null;
    this.fooled = null;
    $("fool-result").textContent = "Draw a digit or pick a test digit, then a target.";
    if (!this.panel.hidden) this.loadMaps();
  }

  // ---------------------------------------------------------------- fooling
  async fool(target) {
    const { state } = this.hooks;
    const result = state.result;
    const out = $("fool-result");
    if (!result || result.digit === null || result.digit === undefined) {
      out.textContent = "There is no digit to fool: draw one or pick a test digit.";
      return;
    }
    out.textContent = `Looking for the smallest change that reads as a ${target}\u2026`;
    document.body.dataset.fooling = "busy";
    try {
      const answer = await api.fool({ model: state.model, input: result.input, target });
      this.showFooled(result.input, answer);
    } catch (err) {
      out.textContent = err.message;
      document.body.dataset.fooling = "error";
    }
  }

  showFooled(input, answer) {
    this.fooled = answer;
    paintGrey($("fool-original"), input, 28, 28, 255);
    paintWeights($("fool-change"), answer.change, 28, 28, answer.linf || 1);
    paintGrey($("fool-fooled"), answer.fooled, 28, 28, 255);
    $("fool-change-caption").textContent = `the change (\u00b1${answer.linf.toFixed(3)})`;
    const out = $("fool-result");
    out.replaceChildren();
    const line = document.createElement("div");
    const p = `${Math.round(answer.probability * 100)}%`;
    if (answer.success) {
      line.innerHTML = `The network now reads <b class="bad">${answer.answer}</b> (${p}) instead of <b>${answer.before}</b>.`;
    } else {
      line.textContent = `No change within ${answer.budget} makes it read a ${answer.target}: it still reads ${answer.answer}.`;
    }
    const size = document.createElement("div");
    size.textContent = `The change: L\u221e ${answer.linf.toFixed(3)} (the most any pixel moved, of 1), L2 ${answer.l2.toFixed(2)}, ${answer.pixels_changed} of 784 pixels.`;
    out.append(line, size);
    if (answer.success) {
      const note = document.createElement("div");
      note.className = "fool-note";
      note.textContent = `Look at the fooled digit: you still read a ${answer.before}. The change is a faint haze spread over many pixels, each too small to see, all pushing the same way.`;
      const show = document.createElement("button");
      show.type = "button";
      show.id = "fool-show";
      show.textContent = "Show the fooled digit to the network";
      show.title = "Feed the fooled digit through the network on the stage (Examples view)";
      show.addEventListener("click", () => this.hooks.showPixels(answer.fooled, answer.before));
      out.append(note, show);
    }
    document.body.dataset.fooling = answer.success ? `fooled-${answer.answer}` : "not-fooled";
  }

  // ---------------------------------------------------------------- the maps
  async loadMaps() {
    const model = this.hooks.state.model;
    if (!model || this.mapsModel === model || this.loading === model) return;
    this.loading = model;
    $("maps").innerHTML = `<span class="muted small-text">Placing 10,000 test digits on each layer's map\u2026</span>`;
    try {
      const maps = await api.embedding(model);
      if (this.hooks.state.model !== model) return;
      this.maps = maps;
      this.mapsModel = model;
      this.drawMaps();
      this.update(this.hooks.state.result);
    } catch (err) {
      $("maps").textContent = err.message;
    } finally {
      if (this.loading === model) this.loading = null;
    }
  }

  drawMaps() {
    const box = $("maps");
    box.replaceChildren();
    this.bases = [];
    const ratio = window.devicePixelRatio || 1;
    const last = this.maps.layers.length - 1;
    for (const m of this.maps.layers) {
      const fig = document.createElement("figure");
      fig.className = "map";
      const canvas = document.createElement("canvas");
      canvas.id = `map-${m.layer}`;
      canvas.width = MAP_SIDE * ratio;
      canvas.height = MAP_SIDE * ratio;
      canvas.style.width = `${MAP_SIDE}px`;
      canvas.style.height = `${MAP_SIDE}px`;
      canvas.setAttribute("aria-label", `Map of the ${layerName(m.layer, last)}`);
      const base = document.createElement("canvas");
      base.width = canvas.width;
      base.height = canvas.height;
      const ctx = base.getContext("2d");
      ctx.scale(ratio, ratio);
      ctx.fillStyle = "#0b0e13";
      ctx.fillRect(0, 0, MAP_SIDE, MAP_SIDE);
      ctx.globalAlpha = 0.55;
      const labels = this.maps.labels;
      const steps = this.maps.steps;
      for (let i = 0; i < labels.length; i++) {
        const [x, y] = this.toCanvas(m.x[i] / steps, m.y[i] / steps);
        ctx.fillStyle = DIGIT_COLOURS[labels[i]];
        ctx.fillRect(x - 0.75, y - 0.75, 1.5, 1.5);
      }
      this.bases.push(base);
      canvas.addEventListener("click", (e) => this.pick(m, canvas, e));
      const cap = document.createElement("figcaption");
      cap.innerHTML = `<b>${layerName(m.layer, last)}</b> (${m.size})<br>separation ${(m.separation * 100).toFixed(1)}%`;
      cap.title = "Nearest-centre accuracy: the share of test digits closer to the centre of their own digit's cluster than to any other's, in this layer (on this 2-D map: " +
        `${(m.map_separation * 100).toFixed(1)}%)`;
      fig.append(canvas, cap);
      box.append(fig);
    }
  }

  toCanvas(u, v) {
    const inner = MAP_SIDE - 2 * PAD;
    return [PAD + u * inner, PAD + (1 - v) * inner];
  }

  fromCanvas(x, y) {
    const inner = MAP_SIDE - 2 * PAD;
    return [(x - PAD) / inner, 1 - (y - PAD) / inner];
  }

  // Where the activations of the digit on show lie on each map (0..1, clamped to the map).
  place(result) {
    if (!this.maps || !result) return [];
    return this.maps.layers.map((m) => {
      const a = m.layer === 0 ? result.input : (result.layers[m.layer] || {}).activations;
      if (!a || a.length !== m.mean.length) return null;
      const uv = [0, 1].map((k) => {
        const comp = m.components[k];
        let s = 0;
        for (let i = 0; i < a.length; i++) s += ((a[i] || 0) - m.mean[i]) * comp[i];
        return Math.max(0, Math.min(1, (s - m.low[k]) / m.span[k]));
      });
      return uv;
    });
  }

  update(result) {
    if (this.panel.hidden || !this.maps) return;
    const { state } = this.hooks;
    const blank = state.source === "draw" && window.digitnet && window.digitnet.pad.empty;
    this.markers = blank ? [] : this.place(result);
    this.maps.layers.forEach((m, k) => {
      const canvas = $(`map-${m.layer}`);
      if (!canvas) return;
      const ctx = canvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this.bases[k], 0, 0);
      const spot = this.markers[k];
      if (!spot) {
        delete canvas.dataset.marker;
        return;
      }
      const ratio = canvas.width / MAP_SIDE;
      ctx.scale(ratio, ratio);
      const [x, y] = this.toCanvas(spot[0], spot[1]);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = "#000";
      ctx.beginPath();
      ctx.arc(x, y, 7, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      canvas.dataset.marker = `${spot[0].toFixed(4)},${spot[1].toFixed(4)}`;
    });
  }

  pick(m, canvas, event) {
    const rect = canvas.getBoundingClientRect();
    const [u, v] = this.fromCanvas(
      ((event.clientX - rect.left) / rect.width) * MAP_SIDE,
      ((event.clientY - rect.top) / rect.height) * MAP_SIDE,
    );
    const steps = this.maps.steps;
    let best = -1;
    let bestDistance = Infinity;
    for (let i = 0; i < m.x.length; i++) {
      const dx = m.x[i] / steps - u;
      const dy = m.y[i] / steps - v;
      const d = dx * dx + dy * dy;
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    }
    if (best >= 0) this.hooks.showTestDigit(best);
  }
}
