// Answering a server's questions in the page: 2026-07-28 input-required results whose
// `elicitation/create` requests become a form in a modal dialog (keyboard-usable: Tab
// between fields, Enter sends, Escape cancels; focus returns where it was). A URL-mode
// request shows the whole address and its host, and opens it in a new tab only when the
// person presses "Open page" (which is also their accept: the call then waits for the page).

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
  let opening = null;
  const accept = form.querySelector('button[value="accept"]');
  accept.textContent = "Send";
  if (params.mode === "url") {
    opening = page(params.url);
    box.replaceChildren(...opening.shown);
    accept.textContent = "Open page";
    accept.disabled = !opening.href;
  } else {
    accept.disabled = false;
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
      if (action === "accept" && opening) {
        if (!opening.href) return;
        window.open(opening.href, "_blank", "noopener,noreferrer");
      }
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

/** What the dialog shows of a page the server names (its host first, then the whole address, never a link to
 * follow unasked), and the address to open: none for anything but http(s). */
function page(url) {
  let parsed = null;
  try {
    parsed = new URL(url);
  } catch {}
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) {
    const refused = el("p", null, "The server named an address this page will not open: ");
    return { href: null, shown: [refused, el("p", null, el("code", null, String(url)))] };
  }
  const shown = [
    el("p", null, "It opens a page at ", el("strong", "elicit-host", parsed.host), " in a new tab:"),
    el("p", null, el("code", "elicit-url", parsed.href)),
  ];
  if (parsed.hostname.split(".").some((label) => label.startsWith("xn--"))) {
    shown.push(el("p", "notice", "Careful: this address spells its host with look-alike characters."));
  }
  shown.push(el("p", "muted small", "Finish there: the call goes on by itself."));
  return { href: parsed.href, shown };
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
