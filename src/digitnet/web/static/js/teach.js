// Teach it your handwriting: "Wrong? It is a ..." on the Draw view, and the Teach view with
// one example's lesson and one step, the gallery of your digits, and a teaching run.

import { ApiError, request } from "./api.js";
import { fmt, paintGrey, paintWeights } from "./colors.js";
import { el } from "./dom.js";

const $ = (id) => document.getElementById(id);


const json = async (method, path, body) => (await request(method, path, body)).json();

// Files as {name, data_b64} for POST /api/digits/import.
function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ name: file.name, data_b64: String(reader.result).split(",", 2)[1] || "" });
    reader.onerror = () => reject(new ApiError(0, `${file.name} cannot be read`));
    reader.readAsDataURL(file);
  });
}

const score = (s) => (s.total ? `${s.right} of ${s.total}` : "none held out");
const percent = (s) => (s.total ? ` (${((100 * s.right) / s.total).toFixed(1)}%)` : "");

export class Teach {
  constructor(app) {
    this.app = app; // {state, pad, toast, useModel, setView}
    this.example = null; // {input, label}: the drawing the lesson is about
    this.lastDrawing = null; // the drawing (pixels) the answer on show is for
    this.busy = false;
    this.buildCorrect();
    this.buildView();
  }

  // ---------------------------------------------------------------- the Draw view
  buildCorrect() {
    const box = $("correct");
    const row = el("div", { class: "correct-digits", role: "group", "aria-label": "The right digit" });
    for (let d = 0; d < 10; d++) {
      const b = el("button", { type: "button", "data-digit": String(d), title: `It is a ${d} (key ${d})`, text: String(d) });
      b.addEventListener("click", () => this.correct(d));
      row.append(b);
    }
    this.correctStatus = el("div", { class: "muted small-text", id: "correct-status", "aria-live": "polite" });
    box.append(el("div", { class: "correct-label", text: "Wrong? It is a \u2026" }), row, this.correctStatus);
    box.hidden = true;
  }

  // After every answer: offer the correction for a drawing with a digit in it.
  answered(result) {
    const { state, pad } = this.app;
    const drawn = state.source === "draw" && !pad.empty && result.found;
    $("correct").hidden = !drawn;
    this.lastResult = drawn ? result : null;
    this.correctStatus.textContent = "";
  }

  get canCorrect() {
    return this.app.state.view === "draw" && Boolean(this.lastResult);
  }

  async correct(label) {
    if (!this.lastResult) return;
    const result = this.lastResult;
    const body = { ...this.app.pad.pixels(), label, model: this.app.state.model };
    try {
      const added = await json("POST", "/api/digits", body);
      this.example = { input: result.input, label, answer: result.digit };
      const verdict = added.answer === label ? "it read it right" : `it read ${added.answer}`;
      this.correctStatus.replaceChildren(
        `Kept as a ${label} (${verdict}); you have ${added.count} digits. `,
        this.link("See what it learns from it", () => this.app.setView("teach")),
      );
      document.body.dataset.digits = String(added.count);
      if (this.app.state.view === "teach") this.refresh();
    } catch (err) {
      this.app.toast(err.message);
    }
  }

  link(text, action) {
    const a = el("a", { href: "#teach", text });
    a.addEventListener("click", (e) => {
      e.preventDefault();
      action();
    });
    return a;
  }

