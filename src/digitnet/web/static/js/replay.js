// Replay the learning: an epoch slider over the snapshots a model keeps (`digitnet train
// --snapshots`, and every run from the Learn view): the accuracy curves up to that epoch, 16
// first-layer weight pictures and the answer for the digit on show, as they were then ("watch
// it learn your 7"). On the Models view for the model in use; on the Learn view (prefix
// "learn-replay") for a finished run (POST /api/runs/{id}/replay) or the model in use.

import { api, request } from "./api.js";
import { fitCanvas, paintWeights } from "./colors.js";

export class Replay {
  // hooks: { state, input() -> 784 pixels of the digit on show, or null }
  // options: { prefix of the element ids, parent element id, title, data-* key on <body> }
  constructor(hooks, { prefix = "replay", parent = "models", title = "Replay the learning", mark = "replayEpoch", quiet = false, onEpoch = null } = {}) {
    this.onEpoch = onEpoch; // told (epoch, all epochs) whenever an epoch is shown
    this.hooks = hooks;
    this.quiet = quiet; // no snapshots: the panel hides rather than says so
    this.prefix = prefix;
    this.mark = mark;
    this.model = null;
    this.run = null;
    this.data = null;
    this.ticket = 0;
    const $ = (id) => this.$(id);
    const id = (name) => `${prefix}-${name}`;
    const box = document.createElement("div");
    box.id = id("panel");
    box.className = "panel replay-panel";
    box.hidden = quiet;
    box.innerHTML = `
      <div class="panel-head"><h2>${title}</h2><span id="${id("model")}" class="muted small-text"></span></div>
      <div id="${id("none")}" class="muted small-text"></div>
      <div id="${id("body")}" hidden>
        <label class="replay-slider">Epoch <b id="${id("epoch-label")}">0</b>
          <input id="${id("epoch")}" type="range" min="0" max="0" step="1" value="0"
                 aria-label="Epoch to replay"></label>
        <div class="replay-row">
          <div><h3>Accuracy</h3><canvas id="${id("chart")}" class="replay-chart"></canvas></div>
          <div><h3>The answer for the digit on show</h3>
            <div id="${id("answer")}" class="replay-answer muted" aria-live="polite">Draw a digit first.</div></div>
        </div>
        <h3>First layer's weights</h3>
        <div id="${id("weights")}" class="weight-grid replay-weights"></div>
      </div>`;
    this.box = box;
    (typeof parent === "string" ? document.getElementById(parent) : parent).append(box);
    $("epoch").addEventListener("input", () => this.pick(Number($("epoch").value)));
  }

  // This replay's element `name` (its id is the prefix, a dash and the name).
  $(name) {
    return document.getElementById(`${this.prefix}-${name}`);
  }

  // The model in use.
  async show() {
    const { state } = this.hooks;
    if (!state.model) return;
    this.model = state.model;
    this.run = null;
    this.$("model").textContent = `model ${this.model}`;
    await this.load(null);
  }

  // A finished training run from the Learn view (its snapshots live with its network).
  async showRun(run) {
    this.run = run;
    this.model = null;
    this.$("model").textContent = `this run, ${run.settings.layers.join("-")}`;
    await this.load(null);
  }

  fetch(epoch) {
    const body = { epoch, input: this.hooks.input() };
    if (this.run) return request("POST", `/api/runs/${this.run.id}/replay`, body).then((r) => r.json());
    return api.replay(this.model, body);
  }

  async load(epoch) {
    const $ = (id) => this.$(id);
    const ticket = ++this.ticket;
    try {
      const data = await this.fetch(epoch);
      if (ticket !== this.ticket) return;
      if (this.quiet) this.box.hidden = !data.epochs.length;
      if (!data.epochs.length) {
        this.data = null;
        $("body").hidden = true;
        $("none").textContent = `${data.message}. Its snapshots are the parameters after every epoch, kept in the model file.`;
        return;
      }
      this.data = data;
      $("none").textContent = "";
      $("body").hidden = false;
      const slider = $("epoch");
      slider.max = String(data.epochs.length - 1);
      slider.value = String(data.epochs.indexOf(data.epoch));
      this.render();
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.data = null;
      if (this.quiet) this.box.hidden = true;
      $("body").hidden = true;
      $("none").textContent = `${err.message}. Its snapshots are the parameters after every epoch, kept in the model file.`;
    }
  }

  pick(position) {
    const $ = (id) => this.$(id);
    if (!this.data) return;
    const epoch = this.data.epochs[position];
    $("epoch-label").textContent = String(epoch);
    this.load(epoch);
  }

  render() {
    const $ = (id) => this.$(id);
    const d = this.data;
    $("epoch-label").textContent = String(d.epoch);
    document.body.dataset[this.mark] = String(d.epoch);
    if (this.onEpoch) this.onEpoch(d.epoch, d.epochs);
    const grid = $("weights");
    if (grid.children.length !== d.weights.length) {
      grid.replaceChildren(...d.weights.map(() => document.createElement("canvas")));
    }
    d.weights.forEach((w, k) => paintWeights(grid.children[k], w, d.side, d.side));
    const answer = $("answer");
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
    const { ctx, width, height } = fitCanvas(this.$("chart"));
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
