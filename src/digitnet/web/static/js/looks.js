// The looks of a network that reads each digit five times (digitnet.looks), under the answer.

import { paintGrey } from "./colors.js";
import { el } from "./dom.js";

const LOOK_NAMES = { "0,0": "as prepared", "-1,0": "moved up", "1,0": "moved down", "0,-1": "moved left", "0,1": "moved right" };

// Fill `strip` with the digit as each look moved it and what that look answered (the answer
// and the bars are the mean of the five); hide it for a network that reads once.
export function showLooks(strip, result, hasDigit) {
  const looks = hasDigit && result.each_look ? result.each_look : [];
  strip.hidden = !looks.length;
  strip.replaceChildren(...looks.map((look) => {
    const [down, right] = look.shift;
    const canvas = el("canvas");
    paintGrey(canvas, moved(result.input, down, right), 28, 28, 255);
    const percent = `${Math.round(look.probability * 100)}%`;
    const figure = el("figure", { class: "look", title: `${LOOK_NAMES[look.shift] || look.shift}: ${look.digit} (${percent})` },
      canvas, el("figcaption", { text: `${look.digit} ${percent}` }));
    figure.classList.toggle("differs", look.digit !== result.digit);
    return figure;
  }));
}

// The 28x28 input moved `down` rows and `right` columns (negative: up, left), black coming in.
function moved(input, down, right) {
  const out = new Array(784).fill(0);
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const from = [r - down, c - right];
      if (from.every((v) => v >= 0 && v < 28)) out[r * 28 + c] = input[from[0] * 28 + from[1]];
    }
  }
  return out;
}
