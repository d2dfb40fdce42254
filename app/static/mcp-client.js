// A small MCP client for this site's own pages, over fetch with the browser session (same
// Origin). It speaks 2026-07-28, where each request stands alone, or 2025-11-25, where a
// session opened by `initialize` carries the agreed state and the server asks its questions
// on the call's event stream. Answers are JSON, or an event stream whose `data:` lines carry
// notifications (progress, logs) and questions before the final response.

/** The revisions this client speaks, newest first. */
export const REVISIONS = ["2026-07-28", "2025-11-25"];
const STATELESS = REVISIONS[0];
const NAMED = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };
for (const method of ["tasks/get", "tasks/update", "tasks/cancel"]) NAMED[method] = "taskId";
/** Forms in a dialog, and pages of the server opened in a new tab (URL mode). */
const CAPABILITIES = { elicitation: { form: {}, url: {} } };
/** The tasks extension: a request that lists it may be answered with a task (2026-07-28). */
export const TASKS = "io.modelcontextprotocol/tasks";
const CLIENT_INFO = { name: "playground", version: "1" };
const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
let nextId = 1;

/** A failed request: HTTP status, and the JSON-RPC error when the server sent one. */
export class McpError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.data = error?.data;
  }
}

/** A request the person cancelled. */
export class Cancelled extends Error {
  constructor() {
    super("Cancelled.");
  }
}

/** The revision requests go out in and, in 2025-11-25, the session they go in: replaced, never changed, when
 * the revision changes or the session expires, so a request always answers within the session it was sent in. */
function link(revision) {
  return { revision, session: null, ready: null };
}

