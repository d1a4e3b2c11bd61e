// digitnet's page: draw a digit and watch the network think.

import { api } from "./api.js";
import { Beyond } from "./beyond.js";
import { Replay } from "./replay.js";
import { paintGrey } from "./colors.js";
import { Diagram } from "./diagram.js";
import { ForwardPass } from "./forward.js";
import { el } from "./dom.js";
import { DrawPad } from "./draw.js";
import { installHelp, loadTexts } from "./help.js";
import { Learn } from "./learn.js";
import { neuronTitle, renderFeatures, renderNeuron } from "./neuron.js";
import { startTour } from "./tour.js";
import { Teach } from "./teach.js";
import { Numbers } from "./numbers.js";
import { showLooks } from "./looks.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 60;
const MISTAKES_PER_PAGE = 24;

const state = {
  view: "draw",
  source: "draw", // what the stage shows: the drawing or an MNIST example
  model: null,
  models: [],
  result: null,
  example: null,
  selected: null,
  mistakes: { offset: 0, wrong: 0, items: [], position: -1, model: null },
  predictions: 0,
};

// ------------------------------------------------------------------ errors
let toastTimer = null;
function toast(message) {
  const t = $("toast");
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 5000);
}

// ------------------------------------------------------------------ predicting
let timer = null;
let inFlight = false;
let pending = false;
let answered = null; // the request whose answer is on show (a repeat of it is not sent)

function schedulePredict(now = false) {
  clearTimeout(timer);
  // body[data-reading] is "true" from now until the answer for what is drawn is on show
  // (tests and benchmarks that draw wait for "false").
  document.body.dataset.reading = "true";
  timer = setTimeout(predictNow, now ? 0 : DEBOUNCE_MS);
}

function settled() {
  if (!inFlight && !pending && timer === null) document.body.dataset.reading = "false";
}

async function predictNow() {
  clearTimeout(timer);
  timer = null;
  try {
    await askForAnswer();
  } finally {
    settled();
  }
}

async function askForAnswer() {
  if (!state.model) return;
  if (numbers.takes()) return numbers.read(); // a photo, or several digits: /api/read
  if (inFlight) {
    pending = true;
    return;
  }
  let body;
  if (state.source === "example" && state.example) {
    body = { width: 28, height: 28, pixels: state.example.pixels, preprocess: false };
  } else {
    body = pad.pixels();
  }
  body.model = state.model;
  // The step pictures (PNGs) are a good part of the server's work: ask for them only while
  // "How your drawing became 28x28" is open (opening it asks again).
  body.steps = $("steps").open;
  // Lifting the pen after a pause asks again for the picture just read: no need.
  const request = JSON.stringify(body);
  if (request === answered) return;
  inFlight = true;
  pending = false;
  try {
    const result = await api.predict(body);
    state.predictions += 1;
    answered = request;
    show(result);
  } catch (err) {
    toast(err.message);
  } finally {
    inFlight = false;
    if (pending) schedulePredict(true);
  }
}

function show(result) {
  state.result = result;
  paintGrey($("sees"), result.input, 28, 28, 255);
  const steps = $("steps-list");
  steps.replaceChildren();
  if (result.steps === null) {
    steps.textContent = "Loading the steps\u2026"; // asked for when the box opens
  } else if (result.steps.length) {
    for (const s of result.steps) {
      const fig = document.createElement("div");
      fig.className = "step";
      const img = document.createElement("img");
      img.src = s.png;
      img.alt = s.title;
      fig.title = s.note || s.title;
      fig.append(img, s.title);
      steps.append(fig);
    }
  } else {
    steps.textContent = "MNIST digits are already 28\u00d728, centred and scaled: they go in as they are.";
  }
  diagram.set(result);
  showAnswer(result);
  teach.answered(result);
  beyond.update(result);
  if (state.selected) loadNeuron(state.selected);
  document.dispatchEvent(new CustomEvent("digitnet:result", { detail: result })); // for the tour
}