  // ---------------------------------------------------------------- the Teach view
  buildView() {
    const view = $("teach");
    // one example, one step
    this.lessonBox = el("div", { class: "panel lesson", id: "lesson" });
    // your digits
    this.gallery = el("div", { class: "gallery", id: "gallery" });
    this.galleryTitle = el("h2", { text: "Your digits" });
    const importInput = el("input", { type: "file", id: "import-files", multiple: "", accept: "image/*,.zip", hidden: "" });
    importInput.addEventListener("change", () => this.importFiles(importInput));
    const importButton = el("button", { type: "button", id: "import-digits", text: "Import\u2026" });
    importButton.addEventListener("click", () => importInput.click());
    const exportPng = el("a", { class: "button-link", href: "/api/digits/export.zip", download: "your-digits.zip", id: "export-png", text: "Export PNGs" });
    const exportIdx = el("a", { class: "button-link", href: "/api/digits/export-idx.zip", download: "your-digits-idx.zip", id: "export-idx", text: "Export IDX" });
    const galleryPanel = el(
      "div",
      { class: "panel gallery-panel" },
      el("div", { class: "panel-head" }, this.galleryTitle, el("div", { class: "buttons" }, exportPng, exportIdx, importButton, importInput)),
      el("p", { class: "muted small-text", text: "Under each: what the model in use reads now, green if right, red if wrong. Draw, then press \u201cWrong? It is a \u2026\u201d (or a key 0-9) to add one." }),
      this.gallery,
    );
    // teaching
    this.teachButton = el("button", { type: "button", class: "primary", id: "teach-start", text: "Teach it my digits" });
    this.teachButton.addEventListener("click", () => this.teach());
    this.teachNumbers = el("div", { class: "teach-numbers", id: "teach-numbers", "aria-live": "polite" });
    this.moved = el("div", { class: "moved", id: "moved" });
    const teachPanel = el(
      "div",
      { class: "panel teach-panel" },
      el("h2", { text: "Teach" }),
      el("p", { class: "muted small-text", text: "Fine-tunes the model in use on your digits, mixed with MNIST training digits so that it keeps reading MNIST, and saves it as a new model. A fifth of your digits is held out, to see whether it learnt your hand or only memorised." }),
      this.teachButton,
      this.teachNumbers,
      this.moved,
    );
    view.append(this.lessonBox, galleryPanel, teachPanel);
    this.renderLesson(null);
  }

  show() {
    // No correction yet: the lesson is about the drawing on show, as the digit it was read as.
    if (!this.example && this.lastResult) {
      this.example = { input: this.lastResult.input, label: this.lastResult.digit };
    }
    this.refresh();
  }

  async refresh() {
    await Promise.all([this.loadGallery(), this.loadLesson()]);
  }

  // ------------------------------------------------------------------ gallery
  async loadGallery() {
    try {
      const data = await json("GET", `/api/digits?model=${encodeURIComponent(this.app.state.model)}`);
      this.renderGallery(data);
    } catch (err) {
      this.app.toast(err.message);
    }
  }

  renderGallery(data) {
    this.galleryTitle.textContent = data.count
      ? `Your digits: ${data.count}, ${data.right} read right by ${data.model}`
      : "Your digits";
    document.body.dataset.digits = String(data.count);
    const items = data.digits.map((d) => {
      const img = el("img", { src: d.prepared, alt: `a ${d.label}`, width: "28", height: "28" });
      const del = el("button", { type: "button", class: "delete", title: "Delete this digit", "aria-label": `Delete this ${d.label}`, text: "\u00d7" });
      del.addEventListener("click", () => this.remove(d.id));
      const caption = el("span", { class: "caption", text: `${d.label} \u2192 ${d.now}` });
      const card = el("div", { class: `digit ${d.right ? "right" : "wrong"}`, "data-id": d.id, title: `a ${d.label}; ${data.model} reads ${d.now}; added ${d.added}` }, img, caption, del);
      return card;
    });
    if (!items.length) items.push(el("p", { class: "muted small-text", text: "No digits yet." }));
    this.gallery.replaceChildren(...items);
  }

  async remove(id) {
    try {
      await json("DELETE", `/api/digits/${id}`);
      await this.loadGallery();
    } catch (err) {
      this.app.toast(err.message);
    }
  }

  async importFiles(input) {
    const files = [...input.files];
    input.value = "";
    if (!files.length) return;
    try {
      const body = { files: await Promise.all(files.map(readFile)) };
      const done = await json("POST", "/api/digits/import", body);
      this.galleryTitle.dataset.imported = String(done.imported);
      await this.loadGallery();
    } catch (err) {
      this.app.toast(err.message);
    }
  }

  // ------------------------------------------------------------------ one example, one step
  async loadLesson() {
    if (!this.example) return this.renderLesson(null);
    const body = { model: this.app.state.model, input: this.example.input, label: this.example.label };
    try {
      this.renderLesson(await json("POST", "/api/lesson", body));
    } catch (err) {
      this.app.toast(err.message);
    }
  }

