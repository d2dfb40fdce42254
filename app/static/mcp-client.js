// A small MCP client for this site's own pages: 2026-07-28 requests over fetch, with the
// browser session (same Origin). Answers are JSON, or an event stream whose `data:` lines
// carry notifications (progress, logs) before the final response.

export const PROTOCOL_VERSION = "2026-07-28";
const NAMED = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };
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

/** A header value as the server reads it: plain ASCII as is, anything else base64-wrapped. */
function headerValue(value) {
  if (/^[\x20-\x7e]*$/.test(value) && value.trim() === value) return value;
  const bytes = new TextEncoder().encode(value);
  return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

export class McpClient {
  constructor(path) {
    this.path = path;
  }

  /**
   * Send one request; resolve with its result, reject with McpError.
   * `onNotification(message)` sees progress and log messages as they arrive.
   */
  async request(method, params = {}, { onNotification = () => {}, progressToken } = {}) {
    const id = nextId++;
    const meta = {
      "io.modelcontextprotocol/protocolVersion": PROTOCOL_VERSION,
      "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
      ...(progressToken !== undefined ? { progressToken } : {}),
    };
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": PROTOCOL_VERSION,
      "Mcp-Method": method,
    };
    if (NAMED[method]) headers["Mcp-Name"] = headerValue(String(params[NAMED[method]]));
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } });
    const response = await fetch(this.path, { method: "POST", credentials: "same-origin", headers, body });
    const type = response.headers.get("Content-Type") || "";
    const message = type.startsWith("text/event-stream")
      ? await readStream(response, id, onNotification)
      : await response.json().catch(() => null);
    if (!response.ok || !message || message.error) throw new McpError(response.status, message?.error);
    return message.result;
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

/** Read an event stream until the response to `id`; pass notifications on as they come. */
async function readStream(response, id, onNotification) {
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
      if (message.method) onNotification(message);
    }
  }
}
