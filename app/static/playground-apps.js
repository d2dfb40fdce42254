// The playground as a host of MCP Apps views (io.modelcontextprotocol/ui): a tool whose `_meta.ui`
// names a view has its result shown in it. The view's HTML (resources/read) runs in a frame sandboxed
// to scripts alone (no origin of its own: no cookies, no storage, no way to the page or the top
// window), under the Content-Security-Policy it declared (/playground/sandbox). This is the host's
// half of the bridge, JSON-RPC over postMessage: initialize, the call's input and result, tool
// calls from the view (sent through /mcp with the person's session and scopes, and only to tools
// views may call), size changes, and links the person confirms before they open.

import { el } from "./dom.js";

const APP_MIME = "text/html;profile=mcp-app";
const PROTOCOL_VERSION = "2026-01-26";
const MAX_HEIGHT = 900;
const PERMISSIONS = { camera: "camera", microphone: "microphone", geolocation: "geolocation", clipboardWrite: "clipboard-write" };

/** The view a tool names, if any (`_meta.ui.resourceUri`, or the older flat key). */
export function viewOf(tool) {
  const meta = tool?._meta || {};
  const uri = meta.ui?.resourceUri ?? meta["ui/resourceUri"];
  return typeof uri === "string" && uri.startsWith("ui://") ? uri : null;
}

/** Whether views may call `tool` (its `_meta.ui.visibility` includes "app", as it does by default). */
function callableFromViews(tool) {
  const visibility = tool?._meta?.ui?.visibility;
  return !Array.isArray(visibility) || visibility.includes("app");
}

/**
 * A box that shows the view `uri` of `tool` for a call with `args` and its `result`. `host` gives
 * `client` (an McpClient), `sandbox` (the sandbox page's path), `tools` (name -> tool, as listed),
 * `callTool(name, args)` (a call made on the view's behalf, in the history) and `confirmLink(url)`.
 */
export function viewBox(host, tool, uri, args, result) {
  const box = el("div", "app-view-box", el("p", "muted", `Loading the view ${uri}…`));
  load(host, tool, uri, args, result, box).catch((error) => {
    box.replaceChildren(el("p", "error", `The view ${uri} could not be shown: ${error.message}`));
  });
  return box;
}

async function load(host, tool, uri, args, result, box) {
  const read = await host.client.request("resources/read", { uri });
  const contents = (read.contents || []).find((item) => item.uri === uri) || read.contents?.[0];
  if (contents?.mimeType !== APP_MIME || typeof contents.text !== "string") {
    throw new Error(`it is not ${APP_MIME} text`);
  }
  const ui = contents._meta?.ui || {};
  const frame = document.createElement("iframe");
  frame.className = "app-view";
  frame.title = `View of ${tool.name}: ${uri}`;
  frame.setAttribute("sandbox", "allow-scripts");
  frame.setAttribute("allow", allowed(ui.permissions));
  frame.src = `${host.sandbox}?csp=${encodeURIComponent(JSON.stringify(ui.csp || {}))}`;
  if (ui.prefersBorder === false) frame.classList.add("borderless");
  connect(host, frame, contents.text, args, result);
  box.replaceChildren(frame);
}

/** The `allow` attribute for the browser features a view asked for. */
function allowed(permissions = {}) {
  return Object.keys(permissions)
    .filter((name) => PERMISSIONS[name])
    .map((name) => PERMISSIONS[name])
    .join("; ");
}

/** Serve the view in `frame` until the frame leaves the page, or its document leaves the frame: the bridge belongs
 * to the one view document it was given (a page the frame navigated to gets nothing, not even the HTML again). */
function connect(host, frame, html, args, result) {
  const post = (message) => frame.contentWindow?.postMessage({ jsonrpc: "2.0", ...message }, "*");
  let served = false;
  let initialized = false;
  const handlers = {
    "ui/notifications/sandbox-proxy-ready": () => {
      if (served) return close();
      served = true;
      post({ method: "ui/notifications/sandbox-resource-ready", params: { html } });
    },
    "ui/initialize": () => ({
      protocolVersion: PROTOCOL_VERSION,
      hostInfo: { name: "playground", version: "1" },
      hostCapabilities: { openLinks: {}, serverTools: {} },
      hostContext: {
        theme: matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
        displayMode: "inline",
        availableDisplayModes: ["inline"],
      },
    }),
    // A view in the playground is drawn under its result, and nowhere else: any mode asked for, it stays inline.
    "ui/request-display-mode": () => ({ mode: "inline" }),
    "ui/notifications/initialized": () => {
      initialized = true;
      post({ method: "ui/notifications/tool-input", params: { arguments: args } });
      post({ method: "ui/notifications/tool-result", params: result });
    },
    "ui/notifications/size-changed": ({ height }) => {
      if (Number.isFinite(height)) frame.style.height = `${Math.min(Math.max(height, 40), MAX_HEIGHT)}px`;
    },
    "tools/call": async ({ name, arguments: given }) => {
      const tool = host.tools.get(name);
      if (!tool || !callableFromViews(tool)) throw Object.assign(new Error(`Views may not call ${name}.`), { code: -32602 });
      if (!tool.annotations?.readOnlyHint && !(await host.confirmTool(name, given || {}))) {
        throw Object.assign(new Error(`The person did not allow the call of ${name}.`), { code: -32603 });
      }
      return host.callTool(name, given || {});
    },
    "ui/open-link": async ({ url }) => {
      const link = URL.canParse?.(url) ? new URL(url) : null;
      if (!link || !["https:", "http:"].includes(link.protocol) || !(await host.confirmLink(link.href))) return { isError: true };
      window.open(link.href, "_blank", "noopener,noreferrer");
      return {};
    },
  };
  const close = () => {
    removeEventListener("message", listener);
    frame.replaceWith(el("p", "error", "The view left its page, so it was closed."));
  };
  frame.addEventListener("load", () => initialized && close()); // the view's document was replaced
  const listener = async (event) => {
    if (!frame.isConnected) return removeEventListener("message", listener);
    const message = event.data;
    if (event.source !== frame.contentWindow || message?.jsonrpc !== "2.0" || typeof message.method !== "string") return;
    const handler = handlers[message.method];
    if (!("id" in message)) return handler?.(message.params || {});
    try {
      if (!handler) throw Object.assign(new Error(`This host does not offer ${message.method}.`), { code: -32601 });
      post({ id: message.id, result: (await handler(message.params || {})) ?? {} });
    } catch (error) {
      post({ id: message.id, error: { code: error.code ?? -32603, message: error.message } });
    }
  };
  addEventListener("message", listener);
}
