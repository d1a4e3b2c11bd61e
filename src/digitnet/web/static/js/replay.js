// Replay the learning (Models view): an epoch slider over the snapshots a model keeps
// (`digitnet train --snapshots`): the accuracy curves up to that epoch, 16 first-layer weight
// pictures and the answer for the digit on show, as they were then ("watch it learn your 7").

import { api } from "./api.js";
import { fitCanvas, paintWeights } from "./colors.js";

const $ = (id) => document.getElementById(id);

export class Replay {
  // hooks: { state, input() -> 784 pixels of the digit on show, or null }
  constructor(hooks) {
    this.hooks = hooks;
    this.model = null;
    this.data = null;
    this.ticket = 0;
    const box = document.createElement("div");
    box.id = "replay-panel";
    box.className = "panel replay-panel";
    box.innerHTML = `
      <div class="panel-head"><h2>Replay the learning</h2><span id="replay-model" class="muted small-text"></span></div>
      <div id="replay-none" class="muted small-text"></div>
      <div id="replay-body" hidden>
        <label class="replay-slider">Epoch <b id="replay-epoch-label">0</b>
          <input id="replay-epoch" type="range" min="0" max="0" step="1" value="0"
                 aria-label="Epoch to replay"></label>
        <div class="replay-row">
          <div><h3>Accuracy</h3><canvas id="replay-chart" class="replay-chart"></canvas></div>
          <div><h3>The answer for the digit on show</h3>
            <div id="replay-answer" class="replay-answer muted" aria-live="polite">Draw a digit first.</div></div>
        </div>
        <h3>First layer's weights</h3>
        <div id="replay-weights" class="weight-grid replay-weights"></div>
      </div>`;
    $("models").append(box);
    $("replay-epoch").addEventListener("input", () => this.pick(Number($("replay-epoch").value)));
  }

  async show() {
    const { state } = this.hooks;
    if (!state.model) return;
    this.model = state.model;
    $("replay-model").textContent = `model ${this.model}`;
    await this.load(null);
  }

  async load(epoch) {
    const ticket = ++this.ticket;
    const model = this.model;
    try {
      const data = await api.replay(model, { epoch, input: this.hooks.input() });
      if (ticket !== this.ticket) return;
      if (!data.epochs.length) {
        this.data = null;
        $("replay-body").hidden = true;
        $("replay-none").textContent = `${data.message}. Its snapshots are the parameters after every epoch, kept in the model file.`;
        return;
      }
      this.data = data;
      $("replay-none").textContent = "";
      $("replay-body").hidden = false;
      const slider = $("replay-epoch");
      slider.max = String(data.epochs.length - 1);
      slider.value = String(data.epochs.indexOf(data.epoch));
      this.render();
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.data = null;
      $("replay-body").hidden = true;
      $("replay-none").textContent = `${err.message}. Its snapshots are the parameters after every epoch, kept in the model file.`;
    }
  }

  pick(position) {
    if (!this.data) return;
    const epoch = this.data.epochs[position];
    $("replay-epoch-label").textContent = String(epoch);
    this.load(epoch);
  }

  render() {
    const d = this.data;
    $("replay-epoch-label").textContent = String(d.epoch);
    document.body.dataset.replayEpoch = String(d.epoch);
    const grid = $("replay-weights");
    if (grid.children.length !== d.weights.length) {
      grid.replaceChildren(...d.weights.map(() => document.createElement("canvas")));
    }
    d.weights.forEach((w, k) => paintWeights(grid.children[k], w, d.side, d.side));
    const answer = $("replay-answer");
    if (d.answer) {
      const p = Math.round(d.answer.probability * 100);
      answer.innerHTML = `At epoch ${d.epoch} the network reads <b class="replay-digit">${d.answer.digit}</b> (${p}%).`;
      answer.classList.remove("muted");
    } else {
      answer.textContent = "Draw a digit (or pick a test digit) to see its answer at each epoch.";
      answer.classList.add("muted");
    }
    this.drawChart();
  }

  drawChart() {
    const d = this.data;
    const { ctx, width, height } = fitCanvas($("replay-chart"));
    ctx.clearRect(0, 0, width, height);
    const history = d.history || [];
    const last = Math.max(1, d.epochs[d.epochs.length - 1]);
    const x = (e) => 30 + ((width - 40) * e) / last;
    const y = (a) => height - 18 - (height - 28) * a;
    ctx.strokeStyle = "#262c38";
    ctx.fillStyle = "#9aa3b2";
    ctx.font = "10px system-ui";
    for (const a of [0, 0.5, 1]) {
      ctx.beginPath();
      ctx.moveTo(30, y(a));
      ctx.lineTo(width - 10, y(a));
      ctx.stroke();
      ctx.fillText(`${a * 100}%`, 2, y(a) + 3);
    }
    const series = [["train_accuracy", "#3b82f6"], ["validation_accuracy", "#facc15"]];
    for (const [key, colour] of series) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let started = false;
      history.forEach((e, i) => {
        const epoch = e.epoch || i + 1;
        const v = e[key];
        if (v === null || v === undefined || epoch > d.epoch) return;
        if (started) ctx.lineTo(x(epoch), y(v));
        else ctx.moveTo(x(epoch), y(v));
        started = true;
      });
      ctx.stroke();
    }
    ctx.strokeStyle = "#e6e8ec";
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x(d.epoch), 6);
    ctx.lineTo(x(d.epoch), height - 18);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillText(`epoch ${d.epoch}`, Math.min(x(d.epoch) + 3, width - 50), 14);
  }
}
