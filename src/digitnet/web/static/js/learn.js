// The Learn view: choose a network and a recipe, train it on the server, watch the cost and
// accuracy curves and the first layer's weight pictures change live (server-sent events).
// One run trains at a time: a run started while another trains waits in a short queue, shows
// its position and can be cancelled.

import { api } from "./api.js";
import { fitCanvas, fmt, paintWeights } from "./colors.js";
import { Compare } from "./compare.js";
import { Knobs } from "./knobs.js";
import { Replay } from "./replay.js";

function decodeWeights(picture) {
  const bytes = atob(picture.data);
  const values = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i);
    values[i] = (b > 127 ? b - 256 : b) / 127;
  }
  return values;
}

function drawChart(canvas, series, { xMax, yMin, yMax, percent, marks = [] }) {
  const { ctx, width, height } = fitCanvas(canvas);
  ctx.clearRect(0, 0, width, height);
  const left = 46;
  const right = 10;
  const top = 8;
  const bottom = 22;
  const w = width - left - right;
  const h = height - top - bottom;
  if (w < 20 || h < 20) return;
  const X = (x) => left + (x / (xMax || 1)) * w;
  const Y = (y) => top + h - ((y - yMin) / (yMax - yMin || 1)) * h;
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#232a36";
  ctx.fillStyle = "#9aa3b2";
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let k = 0; k <= 4; k++) {
    const y = yMin + ((yMax - yMin) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(left, Y(y));
    ctx.lineTo(left + w, Y(y));
    ctx.stroke();
    const digits = percent ? ((yMax - yMin) * 25 < 1 ? 1 : 0) : (yMax - yMin < 0.4 ? 3 : 2);
    ctx.fillText(percent ? `${(y * 100).toFixed(digits)}%` : y.toFixed(digits), left - 6, Y(y));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const step = Math.max(1, Math.ceil(xMax / 10));
  for (let e = 0; e <= xMax; e += step) ctx.fillText(String(e), X(e), top + h + 5);
  // Where the learning rate was changed while the run went on: a dashed line and the new rate.
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "#f472b6";
  ctx.fillStyle = "#f472b6";
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  for (const m of marks) {
    ctx.beginPath();
    ctx.moveTo(X(m.x), top);
    ctx.lineTo(X(m.x), top + h);
    ctx.stroke();
    ctx.fillText(`\u03b7 ${m.rate}`, Math.min(X(m.x) + 3, left + w - 40), top + h - 2);
  }
  ctx.setLineDash([]);
  let legendX = left + 8;
  for (const s of series) {
    if (!s.points.length) continue;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width || 1.5;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    // A third value starts a new segment when it changes (the running mean restarts each epoch).
    s.points.forEach(([x, y, part], i) => {
      const fresh = i === 0 || (part !== undefined && part !== s.points[i - 1][2]);
      if (fresh) ctx.moveTo(X(x), Y(y));
      else ctx.lineTo(X(x), Y(y));
    });
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.dots) {
      for (const [x, y] of s.points) {
        ctx.beginPath();
        ctx.arc(X(x), Y(y), 3, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    if (!s.label) continue;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(s.label, legendX, top + 4);
    legendX += ctx.measureText(s.label).width + 16;
  }
}

export class Learn {
  constructor(app) {
    this.app = app;
    this.form = document.getElementById("learn-form");
    this.status = document.getElementById("train-status");
    this.error = document.getElementById("train-error");
    this.startButton = document.getElementById("train-start");
    this.stopButton = document.getElementById("train-stop");
    this.cancelButton = document.getElementById("train-cancel");
    this.saveBox = document.getElementById("save-box");
    this.saveName = document.getElementById("save-name");
    this.saveStatus = document.getElementById("save-status");
    this.useButton = document.getElementById("use-run");
    this.lossCanvas = document.getElementById("loss-chart");
    this.accCanvas = document.getElementById("acc-chart");
    this.weightGrid = document.getElementById("weight-grid");
    this.run = null;
    this.source = null;
    this.knobs = new Knobs(this);
    this.compare = new Compare(this);
    // The epoch slider: a finished run's snapshots (or the model in use's), replayed.
    this.replay = new Replay(app, {
      prefix: "learn-replay",
      parent: this.weightGrid.parentElement,
      title: "Replay the learning",
      mark: "learnReplayEpoch",
      quiet: true,
      // The run's own curves are drawn up to the epoch replayed (all of them at the last).
      onEpoch: (epoch, epochs) => {
        this.replayEpoch = this.finishedRun && epoch !== epochs[epochs.length - 1] ? epoch : null;
        this.drawCharts();
      },
    });
    this.replayEpoch = null;
    this.finishedRun = null;
    this.reset();
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.start();
    });
    this.stopButton.addEventListener("click", () => this.stop());
    this.cancelButton.addEventListener("click", () => this.cancel());
    document.getElementById("save-run").addEventListener("click", () => this.save());
    this.useButton.addEventListener("click", () => {
      if (this.savedName) this.app.useModel(this.savedName, "draw");
    });
    new ResizeObserver(() => this.drawCharts()).observe(this.lossCanvas.parentElement);
  }

  // The form's defaults, limits and choices come from the recipe (GET /api/options): an option
  // the form has no field for gets one under "More options".
  async init(options) {
    this.recipe = options.recipe;
    for (const option of this.recipe) this.setUp(this.form.elements[option.name] || this.addField(option), option);
    // A run that is still going (say, the page was reloaded) is picked up again.
    const { runs } = await api.runs();
    const going = runs.find((r) => r.status === "running" || r.status === "queued");
    if (going) this.follow(going);
  }

  reset() {
    this.batchPoints = [];
    this.epochLoss = [];
    this.trainAcc = [];
    this.valAcc = [];
    this.epochs = 1;
    this.savedName = null;
  }

  addField(option) {
    const label = document.createElement("label");
    label.textContent = option.name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase()) + " ";
    const input = document.createElement(option.choices ? "select" : "input");
    input.name = option.name;
    if (!option.choices) {
      input.type = option.type === "text" ? "text" : "number";
      if (input.type === "number") input.step = "any";
    }
    label.append(input);
    document.getElementById("learn-more-fields").append(label);
    return input;
  }

  setUp(input, option) {
    input.title = option.help;
    if (option.choices) {
      input.replaceChildren(...option.choices.map((v) => new Option(v.replaceAll("_", " "), v, false, v === option.default)));
      return;
    }
    input.value = Array.isArray(option.default) ? option.default.join(",") : option.default;
    if (option.type !== "a list") {
      if (option.minimum !== null) input.min = option.minimum;
      if (option.maximum !== null) input.max = option.maximum;
      if (option.above !== null) input.min = option.above;
    }
  }

  settings() {
    const f = this.form.elements;
    const settings = {};
    for (const option of this.recipe) {
      const value = f[option.name].value;
      if (option.type === "a list") settings[option.name] = value.split(/[\s,\-]+/).filter(Boolean).map(Number);
      else if (option.type === "a whole number" || option.type === "a number") settings[option.name] = Number(value);
      else settings[option.name] = value;
    }
    return settings;
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  async start() {
    this.showError("");
    let run;
    try {
      run = await api.startRun(this.settings());
    } catch (err) {
      this.showError(err.message);
      return;
    }
    this.follow(run);
  }

  // The view comes into sight: the epoch slider for the finished run, or the model in use.
  shown() {
    this.drawCharts();
    if (this.run && !this.finishedRun) return; // a run is going on
    this.showReplay();
  }

  async showReplay() {
    document.body.dataset.learnReplayHiddenWhileTraining = "false";
    if (this.finishedRun) await this.replay.showRun(this.finishedRun);
    else await this.replay.show();
    this.weightGrid.hidden = !this.replay.box.hidden; // its weights replace the live ones
  }

  follow(run) {
    this.finishedRun = null;
    this.replayEpoch = null;
    this.replay.ticket += 1; // an answer on its way is not wanted any more
    this.replay.box.hidden = true;
    this.weightGrid.hidden = false;
    // What a run going on shows: the live weights, no replay (a mark for tests and tools).
    document.body.dataset.learnReplayHiddenWhileTraining = "true";
    if (this.run) {
      const accuracy = this.valAcc.length ? this.valAcc : this.trainAcc;
      this.compare.keep(this.run, { loss: this.epochLoss, accuracy }, this.knobs.marks.length > 0);
    }
    this.reset();
    this.run = run;
    this.compare.legend(run.settings);
    this.epochs = run.settings.epochs;
    this.knobs.attach(run);
    this.saveBox.hidden = true;
    this.saveStatus.textContent = "";
    this.useButton.disabled = true;
    this.startButton.disabled = true;
    if (run.status === "queued") {
      this.showQueued(run.position);
    } else {
      this.showRunning();
      this.status.textContent = "Loading MNIST\u2026";
    }
    this.weightGrid.replaceChildren();
    this.drawCharts();
    if (this.source) this.source.close();
    const source = new EventSource(`/api/runs/${run.id}/events`);
    this.source = source;
    const on = (type, fn) => source.addEventListener(type, (e) => fn(JSON.parse(e.data)));
    on("queued", (e) => this.showQueued(e.position));
    on("started", (e) => {
      this.showRunning();
      this.status.textContent = `Training ${e.sizes.join("-")} on ${e.images.toLocaleString()} images\u2026`;
      this.showWeights(e.weights);
    });
    on("batch", (e) => {
      this.batchPoints.push([e.progress * this.epochs, e.loss, e.epoch]);
      this.status.textContent = `Epoch ${e.epoch} of ${this.epochs}: ${e.done.toLocaleString()} of ${e.total.toLocaleString()} images, cost ${fmt(e.loss, 4)}`;
      this.drawCharts();
    });
    on("paused", (e) => this.knobs.halted(e));
    on("pausing", () => {
      if (this.knobs.box.dataset.state === "running") this.knobs.show("pausing");
    });
    on("resumed", () => this.knobs.show("running"));
    on("rate", (e) => this.knobs.mark(e));
    on("epoch", (e) => {
      this.epochLoss.push([e.epoch, e.loss]);
      this.trainAcc.push([e.epoch, e.train_accuracy]);
      if (e.validation_accuracy !== null) this.valAcc.push([e.epoch, e.validation_accuracy]);
      const val = e.validation_accuracy === null ? "" : `, validation ${(e.validation_accuracy * 100).toFixed(2)}%`;
      this.status.textContent = `Epoch ${e.epoch} of ${this.epochs}: cost ${fmt(e.loss, 4)}, training ${(e.train_accuracy * 100).toFixed(2)}%${val}`;
      this.showWeights(e.weights);
      this.drawCharts();
    });
    on("done", (e) => {
      source.close();
      this.finish();
      const acc = e.test_accuracy === null ? "" : `: ${(e.test_accuracy * 100).toFixed(2)}% of the 10,000 test digits right`;
      this.status.textContent = `${e.status === "stopped" ? "Stopped" : "Finished"} after ${e.epochs} epochs${acc}. Save it to use it.`;
      this.status.dataset.state = e.status;
      this.saveBox.hidden = false;
      this.finishedRun = run;
      this.showReplay();
      if (!this.saveName.value) this.saveName.value = `net-${run.settings.layers.join("-")}`.slice(0, 40);
    });
    on("cancelled", () => {
      source.close();
      this.finish();
      this.status.textContent = "Cancelled before it started.";
      this.status.dataset.state = "cancelled";
    });
    on("failed", (e) => {
      source.close();
      this.finish();
      this.status.textContent = "Training failed.";
      this.status.dataset.state = "failed";
      this.showError(`Training failed: ${e.error}`);
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) this.finish();
    };
  }

  // Waiting for the runs before it: say where it is in the queue; it can be cancelled.
  showQueued(position) {
    this.status.textContent = `Queued, position ${position}: it starts when the runs before it have finished.`;
    this.status.dataset.state = "queued";
    this.status.dataset.position = String(position);
    this.stopButton.disabled = true;
    this.cancelButton.hidden = false;
    this.cancelButton.disabled = false;
  }

  showRunning() {
    this.status.dataset.state = "running";
    delete this.status.dataset.position;
    this.stopButton.disabled = false;
    this.cancelButton.hidden = true;
  }

  finish() {
    this.knobs.detach();
    this.startButton.disabled = false;
    this.stopButton.disabled = true;
    this.cancelButton.hidden = true;
  }

  async cancel() {
    if (!this.run) return;
    this.cancelButton.disabled = true;
    try {
      await api.cancelRun(this.run.id);
    } catch (err) {
      this.cancelButton.disabled = false;
      this.showError(err.message);
    }
  }

  async stop() {
    if (!this.run) return;
    try {
      await api.stopRun(this.run.id);
      this.status.textContent = "Stopping after this mini-batch\u2026";
    } catch (err) {
      this.showError(err.message);
    }
  }

  async save() {
    const name = this.saveName.value.trim();
    this.saveStatus.textContent = "";
    try {
      const saved = await api.saveRun(this.run.id, name);
      this.savedName = saved.name;
      this.saveStatus.textContent = `Saved as \u201c${saved.name}\u201d.`;
      this.useButton.disabled = false;
      this.showError("");
      await this.app.refreshModels();
    } catch (err) {
      this.showError(err.message);
    }
  }

  showWeights(pictures) {
    if (!pictures) return;
    const canvases = this.weightGrid.querySelectorAll("canvas");
    pictures.forEach((p, i) => {
      let c = canvases[i];
      if (!c) {
        c = document.createElement("canvas");
        c.title = `layer 1, neuron ${p.neuron}`;
        this.weightGrid.append(c);
      }
      paintWeights(c, decodeWeights(p), 28, 28, 1);
    });
    this.weightGrid.dataset.updates = String(Number(this.weightGrid.dataset.updates || 0) + 1);
  }

  drawCharts() {
    const until = this.replayEpoch;
    const upTo = (points) => (until === null ? points : points.filter((p) => p[0] <= until + 1e-9));
    const batchPoints = upTo(this.batchPoints);
    const epochLoss = upTo(this.epochLoss);
    const trainAcc = upTo(this.trainAcc);
    const valAcc = upTo(this.valAcc);
    const earlierLoss = this.compare.series("loss");
    const earlierAcc = this.compare.series("accuracy");
    const xMax = Math.max(this.epochs, this.compare.epochs);
    // The axes hold every point, replayed or not, so that they stay put while the slider moves.
    const losses = [...this.batchPoints, ...this.epochLoss, ...earlierLoss.flatMap((s) => s.points)].map((p) => p[1]);
    const maxLoss = losses.length ? Math.max(...losses) * 1.05 : 1;
    const minLoss = losses.length ? Math.min(0, Math.min(...losses)) : 0;
    drawChart(this.lossCanvas, [
      ...earlierLoss,
      { label: "running mean in the epoch", color: "#60a5fa", points: batchPoints },
      { label: "per epoch", color: "#facc15", points: epochLoss, dots: true, width: 2 },
    ], { xMax, yMin: minLoss, yMax: maxLoss || 1, marks: this.knobs.marks });
    this.lossCanvas.dataset.points = String(batchPoints.length + epochLoss.length);
    const accs = [...this.trainAcc, ...this.valAcc, ...earlierAcc.flatMap((s) => s.points)].map((p) => p[1]);
    const lo = accs.length ? Math.max(0, Math.floor(Math.min(...accs) * 10) / 10) : 0;
    drawChart(this.accCanvas, [
      ...earlierAcc,
      { label: "training", color: "#60a5fa", points: trainAcc, dots: true },
      { label: "validation", color: "#facc15", points: valAcc, dots: true },
    ], { xMax, yMin: lo, yMax: 1, percent: true, marks: this.knobs.marks });
    this.accCanvas.dataset.points = String(trainAcc.length + valAcc.length);
  }
}
