// Building elements without innerHTML: text stays text, whatever a server sends.

/** A new `tag` with an optional class and children (strings become text; null is skipped). */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined && child !== "") node.append(child);
  return node;
}

/** Pretty JSON in a <pre>. */
export function json(value) {
  return el("pre", "json", JSON.stringify(value, null, 2));
}

/** The visible required mark; the control's `required` is what assistive technology reads. */
export function requiredMark() {
  const mark = el("span", "required", "*");
  mark.setAttribute("aria-hidden", "true");
  return mark;
}