function showAnswer(result) {
  const digit = $("answer-digit");
  const message = $("answer-message");
  const blank = state.source === "draw" && pad.empty;
  const hasDigit = result.digit !== null && result.digit !== undefined && !blank;
  digit.textContent = hasDigit ? String(result.digit) : "?";
  digit.classList.toggle("none", !hasDigit);
  if (blank) {
    message.textContent = "Draw a digit";
  } else if (state.source === "example" && state.example) {
    const ex = state.example;
    const right = result.digit === ex.label;
    message.replaceChildren();
    const verdict = document.createElement("span");
    verdict.className = right ? "ok" : "bad";
    verdict.textContent = right ? "right" : "wrong";
    message.append(`Test digit #${ex.index}, labelled ${ex.label}: `, verdict);
  } else {
    message.textContent = result.message || "";
  }
  if (result.looks > 1 && hasDigit) {
    // The answer is the mean of several passes; the diagram draws the first (the digit as prepared).
    message.append(el("span", { class: "looks", text: ` (read ${result.looks} times, moved a pixel each way: below; the diagram shows the first)` }));
  }
  showLooks($("each-look"), result, hasDigit);
  const bars = $("bars");
  if (!bars.children.length) {
    for (let d = 0; d < 10; d++) {
      const li = document.createElement("li");
      li.className = "bar";
      li.innerHTML = `<span class="d">${d}</span><span class="track"><span class="fill"></span></span><span class="p"></span>`;
      bars.append(li);
    }
  }
  [...bars.children].forEach((li, d) => {
    const p = blank ? 0 : result.probabilities[d] || 0;
    li.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
    li.querySelector(".p").textContent = blank ? "" : `${(p * 100).toFixed(p >= 0.1 ? 0 : 1)}%`;
    li.classList.toggle("win", hasDigit && d === result.digit);
    li.title = `output neuron ${d}: activation ${(result.outputs[d] || 0).toFixed(3)}`;
  });
  document.body.dataset.answer = hasDigit ? String(result.digit) : "";
}

// ------------------------------------------------------------------ a neuron up close
let neuronRequest = 0;
async function loadNeuron(spot) {
  state.selected = spot;
  diagram.select(spot);
  const panel = $("neuron-panel");
  panel.hidden = false;
  $("stage").classList.add("inspecting");
  const ticket = ++neuronRequest;
  try {
    const input = state.result ? state.result.input : null;
    const detail = await api.neuron(state.model, spot.layer, spot.index, input);
    if (ticket !== neuronRequest) return;
    $("neuron-title").textContent = neuronTitle(detail);
    renderNeuron($("neuron-body"), detail);
    if (detail.kind !== "input") {
      const features = await api.features(state.model, spot.layer, spot.index);
      if (ticket !== neuronRequest) return;
      renderFeatures($("neuron-body"), features);
    }
  } catch (err) {
    toast(err.message);
  }
}

function closeNeuron() {
  state.selected = null;
  diagram.select(null);
  $("neuron-panel").hidden = true;
  $("stage").classList.remove("inspecting");
}

// ------------------------------------------------------------------ examples
function showExample(example) {
  state.example = example;
  state.source = "example";
  paintGrey($("example-big"), example.pixels, 28, 28, 1);
  const info = $("example-info");
  info.replaceChildren();
  const b = document.createElement("b");
  b.textContent = `Test digit #${example.index}`;
  info.append(b, document.createElement("br"), `The right answer: ${example.label}`);
  if (example.predicted !== undefined) {
    info.append(document.createElement("br"), `The network said: ${example.predicted} (${Math.round(example.confidence * 100)}%)`);
  }
  schedulePredict(true);
}

async function randomExample() {
  try {
    const ex = await api.randomExample();
    state.mistakes.position = -1;
    markMistake();
    showExample(ex);
  } catch (err) {
    toast(err.message);
  }
}

