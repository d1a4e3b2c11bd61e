// What if one neuron's bias were different? Computed here, on a copy of the numbers the page
// already has (a prediction's weighted sums, activations and weights): the model never changes.
// Only a change travels forward: z' = z + W (a'_before - a_before), layer after layer.

export const ACTIVATIONS = {
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  relu: (z) => Math.max(0, z),
  leaky_relu: (z) => (z > 0 ? z : 0.01 * z),
  tanh: (z) => Math.tanh(z),
};

function softmax(z) {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

function activate(kind, z) {
  if (kind === "softmax") return softmax(z);
  const f = ACTIVATIONS[kind];
  if (!f) throw new Error(`no what-if for the ${kind} activation`);
  return z.map(f);
}

// Whether every neuron after `layer` is in the prediction (a small network: all are drawn).
export function canWhatIf(result, layer) {
  return result.layers.slice(layer).every((L) => !L.hidden);
}

// The network's numbers with neuron `index` of `layer` given bias `bias` instead of `trained`:
// {layers: [{z, a}] (index 0 is null), outputs, probabilities, digit}.
export function whatIfBias(result, layer, index, trained, bias) {
  const last = result.layers.length - 1;
  const layers = result.layers.map((L, l) => (l === 0 ? null : { z: [...L.weighted_sums], a: [...L.activations] }));
  layers[layer].z[index] += bias - trained;
  const kind = result.layers[layer].activation;
  layers[layer].a = activate(kind, layers[layer].z);
  if (kind !== "softmax") {
    // Only this neuron changed (a softmax layer shares one sum, so it is recomputed whole).
    const a = [...result.layers[layer].activations];
    a[index] = layers[layer].a[index];
    layers[layer].a = a;
  }
  for (let l = layer + 1; l <= last; l++) {
    const edge = result.edges.find((e) => e.to === l);
    const before = result.layers[l - 1].activations;
    const now = layers[l - 1].a;
    const change = now.map((v, j) => v - before[j]);
    const z = result.layers[l].weighted_sums.map((v, i) => {
      let s = v;
      edge.weights[i].forEach((w, j) => (s += w * change[j]));
      return s;
    });
    layers[l] = { z, a: activate(result.layers[l].activation, z) };
  }
  const outputs = layers[last].a;
  const total = outputs.reduce((x, y) => x + y, 0) || 1;
  const probabilities = outputs.map((v) => v / total);
  const digit = probabilities.indexOf(Math.max(...probabilities));
  return { layers, outputs, probabilities, digit };
}
