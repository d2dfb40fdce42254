// "Copy as curl": a request the playground made, as a shell command (bash, zsh) that works as
// pasted. The page calls with the browser session; the command carries a personal token from
// $TOKEN instead. A 2025-11-25 request needs a session: its command opens one first and ends it
// after. -N shows an event stream's progress as it comes.

import { REVISIONS } from "./mcp-client.js";

const AUTH = '-H "Authorization: Bearer $TOKEN"';

/** `text` in single quotes for a POSIX shell. */
export function shellQuote(text) {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function curl(url, headers, body, ...extra) {
  const lines = [`curl -sSN ${extra.join(" ")}${extra.length ? " " : ""}${shellQuote(url)}`, AUTH];
  for (const [name, value] of headers) {
    lines.push(name === "Mcp-Session-Id" ? `-H "${name}: $SESSION"` : `-H ${shellQuote(`${name}: ${value}`)}`);
  }
  lines.push(`--data-raw ${shellQuote(JSON.stringify(body))}`);
  return lines.join(" \\\n  ");
}

/** The command for one recorded exchange (its revision, request headers and body) sent to `url`. */
export function asCurl(url, { revision, headers, body }) {
  const sent = Object.entries(headers);
  if (revision === REVISIONS[0]) return curl(url, sent, body);
  const plain = sent.filter(([name]) => name !== "Mcp-Session-Id");
  const session = [...plain, ["Mcp-Session-Id", "$SESSION"]];
  const hello = {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: revision, capabilities: {}, clientInfo: { name: "curl", version: "1" } },
  };
  const version = shellQuote(`MCP-Protocol-Version: ${revision}`);
  const sessionId = `awk 'tolower($1) == "mcp-session-id:" { print $2 }' | tr -d '\\r'`;
  const open = `${curl(url, plain, hello, "-D -", "-o /dev/null")} \\\n  | ${sessionId}`;
  return [
    `SESSION=$(${open})`,
    curl(url, session, { jsonrpc: "2.0", method: "notifications/initialized" }),
    curl(url, session, body),
    `curl -sS -X DELETE ${shellQuote(url)} ${AUTH} -H "Mcp-Session-Id: $SESSION" -H ${version}`,
  ].join("\n");
}
