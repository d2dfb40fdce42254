// A small MCP client for this site's own pages, over fetch with the browser session (same
// Origin). It speaks 2026-07-28, where each request stands alone, or 2025-11-25, where a
// session opened by `initialize` carries the agreed state and the server asks its questions
// on the call's event stream. Answers are JSON, or an event stream whose `data:` lines carry
// notifications (progress, logs) and questions before the final response.

/** The revisions this client speaks, newest first. */
export const REVISIONS = ["2026-07-28", "2025-11-25"];
const STATELESS = REVISIONS[0];
const NAMED = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };
const CAPABILITIES = { elicitation: {} };
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
    super("Cancelled: the server was told, and stops the call at its next step.");
  }
}

/** A header value as the server reads it: plain ASCII as is, anything else base64-wrapped. */
function headerValue(value) {
  if (/^[\x20-\x7e]*$/.test(value) && value.trim() === value) return value;
  const bytes = new TextEncoder().encode(value);
  return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

export class McpClient {
  constructor(path, revision = STATELESS) {
    this.path = path;
    this.revision = revision;
    this.logLevel = "info";
    this.session = null; // 2025-11-25: the Mcp-Session-Id `initialize` answered with, once opened
    this.opening = null;
  }

  /** Speak `revision` from now on; a 2025-11-25 session is ended first. */
  async use(revision) {
    const ending = this.end(); // sent now, in the revision and session being left
    Object.assign(this, { revision, session: null, opening: null });
    await ending;
  }

  /** End a 2025-11-25 session (DELETE); `keepalive` lets it finish as the page goes away. */
  async end() {
    const session = this.session;
    if (!session) return;
    const headers = { "Mcp-Session-Id": session, "MCP-Protocol-Version": this.revision };
    await fetch(this.path, { method: "DELETE", credentials: "same-origin", headers, keepalive: true }).catch(() => {});
  }

  /** Ask for log messages of `level` and above, from the next request on (2025-11-25: at once). */
  async setLogLevel(level) {
    this.logLevel = level;
    if (this.session) await this.request("logging/setLevel", { level });
  }

  /**
   * Send one request; resolve with its result, reject with McpError (or Cancelled once `signal` aborts).
   * `onNotification(message)` sees progress and log messages as they arrive; `onRequest(message)` answers a
   * question the server asks on the stream (2025-11-25); `exchange` receives what went over the wire: the
   * revision, request headers and body, response status and message, and the notifications.
   */
  async request(method, params = {}, options = {}) {
    if (this.revision !== STATELESS) await (this.opening ??= this.open());
    const session = this.session;
    const { message, status } = await this.send(method, params, options);
    if (status === 404 && session && this.session === session) {
      Object.assign(this, { session: null, opening: null }); // the session expired: open another, once
      return this.request(method, params, options);
    }
    if (status >= 400 || !message || message.error) throw new McpError(status, message?.error);
    return message.result;
  }

  /** Open a 2025-11-25 session: `initialize`, then `notifications/initialized` and the log level. */
  async open() {
    const params = { protocolVersion: this.revision, capabilities: CAPABILITIES, clientInfo: CLIENT_INFO };
    const { message, status, headers } = await this.send("initialize", params);
    if (status >= 400 || !message || message.error) throw new McpError(status, message?.error);
    this.session = headers.get("Mcp-Session-Id");
    await this.post({ jsonrpc: "2.0", method: "notifications/initialized" });
    await this.send("logging/setLevel", { level: this.logLevel });
  }

  /** The headers and body of a request, as this revision frames it. */
  envelope(method, params, id, progressToken) {
    const meta = progressToken === undefined ? {} : { progressToken };
    const headers = { ...JSON_HEADERS, "MCP-Protocol-Version": this.revision };
    if (this.revision === STATELESS) {
      meta["io.modelcontextprotocol/protocolVersion"] = this.revision;
      meta["io.modelcontextprotocol/clientCapabilities"] = CAPABILITIES;
      meta["io.modelcontextprotocol/logLevel"] = this.logLevel;
      headers["Mcp-Method"] = method;
      if (NAMED[method]) headers["Mcp-Name"] = headerValue(String(params[NAMED[method]]));
    } else if (this.session) {
      headers["Mcp-Session-Id"] = this.session;
    }
    const body = { jsonrpc: "2.0", id, method, params: Object.keys(meta).length ? { ...params, _meta: meta } : params };
    return { headers, body };
  }

  async send(method, params, { onNotification = () => {}, onRequest, progressToken, signal, exchange = {} } = {}) {
    const id = nextId++;
    const { headers, body } = this.envelope(method, params, id, progressToken);
    Object.assign(exchange, { revision: this.revision, headers, body, notifications: [] });
    const session = this.session;
    const cancel = () => {
      if (session) this.post({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id } });
    };
    if (signal?.aborted) throw new Cancelled();
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
        ? await this.readStream(response, id, seen, onRequest)
        : await response.json().catch(() => null);
      exchange.response = message;
      return { message, status: response.status, headers: response.headers };
    } catch (error) {
      throw signal?.aborted ? new Cancelled() : error;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
  }

  /** POST a notification or an answer (2025-11-25: within the session). */
  async post(message) {
    const headers = { ...JSON_HEADERS, "MCP-Protocol-Version": this.revision };
    if (this.session) headers["Mcp-Session-Id"] = this.session;
    await fetch(this.path, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(message) });
  }

  /** Answer a question the server asked on a stream: `onRequest` decides; ping is answered here. */
  async answer(question, onRequest) {
    let reply;
    try {
      const result = question.method === "ping" ? {} : await onRequest?.(question);
      const refusal = { code: -32601, message: `This client does not answer ${question.method}.` };
      reply = result === undefined ? { error: refusal } : { result };
    } catch (error) {
      reply = { error: { code: -32603, message: error.message } };
    }
    await this.post({ jsonrpc: "2.0", id: question.id, ...reply });
  }

  /** Read an event stream until the response to `id`; pass notifications and questions on as they come. */
  async readStream(response, id, onNotification, onRequest) {
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
        if (message.method && "id" in message) this.answer(message, onRequest);
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
