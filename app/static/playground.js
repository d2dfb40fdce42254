// The playground: list what /mcp offers this session, build a form for each item, call it,
// and show the answer. Every request goes to the real endpoint (see mcp-client.js).

import { el, json } from "./dom.js";
import { answerAll } from "./elicitation.js";
import { McpClient, PROTOCOL_VERSION } from "./mcp-client.js";
import * as render from "./mcp-render.js";
import { onNotification, show } from "./playground-outcome.js";
import { schemaFields } from "./schema-form.js";
import { templateSchema, expand, promptSchema, annotationTags, completer } from "./playground-items.js";

const $ = (id) => document.getElementById(id);
const client = new McpClient($("playground").dataset.mcpPath);
const MAX_ROUNDS = 10;
let calls = 0;
/** Counts the items opened: a call writes its outcome only while the item it was made from is still open. */
let opened = 0;

const KINDS = {
  tool: { list: ["tools/list", "tools"], into: "tools-list", verb: "Call tool" },
  resource: { list: ["resources/list", "resources"], into: "resources-list", verb: "Read resource" },
  template: { list: ["resources/templates/list", "resourceTemplates"], into: "templates-list", verb: "Read resource" },
  prompt: { list: ["prompts/list", "prompts"], into: "prompts-list", verb: "Get prompt" },
};

async function loadCatalog() {
  const status = $("catalog-status");
  try {
    const lists = await Promise.all(Object.values(KINDS).map((kind) => client.listAll(...kind.list)));
    Object.entries(KINDS).forEach(([kind, { into }], index) => fill(kind, $(into), lists[index]));
    const nouns = ["tool", "resource", "resource template", "prompt"];
    const counts = lists.map((list, i) => `${list.length} ${nouns[i]}${list.length === 1 ? "" : "s"}`);
    status.textContent = `This server offers you ${counts.slice(0, -1).join(", ")} and ${counts.at(-1)}.`;
  } catch (error) {
    status.replaceChildren(render.failure(error));
  }
}

function fill(kind, list, items) {
  if (!items.length) list.append(el("li", "muted", "None."));
  for (const item of items) {
    const name = el("span", "item-name", ...breakable(item.name));
    const detail = item.uri || item.uriTemplate || item.title;
    const button = el("button", "catalog-item", name, detail ? el("span", "item-title", detail) : "");
    button.type = "button";
    button.dataset.search = [item.name, item.title, item.uri, item.uriTemplate, item.description]
      .filter(Boolean)
      .join(" ")
      .toLowerCase();
    button.addEventListener("click", () => open(kind, item, button));
    list.append(el("li", null, button));
  }
}

/** Show only the catalog items whose name, title, URI or description holds every word typed. */
function filterCatalog(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  for (const button of document.querySelectorAll(".catalog-item")) {
    const text = button.dataset.search || "";
    button.closest("li").hidden = !words.every((word) => text.includes(word));
  }
}

/** A long snake_case name, allowed to wrap after each underscore. */
function breakable(name) {
  return name.split(/(?<=_)/).flatMap((part, index) => (index ? [el("wbr"), part] : [part]));
}

function open(kind, item, button) {
  const view = ++opened;
  document.querySelectorAll(".catalog-item[aria-current]").forEach((b) => b.removeAttribute("aria-current"));
  button.setAttribute("aria-current", "true");
  $("detail-empty").hidden = true;
  $("progress-box").hidden = true;
  $("outcome").replaceChildren();
  const title = $("detail-title");
  title.replaceChildren(...breakable(item.title || item.name));
  const schemas = {
    tool: () => item.inputSchema,
    resource: () => ({}),
    template: () => templateSchema(item.uriTemplate),
    prompt: () => promptSchema(item.arguments),
  };
  const schema = schemas[kind]();
  const ref =
    kind === "prompt" ? { type: "ref/prompt", name: item.name } : { type: "ref/resource", uri: item.uriTemplate };
  const fields = schemaFields(
    schema,
    `${kind}-arg`,
    kind === "prompt" || kind === "template" ? completer(client, ref, () => fields.read()) : undefined,
  );
  const submit = el("button", "button", KINDS[kind].verb);
  submit.type = "submit";
  const form = el("form", "call-form", kind === "resource" ? "" : fields.element, submit);
  let running = false; // one call at a time per form; another item's call may run meanwhile
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (running) return;
    running = true;
    await run(kind, item, fields.read(), submit, () => view === opened);
    running = false;
  });
  $("detail-body").replaceChildren(...describe(kind, item), form);
  title.focus();
}

function describe(kind, item) {
  const id = item.uri || item.uriTemplate || (item.title ? item.name : "");
  const facts = id ? [el("p", null, el("code", null, id))] : [];
  if (item.description) facts.push(el("p", "description", item.description));
  const tags = [...annotationTags(item.annotations), item.mimeType && [item.mimeType, false]].filter(Boolean);
  if (tags.length)
    facts.push(el("ul", "tags", ...tags.map(([label, warn]) => el("li", warn ? "tag warn" : "tag", label))));
  if (kind === "tool") {
    facts.push(el("details", "raw", el("summary", null, "Input schema"), json(item.inputSchema)));
    if (item.outputSchema)
      facts.push(el("details", "raw", el("summary", null, "Output schema"), json(item.outputSchema)));
  }
  return facts;
}

/** Make the call; `current()` says whether its item is still the one shown (else its outcome is dropped). */
async function run(kind, item, values, submit, current) {
  submit.textContent = "Working…";
  $("progress-box").hidden = true;
  $("outcome").replaceChildren(el("p", "muted", "Waiting for the server…"));
  const notify = (message) => current() && onNotification(message);
  const readResource = (uri) => interact("resources/read", { uri }, notify);
  const actions = {
    read: (uri) => show(`Resource ${uri}`, () => readResource(uri), render.resourceResult, actions, current),
  };
  const [method, params, view] = callFor(kind, item, values);
  await show(
    method === "resources/read" ? `Resource ${params.uri}` : "Result",
    () => interact(method, params, notify),
    view,
    actions,
    current,
  );
  submit.textContent = KINDS[kind].verb;
}

/** The method, params and result view for using `item` with the form's `values`. */
function callFor(kind, item, values) {
  if (kind === "tool") return ["tools/call", { name: item.name, arguments: values }, render.toolResult];
  if (kind === "prompt") return ["prompts/get", { name: item.name, arguments: values }, render.promptResult];
  const uri = kind === "template" ? expand(item.uriTemplate, values) : item.uri;
  return ["resources/read", { uri }, render.resourceResult];
}

/** Call `method`; while the server answers input-required, ask the person and call again. */
async function interact(method, params, onNotification) {
  const progressToken = method === "tools/call" ? `playground-${++calls}` : undefined;
  let request = params;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = await client.request(method, request, { progressToken, onNotification });
    if (result.resultType !== "input_required") return result;
    const inputResponses = await answerAll(result.inputRequests);
    request = { ...params, inputResponses, requestState: result.requestState };
  }
  throw new Error(`The server still asked for input after ${MAX_ROUNDS} rounds.`);
}

$("protocol-revision").textContent = PROTOCOL_VERSION;
$("catalog-filter").addEventListener("input", (event) => filterCatalog(event.target.value));
loadCatalog();
