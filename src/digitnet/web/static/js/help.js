// Help where the eye is: every control and every number says what it is when hovered, focused
// or tapped. The sentences live in /static/texts.json ("help": CSS selector -> sentence), or on
// the element itself as data-help="..."; an element added later needs no code, one line there.

let loaded = null;

// The page's texts (help and tour), fetched once.
export function loadTexts() {
  if (!loaded) {
    loaded = fetch("/static/texts.json").then((r) => {
      if (!r.ok) throw new Error(`the page's texts did not load (${r.status})`);
      return r.json();
    });
  }
  return loaded;
}

const SHOW_AFTER_MS = 350;
const TAP_MS = 4000;
const TAPS_WITH_HELP = 2;

// The help sentence for an element (or the nearest ancestor that has one), or "".
export function helpFor(element, entries) {
  for (let el = element; el && el.nodeType === 1; el = el.parentElement) {
    const own = el.getAttribute("data-help");
    if (own) return { element: el, text: own };
    for (const [selector, text] of entries) {
      let hit = false;
      try {
        hit = el.matches(selector);
      } catch (err) {
        hit = false; // a selector the browser cannot read matches nothing
      }
      if (hit) {
        const title = el.getAttribute("data-title") || el.getAttribute("title") || "";
        return { element: el, text: text.replace("{title}", title) };
      }
    }
  }
  return null;
}

export function installHelp(texts) {
  const entries = Object.entries(texts.help || {});
  const tip = document.createElement("div");
  tip.id = "help-tip";
  tip.className = "help-tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.append(tip);
  let timer = null;
  let current = null;
  let enabled = localStorage.getItem("digitnet-help") !== "off";

  const toggle = document.getElementById("help-toggle");
  const markToggle = () => {
    if (!toggle) return;
    toggle.setAttribute("aria-pressed", String(enabled));
    toggle.classList.toggle("off", !enabled);
  };
  markToggle();
  if (toggle) {
    toggle.addEventListener("click", () => {
      enabled = !enabled;
      localStorage.setItem("digitnet-help", enabled ? "on" : "off");
      markToggle();
      if (enabled) show(toggle); else hide();
    });
  }

  function place(el) {
    const r = el.getBoundingClientRect();
    tip.style.maxWidth = `${Math.min(320, innerWidth - 16)}px`;
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    let x = r.left + r.width / 2 - w / 2;
    x = Math.max(8, Math.min(innerWidth - w - 8, x));
    let y = r.bottom + 8;
    if (y + h > innerHeight - 8) y = Math.max(8, r.top - h - 8);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }

  function show(target, sticky = false) {
    const found = helpFor(target, entries);
    if (!found || (!enabled && target !== toggle)) return hide();
    const el = found.element;
    // The element's own title (a live value, say) goes into the bubble instead of a second tooltip.
    if (el.hasAttribute("title")) {
      el.setAttribute("data-title", el.getAttribute("title"));
      el.removeAttribute("title");
    }
    const detail = el.getAttribute("data-title");
    tip.replaceChildren(found.text);
    // A title with a number in it is a live value ("output neuron 1: activation 0.186").
    if (detail && /\d/.test(detail) && !found.text.includes(detail)) {
      const small = document.createElement("div");
      small.className = "help-detail";
      small.textContent = detail;
      tip.append(small);
    }
    tip.hidden = false;
    current = el;
    tip.dataset.for = el.id || el.className || el.tagName.toLowerCase();
    place(el);
    clearTimeout(timer);
    if (sticky) timer = setTimeout(hide, TAP_MS);
  }

  function hide() {
    clearTimeout(timer);
    tip.hidden = true;
    current = null;
  }

  document.addEventListener("pointerover", (e) => {
    if (e.pointerType === "touch") return;
    clearTimeout(timer);
    const target = e.target;
    timer = setTimeout(() => show(target), SHOW_AFTER_MS);
  });
  document.addEventListener("pointerout", (e) => {
    if (e.pointerType === "touch") return;
    if (current && e.relatedTarget && current.contains(e.relatedTarget)) return;
    hide();
  });
  // A live title (the diagram says which neuron is under the pointer): keep the bubble fresh.
  document.addEventListener("pointermove", (e) => {
    if (!current || e.pointerType === "touch" || !current.contains(e.target)) return;
    if (current.hasAttribute("title")) show(e.target);
  });
  // A tap shows the sentence for a few seconds, without stopping what the tap does; the first
  // taps on an element only, so that drawing or pressing Next again is not covered each time.
  const taps = new WeakMap();
  document.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "touch" && e.pointerType !== "pen") return hide();
    const found = helpFor(e.target, entries);
    if (!found) return hide();
    const seen = taps.get(found.element) || 0;
    taps.set(found.element, seen + 1);
    if (seen < TAPS_WITH_HELP) show(e.target, true);
    else hide();
  });
  document.addEventListener("focusin", (e) => {
    if (e.target.matches && e.target.matches(":focus-visible")) show(e.target, true);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") hide();
  });
  window.addEventListener("scroll", hide, true);
  return { show, hide, helpFor: (el) => helpFor(el, entries) };
}
