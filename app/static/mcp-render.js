// What MCP answers, shown readably: content items (text, images, audio, embedded resources,
// resource links), structured content as JSON, prompt messages, resource contents, errors.

import { el, json } from "./dom.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** A data: URL for base64 `data`, or "" when the data or its type is not well formed. */
function dataUrl(mimeType, data) {
  const wellFormed = typeof data === "string" && BASE64.test(data) && MIME_TYPE.test(mimeType || "");
  return wellFormed ? `data:${mimeType};base64,${data}` : "";
}

function image(mimeType, data, what) {
  const img = el("img", "content-image");
  img.src = dataUrl(mimeType, data);
  img.alt = `${what} (${mimeType})`;
  return el("figure", null, img, el("figcaption", "muted small", mimeType));
}

function audio(mimeType, data) {
  const player = el("audio");
  player.controls = true;
  player.src = dataUrl(mimeType, data);
  player.setAttribute("aria-label", `Audio (${mimeType})`);
  return el("div", null, player, el("p", "small", download(mimeType, data, "Download the audio")));
}

function download(mimeType, data, text) {
  const link = el("a", null, text);
  link.href = dataUrl(mimeType, data);
  link.download = "";
  return link;
}

function text(value, mimeType) {
  if (/json/.test(mimeType || "")) {
    try {
      return json(JSON.parse(value));
    } catch {
      /* shown as it came */
    }
  }
  return el("pre", "text-content", value);
}

/** One resource's contents: text, or a blob shown as image, audio, or a download. */
export function resourceContents(resource, heading) {
  const mime = resource.mimeType || "";
  const head = el(
    "p",
    "resource-head",
    `${heading} `,
    el("code", null, resource.uri),
    mime ? " " : "",
    mime ? el("span", "tag", mime) : "",
  );
  let body;
  if ("text" in resource) body = text(resource.text, mime);
  else if (mime.startsWith("image/")) body = image(mime, resource.blob, `Resource ${resource.uri}`);
  else if (mime.startsWith("audio/")) body = audio(mime, resource.blob);
  else
    body = el(
      "p",
      null,
      `Binary, ${Math.floor(((resource.blob || "").length * 3) / 4)} bytes. `,
      download(mime || "application/octet-stream", resource.blob, "Download"),
    );
  return el("div", "resource", head, body);
}

function resourceLink(item, actions) {
  const read = el("button", "button secondary small-button", "Read it");
  read.type = "button";
  read.addEventListener("click", () => actions.read(item.uri));
  const name = item.title || item.name;
  return el(
    "div",
    "resource",
    el("p", "resource-head", "Link to ", el("code", null, item.uri), name ? ` (${name})` : ""),
    item.description ? el("p", "muted", item.description) : "",
    read,
  );
}

/** One content item, with its type as a tag. */
export function contentItem(item, actions) {
  let body;
  if (item.type === "text") body = text(item.text);
  else if (item.type === "image") body = image(item.mimeType, item.data, "Image returned by the server");
  else if (item.type === "audio") body = audio(item.mimeType, item.data);
  else if (item.type === "resource") body = resourceContents(item.resource, "Embedded resource");
  else if (item.type === "resource_link") body = resourceLink(item, actions);
  else body = json(item);
  return el("li", "content-item", el("span", "tag", item.type.replace("_", " ")), body);
}

function contents(items, actions) {
  return el("ul", "content-list", ...items.map((item) => contentItem(item, actions)));
}

/** A tools/call result: its content, structured content, and whether it is an error. */
export function toolResult(result, actions) {
  const parts = [];
  if (result.isError) parts.push(el("p", "error", "The tool reported an error:"));
  if (result.content?.length) parts.push(contents(result.content, actions));
  if (result.structuredContent !== undefined)
    parts.push(el("h4", null, "Structured content"), json(result.structuredContent));
  if (!parts.length) parts.push(el("p", "muted", "The tool returned nothing."));
  return el("div", result.isError ? "error-box" : null, ...parts);
}

/** A prompts/get result: its description and each message with its role. */
export function promptResult(result, actions) {
  const messages = (result.messages || []).map((message) =>
    el("li", "message", el("p", "role", message.role), contents([message.content], actions)),
  );
  return el(
    "div",
    null,
    result.description ? el("p", "muted", result.description) : "",
    el("ol", "messages", ...messages),
  );
}

/** A resources/read result: every content it holds. */
export function resourceResult(result) {
  return el("div", null, ...(result.contents || []).map((content) => resourceContents(content, "Contents of")));
}

/** A failed request: what went wrong, with the JSON-RPC code and HTTP status. */
export function failure(error) {
  const box = el("div", "error-box", el("p", "error", error.message));
  if (error.status)
    box.append(
      el("p", "small", `HTTP ${error.status}${error.code !== undefined ? `, JSON-RPC error ${error.code}` : ""}`),
    );
  if (error.status === 401) {
    const again = el("a", null, "Sign in again");
    again.href = `/auth/login?next=${encodeURIComponent(location.pathname)}`;
    box.append(el("p", null, "Your session has ended. ", again, "."));
  }
  if (error.data !== undefined) box.append(json(error.data));
  return box;
}

/** The raw answer, folded away. */
export function raw(value) {
  return el("details", "raw", el("summary", null, "Raw result (JSON)"), json(value));
}
