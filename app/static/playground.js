// The playground: list what /mcp offers this session, build a form for each item, call it,
// and show the answer. Every request goes to the real endpoint (see mcp-client.js).

import { el, json } from "./dom.js";
import { answerAll, askPerson } from "./elicitation.js";
import { Cancelled, McpClient, REVISIONS } from "./mcp-client.js";
import * as render from "./mcp-render.js";
import { Call, initConsole } from "./playground-console.js";
import { onNotification, show } from "./playground-outcome.js";
import { follow, needsTask, statusLine } from "./playground-tasks.js";
import { viewBox, viewOf } from "./playground-apps.js";
import { schemaFields } from "./schema-form.js";
import { templateSchema, expand, promptSchema, annotationTags, completer } from "./playground-items.js";

const $ = (id) => document.getElementById(id);
const MAX_ROUNDS = 10;
const REVISION_KEY = "playground-revision";
const client = new McpClient($("playground").dataset.mcpPath, rememberedRevision());
/** What a view of MCP Apps gets from the page (playground-apps.js): tools it calls go in the history. */
const host = {
  client,
  sandbox: $("playground").dataset.sandboxPath,
  tools: new Map(),
  callTool: (name, args) => {
    // As a call from a form: the person answers its questions, a task is followed to its result.
    const call = new Call("tools/call", `${name} (from a view)`);
    return tracked(call, () => interact(call, "tools/call", { name, arguments: args }, () => {}));
  },
  confirmLink: async (url) => window.confirm(`The view asks to open ${url}\n\nOpen it in a new tab?`),
  confirmTool: async (name, args) =>
    window.confirm(`The view asks to call ${name} with ${JSON.stringify(args)}.\n\nIt may change data. Allow it?`),
};

const KINDS = {
  tool: { list: ["tools/list", "tools"], into: "tools-list", verb: "Call tool" },
  resource: { list: ["resources/list", "resources"], into: "resources-list", verb: "Read resource" },
  template: { list: ["resources/templates/list", "resourceTemplates"], into: "templates-list", verb: "Read resource" },
  prompt: { list: ["prompts/list", "prompts"], into: "prompts-list", verb: "Get prompt" },
  skill: { list: ["skills/list", "skills"], into: "skills-list", verb: "Read skill", optional: true },
};
const NOUNS = ["tool", "resource", "resource template", "prompt", "skill"];

/** A kind's list; an optional one (an extension the server may not offer) is empty when the method is unknown. */
function listOf({ list, optional }) {
  const listing = client.listAll(...list);
  return optional ? listing.catch((error) => (error.code === -32601 ? [] : Promise.reject(error))) : listing;
}

/** A skill as the catalog shows it: named and described by its front matter, read at its SKILL.md. */
function skillItem(skill) {
  const { name, description } = skill.frontmatter || {};
  return { name, description, uri: skill.uri, mimeType: "text/markdown", files: skill.resources };
}

/** Counts the catalog loads: an older load (another revision's) that ends late writes nothing. */
let loads = 0;

async function loadCatalog() {
  const status = $("catalog-status");
  const load = ++loads;
  try {
    const lists = await Promise.all(Object.values(KINDS).map(listOf));
    if (load !== loads) return;
    lists[4] = lists[4].map(skillItem);
    Object.entries(KINDS).forEach(([kind, { into }], index) => fill(kind, $(into), lists[index]));
    client.schemas = new Map(lists[0].map((tool) => [tool.name, tool.inputSchema]));
    host.tools = new Map(lists[0].map((tool) => [tool.name, tool]));
    const counts = lists.map((list, i) => `${list.length} ${NOUNS[i]}${list.length === 1 ? "" : "s"}`);
    status.textContent = `This server offers you ${counts.slice(0, -1).join(", ")} and ${counts.at(-1)}.`;
    filterCatalog($("catalog-filter").value);
  } catch (error) {
    if (load === loads) status.replaceChildren(render.failure(error));
  }
}

function fill(kind, list, items) {
  list.replaceChildren();
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
    skill: () => ({}),
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
  const cancel = el("button", "button secondary", "Cancel");
  Object.assign(cancel, { type: "button", hidden: true });
  const bare = kind === "resource" || kind === "skill"; // nothing to fill in: read it
  const asTask = taskChoice(kind);
  const form = el("form", "call-form", bare ? "" : fields.element, asTask || "", el("div", "actions", submit, cancel));
  cancel.addEventListener("click", () => form.call?.cancel());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(kind, item, fields.read(), form, cancel); // several calls may run: the form shows the latest
  });
  form.asTask = asTask?.querySelector("input");
  $("detail-body").replaceChildren(...describe(kind, item), form);
  title.focus();
}

/** For a tool in 2026-07-28, a box to start it as a task (a tool that supports none answers as usual). */
function taskChoice(kind) {
  if (kind !== "tool" || client.revision !== REVISIONS[0]) return null;
  const box = Object.assign(document.createElement("input"), { type: "checkbox", id: "as-task" });
  const hint = el("span", "muted", " (the call answers at once; its status is followed until the result comes)");
  return el("p", "task-choice", el("label", null, box, " Start as a task"), hint);
}

