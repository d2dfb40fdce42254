// The view's side of the MCP Apps bridge: JSON-RPC 2.0 over postMessage with the host, the frame's
// parent. The view runs sandboxed with no origin of its own, so it cannot know the host's: it
// answers only messages from its parent window and posts to it alone.
const mcpApp = (() => {
  const PROTOCOL_VERSION = "2026-01-26";
  const pending = new Map();
  const handlers = {};
  let nextId = 1;
  const send = (message) => window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (event.source !== window.parent || message?.jsonrpc !== "2.0") return;
    if (message.method) {
      handlers[message.method]?.(message.params || {});
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(Object.assign(new Error(message.error.message), message.error));
    else waiting.resolve(message.result);
  });

  /** Send a request to the host; resolve with its result. */
  function request(method, params = {}) {
    const id = nextId++;
    send({ id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  }

  function notify(method, params = {}) {
    send({ method, params });
  }

  /** Introduce the view (ui/initialize), say it is ready, and tell the host its size as it changes. */
  async function connect(appInfo) {
    const host = await request("ui/initialize", { appInfo, appCapabilities: {}, protocolVersion: PROTOCOL_VERSION });
    notify("ui/notifications/initialized");
    // The content's own size (the document's would never shrink below the frame's).
    const body = document.body;
    const sized = () => {
      const style = getComputedStyle(body);
      const height = body.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
      notify("ui/notifications/size-changed", { width: document.documentElement.scrollWidth, height: Math.ceil(height) });
    };
    new ResizeObserver(sized).observe(body);
    return host;
  }

  return {
    connect,
    request,
    on: (method, handler) => (handlers[method] = handler),
    callTool: (name, args) => request("tools/call", { name, arguments: args }),
    openLink: (url) => request("ui/open-link", { url }),
  };
})();