  renderLesson(lesson) {
    const box = this.lessonBox;
    box.replaceChildren(el("h2", { text: "One example, one step" }));
    if (!lesson) {
      box.append(el("p", { class: "muted small-text", text: "Draw a digit on the Draw view and tell it which digit it is: here you will see what learning from that one drawing changes." }));
      return;
    }
    const sees = el("canvas", { class: "pixelated lesson-input", width: "28", height: "28" });
    paintGrey(sees, lesson.input || this.example.input, 28, 28, 255);
    const labels = el("div", { class: "correct-digits small", role: "group", "aria-label": "It should be" });
    for (let d = 0; d < 10; d++) {
      const b = el("button", { type: "button", text: String(d), "aria-pressed": String(d === lesson.label) });
      b.addEventListener("click", () => {
        this.example.label = d;
        this.loadLesson();
      });
      labels.append(b);
    }
    box.append(
      el("div", { class: "lesson-head" }, sees, el("div", {}, el("div", { class: "small-text", text: "It should be:" }), labels)),
      el("div", { class: "small-text muted", text: `The cost (${lesson.cost_name.replace("_", "-")}): ${lesson.formula}` }),
      el("div", { class: "formula", id: "lesson-cost", text: lesson.written }),
    );
    // what each output wants
    const wantMax = Math.max(1e-9, ...lesson.wants.map(Math.abs));
    const wants = el("div", { class: "wants", id: "lesson-wants" });
    lesson.wants.forEach((w, d) => {
      const bar = el("span", { class: `fill ${w >= 0 ? "up" : "down"}` });
      bar.style.width = `${(50 * Math.abs(w)) / wantMax}%`;
      wants.append(el("div", { class: "want", title: `output ${d}: activation ${fmt(lesson.outputs[d])}, wants ${w >= 0 ? "up" : "down"} by ${fmt(Math.abs(w), 4)}` }, el("span", { class: "d", text: String(d) }), el("span", { class: "track" }, bar), el("span", { class: "v", text: (w >= 0 ? "+" : "\u2212") + fmt(Math.abs(w), 3) })));
    });
    box.append(el("h3", { text: "What each output wants (\u2212\u2202C/\u2202z)" }), wants);
    // the hidden neurons' nudges
    lesson.nudges.forEach((nudges, i) => {
      const max = Math.max(1e-9, ...nudges.map(Math.abs));
      const row = el("div", { class: "nudges", "data-layer": String(i + 1) });
      nudges.forEach((n, j) => {
        const bar = el("span", { class: n >= 0 ? "up" : "down", title: `neuron ${j}: ${n >= 0 ? "up" : "down"} by ${fmt(Math.abs(n), 5)}` });
        bar.style.height = `${(100 * Math.abs(n)) / max}%`;
        row.append(bar);
      });
      box.append(el("h3", { text: `Nudges to hidden layer ${i + 1}'s ${nudges.length} neurons` }), row);
    });
    // the first layer's weight gradients
    const grads = el("div", { class: "grad-grid", id: "lesson-gradients" });
    lesson.gradients.forEach((g, k) => {
      const c = el("canvas", { class: "pixelated", title: `how neuron ${lesson.gradient_neurons[k]}'s 784 weights would move: blue up, red down` });
      paintWeights(c, g.map((v) => -v), 28, 28, lesson.gradient_max);
      grads.append(c);
    });
    box.append(el("h3", { text: "How the first layer's weights would move (blue up, red down)" }), grads);
    // one step
    const rate = el("input", { type: "range", id: "step-rate", min: "-2", max: "1.3", step: "0.1", value: "0", "aria-label": "Learning rate" });
    const rateText = el("span", { class: "small-text", id: "step-rate-text" });
    const showRate = () => (rateText.textContent = `learning rate ${this.rate(rate).toPrecision(2)}`);
    rate.addEventListener("input", showRate);
    showRate();
    const stepButton = el("button", { type: "button", class: "primary", id: "step-once", text: "Take one step" });
    const result = el("div", { class: "step-result", id: "step-result" });
    stepButton.addEventListener("click", () => this.step(this.rate(rate), result));
    box.append(el("div", { class: "step-row" }, rate, rateText, stepButton), result);
  }

  rate(input) {
    return Math.pow(10, Number(input.value));
  }