function describe(kind, item) {
  const id = item.uri || item.uriTemplate || (item.title ? item.name : "");
  const facts = id ? [el("p", null, el("code", null, id))] : [];
  if (item.description) facts.push(el("p", "description", item.description));
  const tags = [...annotationTags(item.annotations), item.mimeType && [item.mimeType, false]].filter(Boolean);
  if (tags.length)
    facts.push(el("ul", "tags", ...tags.map(([label, warn]) => el("li", warn ? "tag warn" : "tag", label))));
  if (kind === "skill") {
    const files = item.files === "dynamic" ? [] : item.files || [];
    const rows = files.map((file) => el("li", null, el("code", null, file.uri), ` ${file.size} bytes`));
    facts.push(el("details", "raw", el("summary", null, `Files (${files.length})`), el("ul", "files", ...rows)));
  }
  if (kind === "tool") {
    facts.push(el("details", "raw", el("summary", null, "Input schema"), json(item.inputSchema)));
    if (item.outputSchema)
      facts.push(el("details", "raw", el("summary", null, "Output schema"), json(item.outputSchema)));
  }
  return facts;
}

/** Make a call from `form` and record it in the history. Its outcome and progress show while `form` is the one
 * on the page and this is its latest call: a late answer never lands under another item or call. */
async function run(kind, item, values, form, cancel) {
  const [method, params, view] = callFor(kind, item, values);
  const call = new Call(method, params.name || params.uri);
  form.call = call;
  const current = () => form.isConnected && form.call === call;
  cancel.hidden = false;
  $("progress-box").hidden = true;
  $("outcome").replaceChildren(el("p", "muted", `Waiting for the server (call #${call.number})…`));
  const notify = (message) => {
    call.noticed(message);
    if (current()) onNotification(message);
  };
  const actions = { read: (uri) => run("resource", { uri }, {}, form, cancel) };
  const heading = method === "resources/read" ? `Resource ${params.uri}` : "Result";
  const asTask = form.asTask?.checked === true;
  const onTask = (task) => {
    if (current()) $("outcome").replaceChildren(el("p", "muted", `${statusLine(task)} (call #${call.number})`));
  };
  const perform = () => interact(call, method, params, notify, { asTask, onTask });
  await show(heading, () => tracked(call, perform), view, actions, current);
  if (current()) cancel.hidden = true;
}

/** Run `perform` for `call`, and end the call with how it went. */
async function tracked(call, perform) {
  try {
    const result = await perform();
    call.end(result.isError === true ? "error" : "ok");
    return result;
  } catch (error) {
    call.end(error instanceof Cancelled ? "cancelled" : "error");
    throw error;
  }
}

/** The method, params and result view for using `item` with the form's `values`. */
function callFor(kind, item, values) {
  if (kind === "tool") return ["tools/call", { name: item.name, arguments: values }, toolView(item, values)];
  if (kind === "prompt") return ["prompts/get", { name: item.name, arguments: values }, render.promptResult];
  const uri = kind === "template" ? expand(item.uriTemplate, values) : item.uri;
  return ["resources/read", { uri }, render.resourceResult];
}

/** How a tool's result is shown: in the tool's view, if it names one (MCP Apps), above the result itself. */
function toolView(item, values) {
  const uri = viewOf(item);
  if (!uri) return render.toolResult;
  return (result, actions) => el("div", null, viewBox(host, item, uri, values, result), render.toolResult(result, actions));
}

/** Call `method` for `call`; while the server answers input-required, ask the person and call again. A call
 * `asTask` may be answered with a task, followed to its end; a tool that runs only as a task is called again so. */
async function interact(call, method, params, onNotification, { asTask = false, onTask = () => {} } = {}) {
  const progressToken = method === "tools/call" ? `playground-${call.number}` : undefined;
  const onRequest = (message) => answerQuestion(message, call.signal);
  const options = { progressToken, onNotification, onRequest, signal: call.signal, asTask };
  let request = params;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let result;
    try {
      result = await client.request(method, request, { ...options, exchange: call.exchange() });
    } catch (error) {
      if (options.asTask || !needsTask(error)) throw error;
      options.asTask = true; // the tool runs only as a task: ask again, as one
      continue;
    }
    if (result.resultType === "task") return follow(client, call, result, onTask);
    if (result.resultType !== "input_required") return result;
    const inputResponses = await answerAll(result.inputRequests, call.signal);
    if (call.signal.aborted) throw new Cancelled(); // cancelled while the person was asked
    request = { ...params, inputResponses, requestState: result.requestState };
  }
  throw new Error(`The server still asked for input after ${MAX_ROUNDS} rounds.`);
}

/** A question the server asks on a call's stream (2025-11-25): elicitations go to the person. */
function answerQuestion(message, signal) {
  return message.method === "elicitation/create" ? askPerson(message.params || {}, signal) : undefined;
}

/** The revision chosen last time on this browser, if this page still speaks it. */
function rememberedRevision() {
  try {
    const saved = localStorage.getItem(REVISION_KEY);
    return REVISIONS.includes(saved) ? saved : REVISIONS[0];
  } catch {
    return REVISIONS[0]; // storage refused: the default
  }
}

async function switchRevision(revision) {
  try {
    localStorage.setItem(REVISION_KEY, revision);
  } catch {
    // storage refused: the choice lasts as long as the page
  }
  for (const { into } of Object.values(KINDS)) $(into).replaceChildren();
  $("catalog-status").textContent = `Loading in ${revision}…`;
  $("detail-body").replaceChildren();
  $("outcome").replaceChildren();
  $("progress-box").hidden = true;
  $("detail-empty").hidden = false;
  $("detail-title").textContent = "Pick a tool, a resource or a prompt";
  await client.use(revision);
  await loadCatalog();
}

const revisions = $("protocol-revision");
revisions.append(...REVISIONS.map((revision) => new Option(revision, revision)));
revisions.value = client.revision;
revisions.addEventListener("change", () => switchRevision(revisions.value));
client.logLevel = $("log-level").value;
initConsole((level) => client.setLogLevel(level).catch(() => {}));
addEventListener("pagehide", () => client.end());
$("catalog-filter").addEventListener("input", (event) => filterCatalog(event.target.value));
loadCatalog();
