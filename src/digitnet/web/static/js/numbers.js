// Whole numbers: the pad's number mode (a wider pad for several digits) and photos (a file
// input that opens a phone's camera, drag-and-drop, paste). Both are read by POST /api/read:
// the whole number with a box around each digit; clicking a digit shows *its* pass through
// the network in the diagram, the bars and the neuron panel, like a lone digit's.

import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const WIDE = { width: 840, height: 280 }; // the pad in number mode: three digits' room
const SQUARE = { width: 280, height: 280 };
const MAX_SEND_BYTES = 700_000; // larger files are scaled down here first (the body limit is 1 MB)
const MAX_SEND_SIDE = 1600;

export class Numbers {
  // pad: the DrawPad; show(result): shows one reading on the stage; toast(message);
  // state: the page's state (model, source).
  constructor({ pad, show, toast, state }) {
    Object.assign(this, { pad, show, toast, state });
    this.mode = false; // number mode of the pad
    this.reading = null; // the last answer of /api/read
    this.photo = null; // the photo on show, as base64
    this.selected = 0;
    this.inFlight = false;
    this.pending = false;
    this.answered = null;
    $("number-mode").addEventListener("click", () => this.setMode(!this.mode));
    $("photo-input").addEventListener("change", (e) => {
      const file = e.target.files && e.target.files[0];
      if (file) this.openPhoto(file);
      e.target.value = ""; // the same file again is a new choice
    });
    const stage = $("stage");
    stage.addEventListener("dragover", (e) => {
      if (![...(e.dataTransfer.types || [])].includes("Files")) return;
      e.preventDefault();
      stage.classList.add("dropping");
    });
    stage.addEventListener("dragleave", () => stage.classList.remove("dropping"));
    stage.addEventListener("drop", (e) => {
      stage.classList.remove("dropping");
      const file = e.dataTransfer.files && e.dataTransfer.files[0];
      if (!file) return;
      e.preventDefault();
      this.openPhoto(file);
    });
    document.addEventListener("paste", (e) => {
      const items = [...((e.clipboardData && e.clipboardData.items) || [])];
      const item = items.find((i) => i.kind === "file" && i.type.startsWith("image/"));
      if (!item) return;
      e.preventDefault();
      this.openPhoto(item.getAsFile());
    });
  }

  // Whether the stage's reading is this module's: a photo, or a drawing in number mode.
  takes() {
    return this.state.source === "photo" || (this.mode && this.state.source === "draw" && !this.pad.empty);
  }

  setMode(on) {
    this.mode = on;
    $("number-mode").setAttribute("aria-pressed", String(on));
    $("stage").classList.toggle("numbers", on);
    const size = on ? WIDE : SQUARE;
    const canvas = this.pad.canvas;
    canvas.width = size.width;
    canvas.height = size.height;
    canvas.classList.toggle("wide", on);
    $("draw-title").textContent = on ? "Write a number" : "Draw a digit";
    this.hide();
    this.state.source = "draw";
    this.pad.clear(); // redraws at the new size and asks for a reading
  }

  // The pad changed: a photo on show gives way to the drawing.
  drawing() {
    if (this.state.source === "photo") this.state.source = "draw";
    if (!this.mode || this.pad.empty) this.hide();
  }

  hide() {
    this.reading = null;
    this.answered = null;
    $("number-result").hidden = true;
    document.body.dataset.number = "";
  }

  // Read the photo, or the drawing in number mode (the page's predictNow hands over to this;
  // a photo is read again only for another model).
  async read() {
    const model = this.state.model;
    const photo = this.state.source === "photo";
    const body = photo ? { image_b64: this.photo, model } : { ...this.pad.pixels(), model };
    const request = JSON.stringify(body);
    if (request === this.answered) return;
    await this.send(body, request);
  }

  async send(body, request) {
    if (this.inFlight) {
      this.pending = { body, request };
      return;
    }
    this.inFlight = true;
    try {
      const reading = await api.read(body);
      this.answered = request;
      const current = body.image_b64 ? this.state.source === "photo" : this.takes();
      if (current) this.showReading(reading);
    } catch (err) {
      this.toast(err.message);
    } finally {
      this.inFlight = false;
      const next = this.pending;
      this.pending = false;
      if (next && this.takes()) this.send(next.body, next.request);
    }
  }

  async openPhoto(file) {
    let data;
    try {
      data = await photoData(file);
    } catch (err) {
      this.toast(err.message);
      return;
    }
    this.state.source = "photo";
    this.photo = data;
    this.answered = null;
    await this.read();
  }

  showReading(reading) {
    this.reading = reading;
    const box = $("number-result");
    box.hidden = false;
    $("number-text").textContent = reading.found ? reading.number : "?";
    $("number-note").textContent = reading.found
      ? `${reading.digits.length} digit${reading.digits.length === 1 ? "" : "s"}: click one to see it go through the network`
      : reading.message;
    document.body.dataset.number = reading.found ? reading.number : "";
    const picture = $("number-picture");
    picture.src = reading.steps.length ? reading.steps[0].png : "";
    const boxes = $("number-boxes");
    const buttons = $("number-digits");
    boxes.replaceChildren();
    buttons.replaceChildren();
    reading.digits.forEach((d, i) => {
      const [x0, y0, x1, y1] = d.box;
      const frame = document.createElement("button");
      frame.type = "button";
      frame.className = "number-box";
      frame.title = d.message;
      frame.setAttribute("aria-label", `digit ${i + 1}: ${d.digit ?? "?"}`);
      Object.assign(frame.style, {
        left: `${(100 * x0) / reading.width}%`,
        top: `${(100 * y0) / reading.height}%`,
        width: `${(100 * (x1 - x0)) / reading.width}%`,
        height: `${(100 * (y1 - y0)) / reading.height}%`,
      });
      frame.addEventListener("click", () => this.select(i));
      boxes.append(frame);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "number-digit";
      b.dataset.index = String(i);
      b.title = d.message;
      const p = document.createElement("small");
      p.textContent = `${Math.round(100 * d.probability)}%`;
      b.append(d.digit === null ? "?" : String(d.digit), p);
      b.addEventListener("click", () => this.select(i));
      buttons.append(b);
    });
    if (!reading.found) {
      $("answer-digit").textContent = "?";
      $("answer-message").textContent = reading.message;
      return;
    }
    this.select(Math.min(this.selected, reading.digits.length - 1));
  }

  // Show digit i's pass through the network on the stage.
  select(i) {
    const reading = this.reading;
    if (!reading || !reading.digits[i]) return;
    this.selected = i;
    const d = reading.digits[i];
    [...$("number-digits").children].forEach((b, k) => b.setAttribute("aria-pressed", String(k === i)));
    [...$("number-boxes").children].forEach((b, k) => b.classList.toggle("current", k === i));
    const n = reading.digits.length;
    const where = n > 1 ? `digit ${i + 1} of ${n} in ${reading.number}: ` : "";
    this.show({
      ...d,
      model: reading.model,
      message: where + d.message,
      steps: [...reading.steps, ...d.steps],
    });
  }
}

// A picture file as base64 for /api/read: as it is when small, else scaled down here first.
async function photoData(file) {
  if (file.size <= MAX_SEND_BYTES) return base64Of(file);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (err) {
    throw new Error(`${file.name || "the file"} is not a picture this browser can open`);
  }
  const scale = Math.min(1, MAX_SEND_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  return base64Of(blob);
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error("the file could not be read"));
    reader.readAsDataURL(blob);
  });
}
