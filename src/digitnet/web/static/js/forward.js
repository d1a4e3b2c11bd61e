// The forward pass, animated as in the video: a play button sweeps the activations through the
// network layer by layer over a second. The input is lit first; then each layer's neurons
// brighten to their activations, a' = f(W a + b), one layer after the other, and the answer
// is marked only when the output layer is reached. Click a neuron for its weighted sum.

const SWEEP_MS = 1000;

function dimmed(result, reached) {
  // A copy of the reading with the layers beyond `reached` (a fraction: 1.5 = layer 1 lit,
  // layer 2 half-way) dark.
  const layers = result.layers.map((L, l) => {
    if (l === 0) return L;
    const lit = Math.max(0, Math.min(1, reached - l + 1));
    if (lit >= 1) return L;
    return { ...L, activations: L.activations.map((a) => a * lit) };
  });
  const done = reached >= result.layers.length - 1;
  return { ...result, layers, digit: done ? result.digit : null };
}

export class ForwardPass {
  // hooks: { diagram, result() -> the reading on show }
  constructor(hooks) {
    this.hooks = hooks;
    this.frame = null;
    this.reached = []; // the layers lit at each frame of the last sweep (for tests)
    const head = document.querySelector(".diagram-head");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.id = "forward-play";
    this.button.className = "forward-play";
    this.button.textContent = "\u25b6 Feed forward";
    this.button.title = "Watch the activations sweep through the network, layer by layer";
    this.button.addEventListener("click", () => this.play());
    head.append(this.button);
  }

  play() {
    const result = this.hooks.result();
    if (!result || !result.layers) return;
    cancelAnimationFrame(this.frame);
    const last = result.layers.length - 1;
    const start = performance.now();
    this.reached = [];
    document.body.dataset.forward = "playing";
    this.button.disabled = true;
    const step = (now) => {
      const current = this.hooks.result() || result;
      const t = Math.max(0, Math.min(1, (now - start) / SWEEP_MS));
      const reached = t * last;
      this.reached.push(Math.floor(reached));
      this.hooks.diagram.set(t < 1 ? dimmed(current, reached) : current);
      if (t < 1) {
        this.frame = requestAnimationFrame(step);
      } else {
        this.button.disabled = false;
        document.body.dataset.forward = "done";
      }
    };
    this.hooks.diagram.set(dimmed(result, 0));
    this.frame = requestAnimationFrame(step);
  }
}
