// Colours shared by the diagram, the neuron panel and the Learn view.

export const BLUE = [59, 130, 246];
export const RED = [239, 68, 68];

// A weight as a colour: blue if positive, red if negative, brighter the larger |w| / max.
export function weightRGB(w, max) {
  const t = Math.min(1, Math.abs(w) / (max || 1));
  const base = w >= 0 ? BLUE : RED;
  return [Math.round(base[0] * t), Math.round(base[1] * t), Math.round(base[2] * t)];
}

export function weightCSS(w, max) {
  const [r, g, b] = weightRGB(w, max);
  return `rgb(${r},${g},${b})`;
}

// Paint values onto a canvas of size (w x h) pixels: weights (signed) or greys (0..1).
export function paintWeights(canvas, values, width, height, max) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(width, height);
  let m = max;
  if (!m) {
    m = 0;
    for (const v of values) m = Math.max(m, Math.abs(v));
  }
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = weightRGB(values[i] || 0, m);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function paintGrey(canvas, values, width, height, scale = 1) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round((values[i] || 0) * scale)));
    img.data[4 * i] = v;
    img.data[4 * i + 1] = v;
    img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// A canvas sized for the screen: returns its 2-D context scaled to CSS pixels.
export function fitCanvas(canvas) {
  const rect = canvas.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(rect.width * ratio));
  const h = Math.max(1, Math.round(rect.height * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width: rect.width, height: rect.height };
}

export function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const s = Number(x).toFixed(digits);
  return s.startsWith("-") ? "\u2212" + s.slice(1) : s;
}
