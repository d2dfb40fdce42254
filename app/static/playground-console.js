// The playground's console: a history of the calls made from the page (each request and
// response as sent, its notifications, timing and status, Cancel while it runs, "Copy as
// curl") and a log pane for the log messages the server sends while calls run.

import { asCurl } from "./curl.js";
import { code, el, json } from "./dom.js";
import { copyText } from "./copy.js";

const $ = (id) => document.getElementById(id);
/** Calls kept in the history, and lines in the log; older ones leave. */
const KEPT = 50;
const KEPT_LOG = 500;
let numbered = 0;

/** One call made from the page: what it asked, each request it took (a question adds one), and how it ended. */
export class Call {
  constructor(method, target) {
    Object.assign(this, { number: ++numbered, method, target, status: "running", exchanges: [] });
    this.controller = new AbortController();
    this.started = performance.now();
    this.entry = entry(this);
    $("history-list").prepend(this.entry.item);
    while ($("history-list").children.length > KEPT) $("history-list").lastElementChild.remove();
    $("history-empty").hidden = true;
  }

  get signal() {
    return this.controller.signal;
  }

  get running() {
    return this.status === "running";
  }

  /** A fresh record for the next request this call sends. */
  exchange() {
    const exchange = {};
    this.exchanges.push(exchange);
    return exchange;
  }

  /** A notification arrived for this call: log messages go to the log pane, and the entry is brought up to date. */
  noticed(message) {
    if (message.method === "notifications/message") logged(this, message.params || {});
    this.entry.refresh();
  }

  cancel() {
    this.controller.abort();
  }

  /** The call ended: "ok", "error" (a tool error or a failed request) or "cancelled". */
  end(status) {
    this.status = status;
    this.took = Math.round(performance.now() - this.started);
    this.entry.refresh();
    $("history-status").textContent = `Call #${this.number} ${this.method} ${this.target}: ${status}, ${this.took} ms`;
  }
}

/** The history entry of `call`: a heading line with its status and Cancel, and the details folded below,
 * drawn once opened and then brought up to date by appending (focus and "Copied" stay where they are). */
function entry(call) {
  const state = el("span", "call-state");
  const cancel = el("button", "button secondary small-button", "Cancel");
  cancel.type = "button";
  cancel.setAttribute("aria-label", `Cancel call ${call.number}`);
  cancel.addEventListener("click", () => call.cancel());
  const summary = el("summary", null, "Request and response");
  const details = el("details", "call-details", summary);
  const views = [];
  const draw = () => {
    call.exchanges.forEach((exchange, index) => (views[index] ??= view(call, exchange, index, details))());
  };
  details.addEventListener("toggle", () => details.open && draw());
  const title = el("span", "call-title", `#${call.number} `, el("code", null, call.method), ` ${call.target}`);
  const item = el("li", "call", el("div", "call-head", title, state, cancel), details);
  function refresh() {
    item.dataset.status = call.status;
    const notes = call.exchanges.reduce((count, exchange) => count + (exchange.notifications?.length || 0), 0);
    const took = call.took === undefined ? "" : ` · ${call.took} ms`;
    state.textContent = `${call.status}${took}${notes ? ` · ${notes} notification${notes === 1 ? "" : "s"}` : ""}`;
    if (!call.running && document.activeElement === cancel) summary.focus();
    cancel.hidden = !call.running;
    if (details.open) draw();
  }
  refresh();
  return { item, refresh };
}

/** One request of a call, drawn into `box`; returns the function that brings it up to date. */
function view(call, exchange, index, box) {
  box.append(el("h3", null, index ? `Request ${index + 1} (with the answers)` : "Request"));
  if (!exchange.headers) {
    box.append(el("p", "muted", "Not sent."));
    return () => {};
  }
  const headers = Object.entries(exchange.headers).map(([name, value]) => `${name}: ${value}`);
  box.append(code(headers.join("\n"), "text"), json(exchange.body));
  if (index === 0) box.append(curlBox(call, exchange));
  const heading = el("h3");
  const answer = el("div");
  const notesHeading = el("h3");
  const notes = el("ol", "notes");
  notesHeading.hidden = true;
  box.append(heading, answer, notesHeading, notes);
  return () => {
    const ended = call.running ? "waiting" : "none";
    heading.textContent = exchange.status ? `Response: HTTP ${exchange.status}` : `Response: ${ended}`;
    if (exchange.response !== undefined && !answer.firstChild) answer.append(json(exchange.response));
    const all = exchange.notifications || [];
    for (const note of all.slice(notes.children.length)) notes.append(el("li", null, json(note)));
    notesHeading.hidden = !all.length;
    notesHeading.textContent = `Notifications (${all.length})`;
  };
}

function curlBox(call, exchange) {
  const status = el("span", "copied");
  status.setAttribute("role", "status");
  const button = el("button", "button secondary small-button", "Copy as curl");
  button.type = "button";
  button.setAttribute("aria-label", `Copy as curl (call ${call.number})`);
  const command = asCurl(new URL($("playground").dataset.mcpPath, location.href).href, exchange);
  button.addEventListener("click", () => copyText(command, status));
  const hint = el("span", "hint", "For bash or zsh; it sends the personal token in $TOKEN.");
  return el("div", "snippet-head", button, status, hint);
}

/** Add a log message to the log pane, newest last, naming the call it came from. */
function logged(call, { level = "info", logger, data }) {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  const where = logger ? ` ${logger}` : "";
  const line = el("li", `log log-${level}`, el("span", "log-level", level), ` #${call.number}${where}: `, text);
  $("log-list").append(line);
  while ($("log-list").children.length > KEPT_LOG) $("log-list").firstElementChild.remove();
  $("log-empty").hidden = true;
}

/** Wire the log pane's level and Clear; `onLevel(level)` tells the client. */
export function initConsole(onLevel) {
  $("log-level").addEventListener("change", (event) => onLevel(event.target.value));
  $("log-clear").addEventListener("click", () => {
    $("log-list").replaceChildren();
    $("log-empty").hidden = false;
  });
}