/** A header value as the server reads it: plain ASCII as is, anything else (or what looks encoded) base64-wrapped. */
function headerValue(value) {
  const sentinel = value.startsWith("=?base64?") && value.endsWith("?=");
  if (/^[\x20-\x7e]*$/.test(value) && value.trim() === value && !sentinel) return value;
  const bytes = new TextEncoder().encode(value);
  return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** The `Mcp-Param-*` headers a tool's input schema asks for: each `x-mcp-header` property reached through
 * `properties`, with the argument's value there (none when it is absent or null). */
function mirrored(schema, args, found = {}) {
  for (const [name, property] of Object.entries(schema?.properties || {})) {
    const value = args?.[name];
    const header = property?.["x-mcp-header"];
    if (typeof header === "string" && value !== undefined && value !== null) {
      found[`Mcp-Param-${header}`] = headerValue(typeof value === "string" ? value : JSON.stringify(value));
    }
    if (value && typeof value === "object") mirrored(property, value, found);
  }
  return found;
}

export class McpClient {
  constructor(path, revision = STATELESS) {
    this.path = path;
    this.logLevel = "info";
    this.link = link(revision);
    this.schemas = new Map(); // tool name -> input schema, for the parameters it mirrors into headers
  }

  get revision() {
    return this.link.revision;
  }

  /** Speak `revision` from now on; a 2025-11-25 session is ended. */
  async use(revision) {
    const left = this.link;
    this.link = link(revision);
    await this.end(left);
  }

  /** End the session of `left` (DELETE); `keepalive` lets it finish as the page goes away. */
  async end(left = this.link) {
    if (!left.session) return;
    const headers = { "Mcp-Session-Id": left.session, "MCP-Protocol-Version": left.revision };
    await fetch(this.path, { method: "DELETE", credentials: "same-origin", headers, keepalive: true }).catch(() => {});
  }

  /** Ask for log messages of `level` and above, from the next request on (2025-11-25: at once). */
  async setLogLevel(level) {
    this.logLevel = level;
    if (this.link.session) await this.request("logging/setLevel", { level });
  }

  /** The link to send on, its 2025-11-25 session opened first; a failed opening is tried again next time. */
  async connect() {
    const current = this.link;
    if (current.revision !== STATELESS) {
      current.ready ??= this.open(current).catch((error) => {
        current.ready = null;
        throw error;
      });
      await current.ready;
    }
    return current;
  }

  /**
   * Send one request; resolve with its result, reject with McpError (or Cancelled once `signal` aborts).
   * `onNotification(message)` sees progress and log messages as they arrive; `onRequest(message)` answers a
   * question the server asks on the stream (2025-11-25); `exchange` receives what went over the wire: the
   * revision, request headers and body, response status and message, and the notifications.
   */
  async request(method, params = {}, options = {}, retried = false) {
    const sent = await this.connect();
    const { message, status } = await this.send(sent, method, params, options);
    if (status === 404 && sent.session && !retried) {
      if (this.link === sent) this.link = link(sent.revision); // the session expired: open another, once
      return this.request(method, params, options, true);
    }
    if (status >= 400 || !message || message.error) throw new McpError(status, message?.error);
    return message.result;
  }

  /** Open a 2025-11-25 session on `opening`: `initialize`, then `notifications/initialized` and the log level. */
  async open(opening) {
    const params = { protocolVersion: opening.revision, capabilities: CAPABILITIES, clientInfo: CLIENT_INFO };
    const { message, status, headers } = await this.send(opening, "initialize", params);
    if (status >= 400 || !message || message.error) throw new McpError(status, message?.error);
    opening.session = headers.get("Mcp-Session-Id");
    await this.post(opening, { jsonrpc: "2.0", method: "notifications/initialized" });
    await this.send(opening, "logging/setLevel", { level: this.logLevel });
    if (this.link !== opening) await this.end(opening); // the revision changed meanwhile
  }

  /** The headers and body of a request on `via`, as its revision frames it; `asTask` lists the tasks extension
   * in its capabilities (as every tasks/ request does), so that the server may answer with a task. */
  envelope(via, method, params, id, progressToken, asTask = false) {
    const meta = progressToken === undefined ? {} : { progressToken };
    const headers = { ...JSON_HEADERS, "MCP-Protocol-Version": via.revision };
    if (via.revision === STATELESS) {
      meta["io.modelcontextprotocol/protocolVersion"] = via.revision;
      const followsTasks = asTask || method.startsWith("tasks/");
      meta["io.modelcontextprotocol/clientCapabilities"] = followsTasks
        ? { ...CAPABILITIES, extensions: { [TASKS]: {} } }
        : CAPABILITIES;
      meta["io.modelcontextprotocol/logLevel"] = this.logLevel;
      headers["Mcp-Method"] = method;
      if (NAMED[method]) headers["Mcp-Name"] = headerValue(String(params[NAMED[method]]));
      if (method === "tools/call") Object.assign(headers, mirrored(this.schemas.get(params.name), params.arguments));
    } else if (via.session) {
      headers["Mcp-Session-Id"] = via.session;
    }
    const body = { jsonrpc: "2.0", id, method, params: Object.keys(meta).length ? { ...params, _meta: meta } : params };
    return { headers, body };
  }

  async send(via, method, params, options = {}) {
    const { onNotification = () => {}, onRequest, progressToken, signal, exchange = {}, asTask } = options;
    const id = nextId++;
    const { headers, body } = this.envelope(via, method, params, id, progressToken, asTask);
    Object.assign(exchange, { revision: via.revision, headers, body, notifications: [] });
    if (signal?.aborted) throw new Cancelled();
    const cancel = () => {
      if (via.session) this.post(via, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id } });
    };
    signal?.addEventListener("abort", cancel, { once: true });
    const seen = (note) => {
      exchange.notifications.push(note);
      onNotification(note);
    };
    try {
      const init = { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body), signal };
      const response = await fetch(this.path, init);
      exchange.status = response.status;
      const type = response.headers.get("Content-Type") || "";
      const message = type.startsWith("text/event-stream")
        ? await this.readStream(via, response, id, seen, onRequest)
        : await response.json().catch(() => null);
      if (signal?.aborted) throw new Cancelled(); // cancelled while the answer was read
      exchange.response = message;
      return { message, status: response.status, headers: response.headers };
    } catch (error) {
      throw signal?.aborted ? new Cancelled() : error;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
  }

  /** POST a notification or an answer within the session of `via`; a failure is left to the call's own end. */
  async post(via, message) {
    const headers = { ...JSON_HEADERS, "MCP-Protocol-Version": via.revision };
    if (via.session) headers["Mcp-Session-Id"] = via.session;
    const init = { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(message) };
    await fetch(this.path, init).catch(() => {});
  }

  /** Answer a question the server asked on a stream of `via`: `onRequest` decides; ping is answered here. */
  async answer(via, question, onRequest) {
    let reply;
    try {
      const result = question.method === "ping" ? {} : await onRequest?.(question);
      const refusal = { code: -32601, message: `This client does not answer ${question.method}.` };
      reply = result === undefined ? { error: refusal } : { result };
    } catch (error) {
      reply = { error: { code: -32603, message: error.message } };
    }
    await this.post(via, { jsonrpc: "2.0", id: question.id, ...reply });
  }

  /** Read an event stream until the response to `id`; pass notifications and questions on as they come. */
  async readStream(via, response, id, onNotification, onRequest) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((line) => line.startsWith("data:"));
        if (!data.length) continue; // a keep-alive comment
        const message = JSON.parse(data.map((line) => line.slice(5).replace(/^ /, "")).join("\n"));
        if (message.id === id && ("result" in message || "error" in message)) {
          reader.cancel().catch(() => {});
          return message;
        }
        if (message.method && "id" in message) this.answer(via, message, onRequest);
        else if (message.method) onNotification(message);
      }
    }
  }

  /** Every item of a paged list method (tools/list, resources/list, ...). */
  async listAll(method, key) {
    const items = [];
    let cursor;
    do {
      const result = await this.request(method, cursor ? { cursor } : {});
      items.push(...(result[key] || []));
      cursor = result.nextCursor;
    } while (cursor);
    return items;
  }
}
