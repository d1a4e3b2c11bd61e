// The tour: the video's ideas one step at a time, each shown and tried on the live network.
// Texts come from /static/texts.json ("tour"); what each step shows and does is in
// tour-steps.js. Every step has its own address, /#tour/1 to /#tour/N.

import { el } from "./dom.js";
import { loadTexts } from "./help.js";
import { knobs, learning, matrix } from "./tour-later.js";
import { bias, hope, layers, neuron, problem, sigmoid, weights } from "./tour-steps.js";

const STEPS = { problem, neuron, layers, hope, weights, bias, sigmoid, knobs, matrix, learning };

// The address the page was opened with (the page writes its view there once it starts).
const OPENED_WITH = location.hash;
const TOUR_HASH = /^#tour(?:\/(\d+))?$/;
const VIDEO_SIZES = "784,16,16,10";


class Tour {
  constructor(app, steps) {
    this.app = app;
    this.steps = steps;
    this.index = -1;
    this.shared = {}; // what steps hand on to each other (the neuron chosen, its what-if bias)
    this.leave = null;
    this.build();
    document.addEventListener("digitnet:result", (e) => this.update(e.detail));
    document.addEventListener("keydown", (e) => this.key(e));
    window.addEventListener("hashchange", () => this.fromHash(location.hash));
    document.getElementById("tour-open")?.addEventListener("click", () => {
      if (this.card.hidden) this.open(Math.max(1, this.index + 1));
      else this.close();
    });
  }

  build() {
    this.bar = el("span");
    this.count = el("span", { class: "tour-count muted" });
    this.title = el("h2", { id: "tour-title" });
    this.text = el("div", { class: "tour-text" });
    this.todo = el("p", { class: "tour-do" });
    this.live = el("div", { class: "tour-live", "data-testid": "tour-live" });
    this.ask = el("p", { class: "tour-ask" });
    this.choices = el("div", { class: "tour-choices" });
    this.feedback = el("p", { class: "tour-feedback", "aria-live": "polite" });
    this.prev = el("button", { id: "tour-prev", type: "button", text: "\u2190 Back" });
    this.next = el("button", { id: "tour-next", type: "button", class: "primary", text: "Next \u2192" });
    const close = el("button", { id: "tour-close", type: "button", "aria-label": "Close the tour", text: "\u00d7" });
    this.progress = el("div", { id: "tour-progress", class: "tour-progress", role: "progressbar",
      "aria-valuemin": "1", "aria-valuemax": String(this.steps.length) }, this.bar);
    this.card = el("aside", { id: "tour", class: "tour", "aria-label": "Tour of the video's ideas" },
      this.progress,
      el("div", { class: "tour-head" }, el("div", {}, this.count, this.title), close),
      el("div", { class: "tour-body" }, this.text, this.todo, this.live,
        el("div", { class: "tour-check" }, this.ask, this.choices, this.feedback)),
      el("div", { class: "tour-nav" }, this.prev, this.next));
    this.card.hidden = true;
    document.body.append(this.card);
    this.prev.addEventListener("click", () => this.go(this.index - 1));
    this.next.addEventListener("click", () => {
      if (this.index >= this.steps.length - 1) this.close();
      else this.go(this.index + 1);
    });
    close.addEventListener("click", () => this.close());
  }

  fromHash(hash) {
    const m = TOUR_HASH.exec(hash);
    return m ? this.open(Number(m[1] || 1)) : null;
  }

  async open(number) {
    const { state } = this.app;
    const model = state.models.find((m) => m.name === state.model);
    // The tour's words and numbers are the video's network's: use it if another is in use.
    if (!model || (model.sizes || []).join(",") !== VIDEO_SIZES) {
      const video = state.models.find((m) => (m.sizes || []).join(",") === VIDEO_SIZES);
      if (video) await this.app.useModel(video.name);
    }
    this.card.hidden = false;
    document.body.classList.add("touring");
    this.go(number - 1);
  }

  close() {
    this.exit();
    this.card.hidden = true;
    document.body.classList.remove("touring");
    this.index = Math.max(this.index, 0);
    history.replaceState(null, "", `#${this.app.state.view}`);
  }