async function loadMistakes(offset) {
  const m = state.mistakes;
  try {
    const data = await api.mistakes(state.model, offset, MISTAKES_PER_PAGE);
    Object.assign(m, { offset: data.offset, wrong: data.wrong, items: data.items, model: state.model });
    $("mistakes-title").textContent =
      `Mistakes: ${data.wrong.toLocaleString()} of ${data.tested.toLocaleString()} wrong (${(data.accuracy * 100).toFixed(2)}% right)`;
    const grid = $("mistake-grid");
    grid.replaceChildren();
    data.items.forEach((item) => {
      const t = document.createElement("button");
      t.type = "button";
      t.className = "thumb";
      t.dataset.position = String(item.position);
      t.title = `#${item.index}: it is a ${item.label}, the network said ${item.predicted}`;
      const c = document.createElement("canvas");
      paintGrey(c, item.pixels, 28, 28, 1);
      t.append(c, `${item.label}\u2192${item.predicted}`);
      t.addEventListener("click", () => pickMistake(item.position));
      grid.append(t);
    });
    markMistake();
  } catch (err) {
    toast(err.message);
  }
}

function markMistake() {
  for (const t of $("mistake-grid").children) {
    t.setAttribute("aria-current", String(Number(t.dataset.position) === state.mistakes.position));
  }
}

async function pickMistake(position) {
  const m = state.mistakes;
  if (m.wrong === 0) return;
  const p = Math.max(0, Math.min(m.wrong - 1, position));
  if (p < m.offset || p >= m.offset + m.items.length) {
    await loadMistakes(Math.floor(p / MISTAKES_PER_PAGE) * MISTAKES_PER_PAGE);
  }
  const item = m.items[p - m.offset];
  if (!item) return;
  m.position = p;
  markMistake();
  showExample(item);
}

// ------------------------------------------------------------------ models
async function refreshModels() {
  const data = await api.models();
  state.models = data.models;
  if (!state.model) state.model = data.default;
  const select = $("model-select");
  select.replaceChildren(
    ...data.models.map((m) => new Option(`${m.name} (${(m.sizes || []).join("-")})`, m.name, false, m.name === state.model)),
  );
  $("models-dir").textContent = `Saved models live in ${data.models_dir}`;
  const list = $("model-list");
  list.replaceChildren();
  for (const m of data.models) {
    const card = document.createElement("div");
    card.className = "model-card" + (m.name === state.model ? " current" : "");
    card.dataset.model = m.name;
    const h = document.createElement("h3");
    h.textContent = m.name;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = m.kind;
    h.append(badge);
    const p = document.createElement("div");
    p.className = "muted";
    if (m.error) {
      p.textContent = m.error;
    } else {
      const acc = m.test_accuracy === null || m.test_accuracy === undefined ? "not tested" : `${(m.test_accuracy * 100).toFixed(2)}% of test digits right`;
      p.textContent = `${m.sizes.join("-")}, ${m.hidden_activation} / ${m.output_activation}, ${m.parameters.toLocaleString()} parameters, ${m.epochs_trained} epochs; ${acc}.`;
    }
    const desc = document.createElement("div");
    desc.textContent = m.description || "";
    const use = document.createElement("button");
    use.type = "button";
    use.textContent = m.name === state.model ? "In use" : "Use this model";
    use.disabled = m.name === state.model || Boolean(m.error);
    use.addEventListener("click", () => useModel(m.name, "draw"));
    card.append(h, desc, p, use);
    list.append(card);
  }
}

async function useModel(name, view) {
  state.model = name;
  answered = null; // a model saved again under its name answers anew
  closeNeuron();
  state.mistakes = { offset: 0, wrong: 0, items: [], position: -1, model: null };
  await refreshModels();
  beyond.modelChanged();
  if (view) setView(view);
  schedulePredict(true);
}

