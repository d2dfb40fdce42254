// The outcome of a call, as the person sees and hears it: the result (or error) under a
// heading that takes the focus, a short spoken summary, and a live progress bar.

import { el } from "./dom.js";
import { Cancelled } from "./mcp-client.js";
import * as render from "./mcp-render.js";

const $ = (id) => document.getElementById(id);

/** Run `perform` and show its result with `view` (or the error) under `heading`, if `current()` still says
 * the item it was called from is the one shown: a late answer must not land under another item. */
export async function show(heading, perform, view, actions, current = () => true) {
  const outcome = $("outcome");
  const title = el("h3", null, heading);
  title.tabIndex = -1;
  try {
    const result = await perform();
    if (!current()) return;
    const failed = result.isError === true;
    if (failed) title.textContent = "Error";
    outcome.replaceChildren(title, view(result, actions), render.raw(result));
    announce(`${failed ? "Error" : heading}: ${summary(result)}`);
  } catch (error) {
    if (!current()) return;
    title.textContent = error instanceof Cancelled ? "Cancelled" : "Error";
    outcome.replaceChildren(title, render.failure(error));
    announce(`${title.textContent}: ${error.message}`);
  }
  title.focus();
}

/** Progress notifications move the bar; log messages go to the log pane (playground-console.js). */
export function onNotification(message) {
  if (message.method === "notifications/progress") {
    const { progress, total, message: text } = message.params;
    const bar = $("progress");
    $("progress-box").hidden = false;
    if (total) Object.assign(bar, { max: total, value: progress });
    else bar.removeAttribute("value");
    const percent = total ? ` (${Math.round((progress / total) * 100)}%)` : "";
    $("progress-text").textContent = `${progress}${total ? ` of ${total}` : ""}${percent}${text ? `: ${text}` : ""}`;
  }
}

/** A short spoken summary: the first text the result holds. */
function summary(result) {
  const first = [
    ...(result.content || []),
    ...(result.messages || []).map((m) => m.content),
    ...(result.contents || []),
  ]
    .map((item) => item.text)
    .find((text) => typeof text === "string");
  return first ? first.slice(0, 140) : "received.";
}

function announce(text) {
  $("call-status").textContent = text;
}
