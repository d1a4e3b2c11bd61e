// Building the page's elements: one helper, shared by every panel.

// An element `tag` with `attrs` ("class" and "text" set className and textContent; any
// other key is an attribute) and `children` (elements or strings) appended in order.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}