// ------------------------------------------------------------------ views
function setView(view) {
  state.view = view;
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  }
  const onStage = view === "draw" || view === "examples";
  $("stage").hidden = !onStage;
  $("learn").hidden = view !== "learn";
  $("models").hidden = view !== "models";
  $("teach").hidden = view !== "teach";
  $("draw-panel").hidden = view !== "draw";
  $("examples-panel").hidden = view !== "examples";
  if (view === "draw" && state.source !== "draw") {
    state.source = "draw";
    schedulePredict(true);
  }
  if (view === "examples") {
    if (state.mistakes.model !== state.model) loadMistakes(0);
    if (state.example && state.source !== "example") {
      state.source = "example";
      schedulePredict(true);
    } else if (!state.example) {
      randomExample();
    }
  }
  if (view === "learn") learn.shown();
  if (view === "teach") teach.show();
  if (view === "models") replay.show();
  if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
}

// ------------------------------------------------------------------ start
const pad = new DrawPad($("pad"), (strokeEnded) => {
  if (typeof numbers !== "undefined") numbers.drawing();
  if (state.source !== "draw") state.source = "draw";
  schedulePredict(strokeEnded);
});
const numbers = new Numbers({ pad, show, toast, state });
const diagram = new Diagram($("diagram"), (spot) => loadNeuron(spot));
// The digit on show (784 pixels 0..1), for the epoch sliders' answers; null if none.
const drawingInput = () => (state.result && !(state.source === "draw" && pad.empty) ? state.result.input : null);
const app = { refreshModels, useModel, state, input: drawingInput };
const learn = new Learn(app);
const teach = new Teach({ state, pad, toast, useModel, setView });
async function showTestDigit(index) {
  try {
    const ex = await api.example(index);
    state.mistakes.position = -1;
    showExample(ex);
    setView("examples");
  } catch (err) {
    toast(err.message);
  }
}
function showPixels(pixels, label) {
  // A digit made on the page (a fooled one) on the stage, as if it were a test digit.
  const from = state.source === "example" && state.example ? `#${state.example.index}` : "your drawing";
  state.mistakes.position = -1;
  showExample({ index: `${from}, fooled`, label, pixels: pixels.map((v) => Math.round(v * 255)) });
  setView("examples");
}
const beyond = new Beyond({ state, showTestDigit, showPixels, toast });
const forward = new ForwardPass({ diagram, result: () => state.result });
const replay = new Replay({ state, input: drawingInput });

$("steps").addEventListener("toggle", () => {
  if ($("steps").open && state.result && state.result.steps === null) schedulePredict(true);
});
$("undo").addEventListener("click", () => pad.undo());
$("clear").addEventListener("click", () => pad.clear());
$("neuron-close").addEventListener("click", closeNeuron);
$("random-example").addEventListener("click", randomExample);
$("mistake-prev").addEventListener("click", () => pickMistake(state.mistakes.position - 1));
$("mistake-next").addEventListener("click", () => pickMistake(state.mistakes.position + 1));
$("model-select").addEventListener("change", (e) => useModel(e.target.value));
for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => setView(tab.dataset.view));
}
document.addEventListener("keydown", (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
    e.preventDefault();
    pad.undo();
  } else if (/^[0-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey && teach.canCorrect) {
    teach.correct(Number(e.key));
  } else if (e.key === "Escape") {
    if (!$("neuron-panel").hidden) closeNeuron();
    else if (state.view === "draw") pad.clear();
  }
});

// For tests and the curious: window.digitnet.
window.digitnet = { state, diagram, pad, setView, useModel, loadNeuron, teach, beyond, replay, forward, showTestDigit, numbers, learn };

async function start() {
  try {
    const options = await api.options();
    await refreshModels();
    await learn.init(options);
  } catch (err) {
    toast(err.message);
  }
  const view = location.hash.slice(1);
  setView(["draw", "examples", "learn", "teach", "models"].includes(view) ? view : "draw");
  await predictNow();
  try {
    const texts = await loadTexts(); // help on hover and tap, and the tour (static/texts.json)
    window.digitnet.help = installHelp(texts);
    await startTour(window.digitnet);
  } catch (err) {
    toast(err.message);
  }
  document.body.dataset.ready = "true";
}

start();