  async step(learningRate, out) {
    const body = { model: this.app.state.model, input: this.example.input, label: this.example.label, learning_rate: learningRate };
    try {
      const s = await json("POST", "/api/step", body);
      const column = (title, reading) => {
        const col = el("div", { class: "step-col" }, el("h3", { text: `${title}: ${reading.digit}` }));
        reading.probabilities.forEach((p, d) => {
          const fill = el("span", { class: "fill" });
          fill.style.width = `${(100 * p).toFixed(1)}%`;
          col.append(el("div", { class: `want${d === s.label ? " label" : ""}` }, el("span", { class: "d", text: String(d) }), el("span", { class: "track" }, fill), el("span", { class: "v", text: `${(100 * p).toFixed(1)}%` })));
        });
        return col;
      };
      out.replaceChildren(
        el("div", { class: "step-cols" }, column("Before", s.before), column("After one step", s.after)),
        el("div", { class: "small-text", id: "step-cost", text: `cost ${fmt(s.cost_before, 4)} \u2192 ${fmt(s.cost_after, 4)} (nothing is saved)` }),
      );
      out.dataset.after = JSON.stringify(s.after.outputs);
      out.dataset.before = JSON.stringify(s.before.outputs);
    } catch (err) {
      this.app.toast(err.message);
    }
  }

  // ------------------------------------------------------------------ teaching
  async teach() {
    if (this.busy) return;
    this.busy = true;
    this.teachButton.disabled = true;
    const numbers = this.teachNumbers;
    numbers.replaceChildren(el("div", { class: "muted", text: "Teaching\u2026" }));
    document.body.dataset.teaching = "running";
    try {
      const response = await request("POST", "/api/teach", { model: this.app.state.model });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      let result = null;
      for (;;) {
        const { value, done } = await reader.read();
        if (value) buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n")) >= 0) {
          const line = JSON.parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 1);
          if (line.error) throw new ApiError(422, line.error);
          if (line.progress) this.showProgress(line.progress);
          if (line.result) result = line.result;
        }
        if (done) break;
      }
      if (!result) throw new ApiError(0, "the teaching run ended without a result");
      this.showResult(result);
      document.body.dataset.teaching = "done";
      await this.app.useModel(result.saved, "teach");
      this.refresh();
    } catch (err) {
      document.body.dataset.teaching = "failed";
      numbers.replaceChildren(el("div", { class: "error", text: err.message }));
      this.app.toast(err.message);
    } finally {
      this.busy = false;
      this.teachButton.disabled = false;
    }
  }

  showProgress(p) {
    this.teachNumbers.replaceChildren(
      el("div", { text: `mini-batch ${p.batch} of ${p.batches}` }),
      el("div", { text: `cost on your digits: ${fmt(p.cost, 4)}` }),
      el("div", { text: `your digits read right: ${p.taught_right} of ${p.taught}` }),
    );
  }

  showResult(r) {
    const row = (what, before, after) => el("tr", {}, el("th", { text: what }), el("td", { text: score(before) + percent(before) }), el("td", { text: score(after) + percent(after) }));
    this.teachNumbers.replaceChildren(
      el("div", { text: `${r.batches} mini-batches in ${r.seconds.toFixed(1)} s; cost on your digits ${fmt(r.cost_before, 4)} \u2192 ${fmt(r.cost_after, 4)}` }),
      el(
        "table",
        { class: "teach-table", id: "teach-table" },
        el("tr", {}, el("th"), el("th", { text: "before" }), el("th", { text: "after" })),
        row("your digits taught", r.taught_before, r.taught_after),
        row("your digits held out", r.held_out_before, r.held_out_after),
        row("MNIST test digits", r.mnist_before, r.mnist_after),
      ),
      el("div", { class: "ok", id: "teach-saved", text: `Saved as ${r.saved}, now in use.` }),
    );
    const max = Math.max(1e-9, ...r.changes.flat().map(Math.abs));
    this.moved.replaceChildren(el("h3", { text: "The first-layer weights that moved most (blue up, red down)" }));
    r.changes.forEach((values, k) => {
      const c = el("canvas", { class: "pixelated", title: `neuron ${r.change_neurons[k]}` });
      paintWeights(c, values, 28, 28, max);
      this.moved.append(c);
    });
  }
}
