// Building elements without innerHTML: text stays text, whatever a server sends.

import { colour } from "./syntax.js";

/** A new `tag` with an optional class and children (strings become text; null is skipped). */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined && child !== "") node.append(child);
  return node;
}

/** Pretty JSON in a <pre>, coloured. */
export function json(value) {
  return code(value === undefined ? "" : JSON.stringify(value, null, 2), "json");
}

/** A code block: `text` in a <pre><code>, coloured as `language`. */
export function code(text, language) {
  const block = el("code", null, colour(text, language));
  block.dataset.lang = language;
  return el("pre", "code-block", block);
}

/** The visible required mark; the control's `required` is what assistive technology reads. */
export function requiredMark() {
  const mark = el("span", "required", "*");
  mark.setAttribute("aria-hidden", "true");
  return mark;
}
