"""Copy-paste configurations for MCP clients, each made from the live URL and server name.

Nothing here names a host: every snippet is built from the MCP URL the page computes
(PUBLIC_URL, else the request's host, plus MCP_PATH) and from MCP_SERVER_NAME.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import render_template

from app.mcp.server.modern import VERSIONS

PROTOCOL_VERSION = VERSIONS[-1]
#: Hosted apps that add a server by its URL, and where their setting is.
CONNECTORS = (
    ("claude", "Claude (custom connector)", "In Claude, open Settings → Connectors → Add custom connector"),
    (
        "chatgpt",
        "ChatGPT (custom connector)",
        "In ChatGPT, open Settings → Apps & Connectors → Create (developer mode)",
    ),
)


@dataclass(frozen=True)
class Snippet:
    """One block to copy: what it is (a file name or a shell), its text, and its language for colouring."""

    label: str
    code: str
    language: str = ""


@dataclass(frozen=True)
class Guide:
    """How one client connects: a few steps, the snippets to copy, whether it needs a token."""

    slug: str
    name: str
    steps: tuple[str, ...]
    snippets: tuple[Snippet, ...] = field(default_factory=tuple)
    needs_token: bool = False
    #: Whether the client runs on its maker's servers, which must reach this server's URL over the internet.
    hosted: bool = False


def _json(value: object) -> str:
    return json.dumps(value, indent=2)


def _desktop(url: str, name: str) -> Guide:
    config = {"mcpServers": {name: {"command": "npx", "args": ["-y", "mcp-remote", url]}}}
    steps = (
        "Claude Desktop starts local servers only, so mcp-remote (Node.js) bridges to this one.",
        "Add this to claude_desktop_config.json (Settings → Developer → Edit config) and restart Claude.",
        "A browser window opens for you to sign in here and allow access.",
    )
    snippet = Snippet("claude_desktop_config.json", _json(config), "json")
    return Guide("claude-desktop", "Claude Desktop", steps, (snippet,))


def _connector(slug: str, name: str, url: str, where: str) -> Guide:
    steps = (
        f"{where}, and paste this URL.",
        "No client id or secret is needed: it discovers this server's sign-in (OAuth) by itself.",
        "You are sent here to sign in and allow access; revoke it any time under Connected apps.",
    )
    return Guide(slug, name, steps, (Snippet("Server URL", url),), hosted=True)


def _editors(url: str, name: str) -> list[Guide]:
    cursor = {"mcpServers": {name: {"url": url}}}
    vscode = {"servers": {name: {"type": "http", "url": url}}}
    editor_note = "It signs in through your browser the first time it connects."
    return [
        Guide(
            "cursor",
            "Cursor",
            ("Add this to ~/.cursor/mcp.json (or .cursor/mcp.json in a project).", editor_note),
            (Snippet("~/.cursor/mcp.json", _json(cursor), "json"),),
        ),
        Guide(
            "vscode",
            "VS Code",
            ("Add this to .vscode/mcp.json in your workspace.", editor_note),
            (Snippet(".vscode/mcp.json", _json(vscode), "json"),),
        ),
    ]


def _inspector(url: str) -> list[Guide]:
    quoted = shlex.quote(url)
    web = (
        "Start the Inspector; it opens in your browser.",
        f"Choose the transport “Streamable HTTP”, enter the URL {url}, and press Connect.",
        "It walks through the OAuth sign-in for you (Open Auth Settings shows each step).",
    )
    cli = (
        f"npx @modelcontextprotocol/inspector --cli {quoted} --transport http \\\n"
        '  --header "Authorization: Bearer $TOKEN" --method tools/list'
    )
    start = Snippet("Shell", "npx @modelcontextprotocol/inspector", "shell")
    return [
        Guide("inspector", "MCP Inspector (web)", web, (start,)),
        Guide(
            "inspector-cli",
            "MCP Inspector (command line)",
            ("Lists the tools with a personal token.",),
            (Snippet("Shell", cli, "shell"),),
            needs_token=True,
        ),
    ]


def _sdks(url: str) -> list[Guide]:
    """The official SDKs' clients; their code is in templates/snippets/."""
    python = render_template("snippets/python.txt", url=url)
    typescript = render_template("snippets/typescript.txt", url=url)
    return [
        Guide(
            "python",
            "Python SDK",
            ("The official SDK, version 2: pip install 'mcp>=2'. Run with TOKEN set.",),
            (Snippet("client.py", python, "python"),),
            needs_token=True,
        ),
        Guide(
            "typescript",
            "TypeScript SDK",
            ("The official SDK: npm install @modelcontextprotocol/sdk. Run as an ES module with TOKEN set.",),
            (Snippet("client.mjs", typescript, "javascript"),),
            needs_token=True,
        ),
    ]


def _curl(url: str) -> Guide:
    def request(method: str, params: dict, name: str | None = None) -> str:
        meta = {
            "io.modelcontextprotocol/protocolVersion": PROTOCOL_VERSION,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params | {"_meta": meta}})
        named = f" -H 'Mcp-Name: {name}'" if name else ""
        return (
            f'curl -s {shlex.quote(url)} -H "Authorization: Bearer $TOKEN" \\\n'
            "  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n"
            f"  -H 'MCP-Protocol-Version: {PROTOCOL_VERSION}' -H 'Mcp-Method: {method}'{named} \\\n"
            f"  -d {shlex.quote(body)}"
        )

    steps = (
        f"Stateless requests in the {PROTOCOL_VERSION} revision: no handshake, everything in _meta; "
        "a call names its tool in the body and again in the Mcp-Name header.",
    )
    listing = Snippet("List the tools", request("tools/list", {}), "shell")
    calling = Snippet("Call whoami", request("tools/call", {"name": "whoami", "arguments": {}}, "whoami"), "shell")
    return Guide("curl", "curl", steps, (listing, calling), needs_token=True)


def reachable_from_the_internet(url: str) -> bool:
    """Whether a hosted client (Claude, ChatGPT) can reach `url`: https, on a name or address that is not local."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host  # a name; a bare word is a local one
    return address.is_global


def guides(url: str, name: str) -> list[Guide]:
    """Every client's guide for the server at `url`, called `name` in configurations."""
    return [
        _desktop(url, name),
        *(_connector(slug, title, url, where) for slug, title, where in CONNECTORS),
        *_editors(url, name),
        *_inspector(url),
        *_sdks(url),
        _curl(url),
    ]
