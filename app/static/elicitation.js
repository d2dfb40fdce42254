// Answering a server's questions in the page: 2026-07-28 input-required results whose
// `elicitation/create` requests become a form in a modal dialog (keyboard-usable: Tab
// between fields, Enter sends, Escape cancels; focus returns where it was).

import { el } from "./dom.js";
import { schemaFields } from "./schema-form.js";

const dialog = document.getElementById("elicit");
const form = document.getElementById("elicit-form");

/** Questions wait their turn: one dialog, one question at a time, whichever call asks. */
let queue = Promise.resolve();

/** Ask the person one elicitation; resolve with `{action, content?}` ("cancel" once `signal` aborts). */
export function askPerson(params, signal) {
  const asked = queue.then(() => ask(params, signal));
  queue = asked.catch(() => {});
  return asked;
}

function ask(params, signal) {
  if (signal?.aborted) return Promise.resolve({ action: "cancel" });
  document.getElementById("elicit-message").textContent = params.message || "The server asks for more information.";
  const box = document.getElementById("elicit-fields");
  let read = () => undefined;
  if (params.mode === "url") {
    box.replaceChildren(el("p", null, "Open this page, then press Send: ", link(params.url)));
  } else {
    const fields = schemaFields(params.requestedSchema || {}, "elicit");
    box.replaceChildren(fields.element);
    read = fields.read;
  }
  return new Promise((resolve) => {
    const done = (answer) => {
      signal?.removeEventListener("abort", abandon);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const abandon = () => done({ action: "cancel" });
    signal?.addEventListener("abort", abandon, { once: true });
    form.onsubmit = (event) => {
      event.preventDefault();
      const action = event.submitter?.value || "accept";
      const content = action === "accept" ? read() : undefined;
      done(content === undefined ? { action } : { action, content });
    };
    dialog.oncancel = (event) => {
      event.preventDefault();
      done({ action: "cancel" });
    };
    dialog.showModal();
  });
}

/** A link to an http(s) page the server names; any other scheme is shown as text, not followed. */
function link(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return el("code", null, String(url));
  }
  if (!["http:", "https:"].includes(parsed.protocol)) return el("code", null, String(url));
  const anchor = el("a", null, parsed.href);
  Object.assign(anchor, { href: parsed.href, target: "_blank", rel: "noopener noreferrer" });
  return anchor;
}

/** Answers to every input request, asked one after another; throws on a kind this page cannot answer. */
export async function answerAll(inputRequests, signal) {
  const answers = {};
  for (const [key, request] of Object.entries(inputRequests || {})) {
    if (request.method !== "elicitation/create") {
      throw new Error(
        `The server asked for ${request.method}, which this page cannot answer (it offers elicitation only).`,
      );
    }
    answers[key] = await askPerson(request.params || {}, signal);
  }
  return answers;
}
