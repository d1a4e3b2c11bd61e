// Knobs while it learns (Learn view): pause the run, train one mini-batch at a time, resume,
// and change the learning rate while it goes on (POST /api/runs/{id}/pause|resume|step|
// learning-rate). The run says where it came to rest ("paused" events) and where a new rate
// took effect ("rate" events): the curves mark that spot with the new rate.

import { request } from "./api.js";
import { fmt } from "./colors.js";

const $ = (id) => document.getElementById(id);

async function post(path, body) {
  const response = await request("POST", path, body);
  return response.json();
}

export class Knobs {
  // learn: the Learn view (its status line, error line and charts)
  constructor(learn) {
    this.learn = learn;
    this.run = null;
    this.marks = []; // [{x: epochs done, rate}] where the learning rate changed
    const box = document.createElement("div");
    box.id = "knobs";
    box.className = "knobs";
    box.hidden = true;
    box.dataset.state = "idle";
    box.innerHTML = `
      <div class="buttons">
        <button id="train-pause" type="button">Pause</button>
        <button id="train-resume" type="button" disabled>Resume</button>
        <button id="train-step" type="button" disabled>One mini-batch</button>
      </div>
      <div class="knob-rate">
        <label>Learning rate now <input id="knob-rate" type="number" step="any" min="0" inputmode="decimal"></label>
        <button id="knob-rate-set" type="button">Change</button>
      </div>`;
    learn.form.querySelector(".buttons").after(box);
    this.box = box;
    $("train-pause").addEventListener("click", () => this.pause());
    $("train-resume").addEventListener("click", () => this.resume());
    $("train-step").addEventListener("click", () => this.step());
    $("knob-rate-set").addEventListener("click", () => this.setRate());
    $("knob-rate").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault(); // not the form's "Start training"
      this.setRate();
    });
  }

  // A run starts (or is picked up again): its knobs, as the server knows them.
  attach(run) {
    this.run = run;
    this.marks = [];
    const knobs = run.knobs || { paused: false, at: null, learning_rate: run.settings.learning_rate, changes: [] };
    $("knob-rate").value = String(knobs.learning_rate);
    for (const change of knobs.changes) this.mark(change);
    this.box.hidden = false;
    this.show(knobs.paused ? "pausing" : "running");
    if (knobs.at) this.halted(knobs.at);
  }

  // The run is over: the knobs do nothing now (the marks stay on the curves).
  detach() {
    this.run = null;
    this.show("idle");
  }

  show(state) {
    this.box.dataset.state = state;
    const live = state !== "idle";
    const paused = state === "paused" || state === "pausing";
    $("train-pause").disabled = !live || paused;
    $("train-resume").disabled = !live || !paused;
    $("train-step").disabled = state !== "paused";
    $("knob-rate").disabled = !live;
    $("knob-rate-set").disabled = !live;
  }

  // The run came to rest between two mini-batches (a "paused" event).
  halted(at) {
    if (!this.run) return;
    this.show("paused");
    const batches = Math.ceil(at.total / this.run.settings.batch_size);
    this.learn.status.textContent =
      `Paused in epoch ${at.epoch} after ${at.batch.toLocaleString()} of ${batches.toLocaleString()} mini-batches ` +
      `(${at.images.toLocaleString()} of ${at.total.toLocaleString()} images)` +
      (at.batch ? `, cost so far ${fmt(at.loss, 4)}` : "") + ".";
    this.learn.status.dataset.state = "paused";
    this.learn.status.dataset.batch = String(at.batch);
    this.learn.status.dataset.epoch = String(at.epoch);
    if (at.batch) this.learn.batchPoints.push([at.progress * this.learn.epochs, at.loss, at.epoch]);
    this.learn.drawCharts();
  }

  // A new learning rate took effect (a "rate" event, or one in the run's record).
  mark(change) {
    this.marks.push({ x: change.progress * this.learn.epochs, rate: change.learning_rate });
    this.learn.lossCanvas.dataset.marks = String(this.marks.length);
    this.learn.drawCharts();
  }

  async act(path, body) {
    if (!this.run) return null;
    try {
      this.learn.showError("");
      return await post(`/api/runs/${this.run.id}/${path}`, body);
    } catch (err) {
      this.learn.showError(err.message);
      return null;
    }
  }

  async pause() {
    this.show("pausing");
    this.learn.status.textContent = "Pausing before the next mini-batch\u2026";
    if (!(await this.act("pause"))) this.show("running");
  }

  async resume() {
    if (await this.act("resume")) {
      this.show("running");
      this.learn.status.dataset.state = "running";
      this.learn.status.textContent = "Training again\u2026";
    }
  }

  async step() {
    $("train-step").disabled = true; // until the run has rested again
    if (!(await this.act("step"))) $("train-step").disabled = false;
  }

  async setRate() {
    const rate = Number($("knob-rate").value);
    const run = await this.act("learning-rate", { learning_rate: rate });
    if (run) this.box.dataset.rate = String(run.knobs.learning_rate);
    if (run && this.learn.status.dataset.state !== "paused") {
      this.learn.status.textContent = `The learning rate is ${rate} from the next mini-batch on.`;
    }
  }
}
