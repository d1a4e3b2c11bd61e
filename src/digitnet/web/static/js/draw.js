// The drawing pad: white ink on black, like MNIST. Mouse, pen and finger (pointer events);
// `touch-action: none` in the CSS keeps a phone from scrolling while you draw.

const SEND = 112; // the drawing is sent to the server as SEND x SEND grey pixels

export class DrawPad {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onChange = onChange;
    this.strokes = [];
    this.current = null;
    this.small = document.createElement("canvas");
    this.small.width = SEND;
    this.small.height = SEND;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("pointercancel", (e) => this.up(e));
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    this.redraw();
  }

  get empty() {
    return this.strokes.length === 0;
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - rect.left) / rect.width) * this.canvas.width,
      ((e.clientY - rect.top) / rect.height) * this.canvas.height,
    ];
  }

  down(e) {
    if (e.button !== undefined && e.button > 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.current = { points: [this.point(e)] };
    this.strokes.push(this.current);
    this.redraw();
    this.onChange(false);
  }

  move(e) {
    if (!this.current) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) this.current.points.push(this.point(ev));
    this.redraw();
    this.onChange(false);
  }

  up(e) {
    if (!this.current) return;
    this.current = null;
    try {
      this.canvas.releasePointerCapture(e.pointerId);
    } catch (err) {
      /* already released */
    }
    this.onChange(true);
  }

  undo() {
    this.strokes.pop();
    this.current = null;
    this.redraw();
    this.onChange(true);
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.redraw();
    this.onChange(true);
  }

  redraw() {
    const { ctx, canvas } = this;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = canvas.height / 13;
    for (const stroke of this.strokes) {
      const pts = stroke.points;
      if (pts.length === 1) {
        ctx.beginPath();
        ctx.arc(pts[0][0], pts[0][1], ctx.lineWidth / 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(pts[0][0], pts[0][1]);
      for (let i = 1; i < pts.length - 1; i++) {
        const mx = (pts[i][0] + pts[i + 1][0]) / 2;
        const my = (pts[i][1] + pts[i + 1][1]) / 2;
        ctx.quadraticCurveTo(pts[i][0], pts[i][1], mx, my);
      }
      const last = pts[pts.length - 1];
      ctx.lineTo(last[0], last[1]);
      ctx.stroke();
    }
  }

  // The drawing as {width, height, pixels_b64}: SEND x SEND greys 0..255 (ink bright; a wide
  // pad sends SEND rows of as many more columns as it is wider), one
  // byte per pixel in base64 (docs/api.md): fewer bytes than a list of numbers, and far
  // quicker for the server to read.
  pixels() {
    const width = Math.round((SEND * this.canvas.width) / this.canvas.height);
    if (this.small.width !== width) this.small.width = width;
    const sctx = this.small.getContext("2d", { willReadFrequently: true });
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = "high";
    sctx.drawImage(this.canvas, 0, 0, width, SEND);
    const data = sctx.getImageData(0, 0, width, SEND).data;
    const grey = new Uint8Array(width * SEND);
    for (let i = 0; i < grey.length; i++) grey[i] = data[4 * i];
    return { width, height: SEND, pixels_b64: base64(grey) };
  }
}

// Bytes as standard base64 (btoa takes a string of char codes 0..255, built in chunks).
function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x2000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000));
  }
  return btoa(text);
}
