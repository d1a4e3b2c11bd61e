// The network as in the video: the 784 inputs as a 28x28 grid, hidden layers and the ten
// outputs as columns of circles whose brightness is their activation, and connections
// coloured by the sign of their weight (blue +, red -), fainter and thinner the smaller |w|.

import { fitCanvas } from "./colors.js";

const GOLD = "#facc15";

function displayActivation(a, kind, max) {
  if (kind === "tanh") return (a + 1) / 2;
  if (kind === "relu" || kind === "leaky_relu") return Math.max(0, a) / Math.max(1, max);
  return Math.max(0, Math.min(1, a));
}

// The first (longest) of ``texts`` narrower than ``width`` in the context's font, else the last.
function longestFitting(ctx, texts, width) {
  return texts.find((text) => ctx.measureText(text).width < width) || texts[texts.length - 1];
}

function edgeStyle(w, max) {
  const t = Math.min(1, Math.abs(w) / (max || 1));
  const c = w >= 0 ? "59,130,246" : "239,68,68";
  return { color: c, t };
}

export class Diagram {
  constructor(canvas, onPick) {
    this.canvas = canvas;
    this.onPick = onPick;
    this.result = null;
    this.selected = null;
    this.spots = [];
    this.captions = []; // each layer's caption as drawn: text, left and right (for tests)
    this.grid = null;
    canvas.addEventListener("click", (e) => {
      const hit = this.hitAt(e);
      if (hit) this.onPick(hit);
    });
    canvas.addEventListener("mousemove", (e) => {
      const hit = this.hitAt(e);
      canvas.style.cursor = hit ? "pointer" : "default";
      canvas.title = hit ? this.describe(hit) : "";
    });
    new ResizeObserver(() => this.draw()).observe(canvas.parentElement);
  }

  set(result) {
    this.result = result;
    this.draw();
  }

  select(spot) {
    this.selected = spot;
    this.draw();
  }

  hitAt(e) {
    const rect = this.canvas.getBoundingClientRect();
    return this.hit(e.clientX - rect.left, e.clientY - rect.top);
  }

  hit(x, y) {
    for (const s of this.spots) {
      const dx = x - s.x;
      const dy = y - s.y;
      if (dx * dx + dy * dy <= Math.max(s.r + 3, 8) ** 2) return { layer: s.layer, index: s.index };
    }
    const g = this.grid;
    if (g && x >= g.x && y >= g.y && x < g.x + g.size && y < g.y + g.size) {
      const col = Math.floor((x - g.x) / g.cell);
      const row = Math.floor((y - g.y) / g.cell);
      return { layer: 0, index: row * 28 + col };
    }
    return null;
  }

  // Where a neuron is drawn, in CSS pixels relative to the page (for tests and tooltips).
  position(layer, index) {
    const rect = this.canvas.getBoundingClientRect();
    if (layer === 0 && this.grid) {
      const g = this.grid;
      return {
        x: rect.left + g.x + ((index % 28) + 0.5) * g.cell,
        y: rect.top + g.y + (Math.floor(index / 28) + 0.5) * g.cell,
      };
    }
    const s = this.spots.find((p) => p.layer === layer && p.index === index);
    return s ? { x: rect.left + s.x, y: rect.top + s.y } : null;
  }

  describe(hit) {
    const r = this.result;
    if (!r) return "";
    if (hit.layer === 0) {
      const a = r.input[hit.index];
      return `input pixel (${Math.floor(hit.index / 28)}, ${hit.index % 28}): ${a.toFixed(2)}`;
    }
    const L = r.layers[hit.layer];
    const name = L.kind === "output" ? `output ${hit.index}` : `layer ${hit.layer}, neuron ${hit.index}`;
    return `${name}: activation ${L.activations[hit.index].toFixed(3)} (click for details)`;
  }