  exit() {
    if (this.leave) this.leave();
    this.leave = null;
    for (const n of document.querySelectorAll(".tour-spot")) n.classList.remove("tour-spot");
  }

  go(i) {
    const index = Math.max(0, Math.min(this.steps.length - 1, Number.isFinite(i) ? i : 0));
    this.exit();
    this.index = index;
    const step = this.steps[index];
    const n = index + 1;
    if (location.hash !== `#tour/${n}`) history.replaceState(null, "", `#tour/${n}`);
    this.card.dataset.step = String(n);
    this.card.dataset.id = step.id;
    delete this.card.dataset.done;
    this.count.textContent = `Step ${n} of ${this.steps.length}`;
    this.title.textContent = step.title;
    this.text.replaceChildren(...step.text.map((p) => el("p", { text: p })));
    this.todo.replaceChildren(el("b", { text: "Try it: " }), step.do);
    this.bar.style.width = `${(100 * n) / this.steps.length}%`;
    this.progress.setAttribute("aria-valuenow", String(n));
    this.progress.setAttribute("aria-label", `step ${n} of ${this.steps.length}`);
    this.prev.disabled = index === 0;
    this.next.textContent = index === this.steps.length - 1 ? "Finish" : "Next \u2192";
    this.question(step.question);
    this.live.replaceChildren();
    this.live.scrollTop = 0;
    this.card.querySelector(".tour-body").scrollTop = 0;
    const behaviour = STEPS[step.id];
    if (!behaviour) return;
    const controller = new AbortController();
    const ctx = {
      app: this.app,
      shared: this.shared,
      live: this.live,
      signal: controller.signal,
      did: () => (this.card.dataset.done = "true"),
      active: () => !controller.signal.aborted,
    };
    this.ctx = ctx;
    this.behaviour = behaviour;
    if (behaviour.view && this.app.state.view !== behaviour.view) this.app.setView(behaviour.view);
    if (location.hash !== `#tour/${n}`) history.replaceState(null, "", `#tour/${n}`);
    for (const selector of behaviour.spot || []) {
      for (const node of document.querySelectorAll(selector)) node.classList.add("tour-spot");
    }
    const first = document.querySelector(".tour-spot");
    if (first && matchMedia("(max-width: 900px)").matches) first.scrollIntoView({ block: "start" });
    this.leave = () => {
      controller.abort();
      if (behaviour.leave) behaviour.leave(ctx);
    };
    behaviour.enter(ctx);
    if (this.app.state.result && behaviour.update) behaviour.update(ctx, this.app.state.result);
  }

  update(result) {
    if (this.card.hidden || !this.behaviour || !this.behaviour.update || !this.ctx.active()) return;
    this.behaviour.update(this.ctx, result);
  }

  question(q) {
    this.ask.textContent = q.ask;
    this.feedback.textContent = "";
    this.feedback.className = "tour-feedback";
    this.choices.replaceChildren(
      ...q.choices.map((choice, k) => {
        const b = el("button", { type: "button", class: "tour-choice", "aria-pressed": "false", text: choice });
        b.addEventListener("click", () => {
          const right = k === q.answer;
          for (const other of this.choices.children) {
            other.setAttribute("aria-pressed", String(other === b));
            delete other.dataset.verdict;
          }
          b.dataset.verdict = right ? "right" : "wrong";
          this.feedback.textContent = right ? q.right : q.wrong;
          this.feedback.className = `tour-feedback ${right ? "ok" : "bad"}`;
          this.feedback.scrollIntoView({ block: "nearest" });
        });
        return b;
      }),
    );
  }

  key(e) {
    if (this.card.hidden || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
    if (e.key === "ArrowRight") {
      e.preventDefault();
      this.go(this.index + 1);
    } else if (e.key === "ArrowLeft") {
      e.preventDefault();
      this.go(this.index - 1);
    }
  }
}

// Start the tour's machinery; open it when the page was opened at /#tour or /#tour/N.
export async function startTour(app) {
  const texts = await loadTexts();
  const tour = new Tour(app, texts.tour);
  if (TOUR_HASH.test(OPENED_WITH)) await tour.fromHash(OPENED_WITH);
  return tour;
}
