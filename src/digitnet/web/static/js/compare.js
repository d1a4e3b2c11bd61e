// Several runs on the same axes (Learn view): when a new run starts, the curves of the runs
// before it stay on the charts, each in its own colour, dashed, with a legend naming how its
// recipe differs from the run on show ("learning rate 0.05"). "Clear earlier runs" removes them.

const $ = (id) => document.getElementById(id);

const COLOURS = ["#a78bfa", "#34d399", "#fb923c", "#f87171", "#22d3ee"];
const KEPT = COLOURS.length;
const SKIP = new Set(["threads", "preset"]);

function shown(value) {
  if (Array.isArray(value)) return value.join("-");
  return String(value).replaceAll("_", " ");
}

// How recipe `a` differs from recipe `b`, in a few words ("learning rate 0.05, epochs 3").
export function differences(a, b) {
  const words = [];
  for (const key of Object.keys(a)) {
    if (SKIP.has(key) || JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    words.push(`${key.replaceAll("_", " ")} ${shown(a[key])}`);
  }
  return words;
}

export class Compare {
  constructor(learn) {
    this.learn = learn;
    this.earlier = []; // [{number, settings, changed, colour, loss, accuracy}]
    this.count = 0;
    const box = document.createElement("div");
    box.id = "compare";
    box.className = "compare";
    box.hidden = true;
    box.dataset.runs = "0";
    box.innerHTML = `<span class="muted small-text">Earlier runs, dashed:</span>
      <ul id="compare-legend" class="compare-legend"></ul>
      <button id="compare-clear" type="button">Clear earlier runs</button>`;
    learn.accCanvas.closest(".panel").append(box);
    $("compare-clear").addEventListener("click", () => this.clear());
  }

  // A run's curves, kept when the next run starts (runs that learned nothing are not kept).
  keep(run, curves, changed) {
    this.count += 1;
    if (!curves.loss.length) return;
    const colour = COLOURS[(this.count - 1) % COLOURS.length];
    this.earlier.push({ number: this.count, settings: run.settings, changed, colour, ...curves });
    this.earlier = this.earlier.slice(-KEPT);
  }

  clear() {
    this.earlier = [];
    this.legend(null);
    this.learn.drawCharts();
  }

  // The legend, against the recipe of the run on show.
  legend(current) {
    const list = $("compare-legend");
    list.replaceChildren(
      ...this.earlier.map((e) => {
        const item = document.createElement("li");
        const words = current ? differences(e.settings, current) : [];
        if (e.changed) words.push("learning rate changed while it ran");
        item.style.setProperty("--colour", e.colour);
        item.textContent = `run ${e.number}: ${words.length ? words.join(", ") : "the same recipe"}`;
        return item;
      })
    );
    const box = $("compare");
    box.hidden = !this.earlier.length;
    box.dataset.runs = String(this.earlier.length);
  }

  // Extra series for the cost and accuracy charts, and the epochs they need.
  series(kind) {
    return this.earlier.map((e) => ({
      label: "",
      color: e.colour,
      points: kind === "loss" ? e.loss : e.accuracy,
      dots: true,
      dash: [5, 4],
      width: 1.5,
    }));
  }

  get epochs() {
    return Math.max(0, ...this.earlier.map((e) => e.settings.epochs));
  }
}
