// Answering a server's questions in the page: 2026-07-28 input-required results whose
// `elicitation/create` requests become a form in a modal dialog (keyboard-usable: Tab
// between fields, Enter sends, Escape cancels; focus returns where it was).

import { el } from "./dom.js";
import { schemaFields } from "./schema-form.js";

const dialog = document.getElementById("elicit");
const form = document.getElementById("elicit-form");

/** Ask the person one elicitation; resolve with `{action, content?}`. */
export function askPerson(params) {
  document.getElementById("elicit-message").textContent = params.message || "The server asks for more information.";
  const box = document.getElementById("elicit-fields");
  let read = () => undefined;
  if (params.mode === "url") {
    const link = el("a", null, params.url);
    Object.assign(link, { href: params.url, target: "_blank", rel: "noopener noreferrer" });
    box.replaceChildren(el("p", null, "Open this page, then press Send: ", link));
  } else {
    const fields = schemaFields(params.requestedSchema || {}, "elicit");
    box.replaceChildren(fields.element);
    read = fields.read;
  }
  return new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      const action = event.submitter?.value || "accept";
      const content = action === "accept" ? read() : undefined;
      dialog.close();
      resolve(content === undefined ? { action } : { action, content });
    };
    dialog.oncancel = (event) => {
      event.preventDefault();
      dialog.close();
      resolve({ action: "cancel" });
    };
    dialog.showModal();
  });
}

/** Answers to every input request, asked one after another; throws on a kind this page cannot answer. */
export async function answerAll(inputRequests) {
  const answers = {};
  for (const [key, request] of Object.entries(inputRequests || {})) {
    if (request.method !== "elicitation/create") {
      throw new Error(
        `The server asked for ${request.method}, which this page cannot answer (it offers elicitation only).`,
      );
    }
    answers[key] = await askPerson(request.params || {});
  }
  return answers;
}