  draw() {
    const { ctx, width, height } = fitCanvas(this.canvas);
    ctx.clearRect(0, 0, width, height);
    this.spots = [];
    const r = this.result;
    if (!r || width < 50 || height < 50) return;
    const layers = r.layers;
    const last = layers.length - 1;
    const top = 24;
    const bottom = 22;
    const usable = height - top - bottom;
    const labelSpace = 64;
    const gridSize = Math.max(84, Math.min(usable, width * 0.3));
    const cell = gridSize / 28;
    const gx = 4;
    const gy = top + (usable - gridSize) / 2;
    this.grid = { x: gx, y: gy, size: gridSize, cell };
    const end = width - labelSpace;
    const startX = gx + gridSize;

    // Positions of the drawn neurons of each layer.
    const pos = [null];
    for (let l = 1; l <= last; l++) {
      const shown = layers[l].shown;
      const n = shown.length;
      const x = startX + ((end - startX) * l) / last;
      const spacing = usable / n;
      const radius = Math.max(2.5, Math.min(13, spacing * 0.38));
      const kind = layers[l].activation;
      const max = Math.max(...layers[l].activations);
      pos.push(
        shown.map((index, i) => ({
          layer: l,
          index,
          x,
          y: top + spacing * (i + 0.5),
          r: radius,
          a: layers[l].activations[index],
          shade: displayActivation(layers[l].activations[index], kind, max),
        })),
      );
    }

    // Connections, behind the neurons.
    ctx.lineCap = "round";
    for (const edge of r.edges) {
      const l = edge.to;
      const targets = pos[l];
      if (edge.kind === "top") {
        edge.sources.forEach((sources, i) => {
          const t = targets[i];
          sources.forEach((src, k) => {
            const w = edge.weights[i][k];
            const a = r.input[src];
            const { color, t: s } = edgeStyle(w, edge.max_abs);
            const alpha = (0.08 + 0.7 * s) * (0.25 + 0.75 * a);
            ctx.strokeStyle = `rgba(${color},${alpha.toFixed(3)})`;
            ctx.lineWidth = 0.4 + 1.6 * s;
            ctx.beginPath();
            ctx.moveTo(gx + ((src % 28) + 0.5) * cell, gy + (Math.floor(src / 28) + 0.5) * cell);
            ctx.lineTo(t.x - t.r, t.y);
            ctx.stroke();
          });
        });
      } else {
        const sources = pos[l - 1];
        edge.weights.forEach((row, i) => {
          const t = targets[i];
          row.forEach((w, j) => {
            const s0 = sources[j];
            const { color, t: s } = edgeStyle(w, edge.max_abs);
            const alpha = (0.04 + 0.75 * s * s) * (0.3 + 0.7 * s0.shade);
            if (alpha < 0.02) return;
            ctx.strokeStyle = `rgba(${color},${alpha.toFixed(3)})`;
            ctx.lineWidth = 0.3 + 2.2 * s;
            ctx.beginPath();
            ctx.moveTo(s0.x + s0.r, s0.y);
            ctx.lineTo(t.x - t.r, t.y);
            ctx.stroke();
          });
        });
      }
    }

    // The input grid: each pixel one neuron.
    ctx.fillStyle = "#000";
    ctx.fillRect(gx, gy, gridSize, gridSize);
    for (let i = 0; i < 784; i++) {
      const v = r.input[i];
      if (v <= 0.004) continue;
      const g = Math.round(v * 255);
      ctx.fillStyle = `rgb(${g},${g},${g})`;
      ctx.fillRect(gx + (i % 28) * cell, gy + Math.floor(i / 28) * cell, cell + 0.5, cell + 0.5);
    }
    ctx.strokeStyle = "rgba(255,255,255,0.07)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = 0; k <= 28; k++) {
      ctx.moveTo(gx + k * cell, gy);
      ctx.lineTo(gx + k * cell, gy + gridSize);
      ctx.moveTo(gx, gy + k * cell);
      ctx.lineTo(gx + gridSize, gy + k * cell);
    }
    ctx.stroke();
    ctx.strokeStyle = "#3a4456";
    ctx.strokeRect(gx, gy, gridSize, gridSize);

    // Neurons.
    const winner = r.digit;
    for (let l = 1; l <= last; l++) {
      for (const s of pos[l]) {
        const g = Math.round(s.shade * 255);
        ctx.beginPath();
        ctx.arc(s.x, s.y, s.r, 0, Math.PI * 2);
        ctx.fillStyle = `rgb(${g},${g},${g})`;
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = "#8b95a7";
        if (l === last && s.index === winner) {
          ctx.lineWidth = 2.5;
          ctx.strokeStyle = GOLD;
        }
        ctx.stroke();
        this.spots.push(s);
      }
    }

    // Labels: layer captions, output digits, hidden counts.
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    ctx.fillStyle = "#9aa3b2";
    ctx.fillText(gridSize > 150 ? "784 inputs (28\u00d728)" : "784 inputs", gx + gridSize / 2, gy - 8);
    this.captions = [];
    for (let l = 1; l <= last; l++) {
      const L = layers[l];
      const x = pos[l][0].x;
      const room = (end - startX) / last;
      // Captions and notes: the longest that fits between this layer's column and the next.
      const [long, short] = l === last ? ["output", "out"] : [`layer ${l}`, `L${l}`];
      const caption = longestFitting(ctx, [`${long} (${L.size})`, `${short} (${L.size})`, short], room - 6);
      const half = ctx.measureText(caption).width / 2;
      this.captions.push({ text: caption, left: x - half, right: x + half });
      ctx.fillStyle = "#9aa3b2";
      ctx.fillText(caption, x, top - 10);
      if (L.hidden > 0) {
        ctx.fillStyle = "#c7cdd8";
        const notes = [`${L.shown.length} most active shown, +${L.hidden} hidden`, `${L.shown.length} shown, +${L.hidden} hidden`, `+${L.hidden} hidden`];
        const note = longestFitting(ctx, notes, room - 12);
        ctx.fillText(note, x, height - 6);
      }
    }
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const s of pos[last]) {
      const win = s.index === winner;
      ctx.font = `${win ? "700 " : ""}${Math.max(11, Math.min(18, s.r * 1.4))}px system-ui, sans-serif`;
      ctx.fillStyle = win ? GOLD : "#e6e8ec";
      ctx.fillText(String(s.index), s.x + s.r + 8, s.y);
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#9aa3b2";
      ctx.fillText(s.a.toFixed(2), s.x + s.r + 24, s.y);
    }

    // The selected neuron.
    const sel = this.selected;
    if (sel) {
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2;
      ctx.setLineDash([3, 3]);
      if (sel.layer === 0) {
        ctx.strokeRect(gx + (sel.index % 28) * cell - 1, gy + Math.floor(sel.index / 28) * cell - 1,
          cell + 2, cell + 2);
      } else {
        const s = this.spots.find((p) => p.layer === sel.layer && p.index === sel.index);
        if (s) {
          ctx.beginPath();
          ctx.arc(s.x, s.y, s.r + 4, 0, Math.PI * 2);
          ctx.stroke();
        }
      }
      ctx.setLineDash([]);
    }
  }
}
