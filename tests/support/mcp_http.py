"""MCP over HTTP with `requests`: a tools/call (the `whoami` tool above all) with a bearer token, and its answer.

A call takes one of three forms, by `version`:

- None: the bare JSON-RPC request and the token, nothing else (no Accept, no protocol version header);
- 2025-11-25 (LEGACY): Accept for a JSON body or an event stream, and MCP-Protocol-Version;
- 2026-07-28 (MODERN): as 2025-11-25, plus the protocol version and client capabilities in `_meta`, and the
  Mcp-Method and Mcp-Name headers.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from flask.testing import FlaskClient

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.support.servers import HTTP_TIMEOUT, post

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
STREAM_ACCEPT = "application/json, text/event-stream"


def tool_call_request(
    token: str, name: str, arguments: dict[str, Any], version: str | None, meta: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of a tools/call of `name` in the form of `version`; `meta` is added to `_meta`."""
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers |= {"Accept": STREAM_ACCEPT, "MCP-Protocol-Version": version}
    if version == MODERN:
        params["_meta"] = {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}} | (meta or {})
        headers |= {"Mcp-Method": "tools/call", "Mcp-Name": name}
    elif meta:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers


def call_tool(
    mcp_url: str,
    token: str,
    name: str,
    arguments: dict[str, Any] | None = None,
    *,
    http: requests.Session | None = None,
    version: str | None = None,
    meta: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = HTTP_TIMEOUT,
    **kwargs: Any,
) -> requests.Response:
    """POST a tools/call to `mcp_url` with `http` (None: a fresh connection); `headers` add to or replace the form's."""
    body, sent = tool_call_request(token, name, arguments or {}, version, meta)
    return post(http, mcp_url, json=body, headers=sent | (headers or {}), timeout=timeout, **kwargs)


def call_in_process(client: FlaskClient, token: str, name: str = "whoami", arguments: dict[str, Any] | None = None):
    """A tools/call (2025-11-25 form) through Flask's test client; its JSON answer is `.json`."""
    body, headers = tool_call_request(token, name, arguments or {}, LEGACY)
    return client.post("/mcp", json=body, headers=headers)


def whoami(
    mcp_url: str, token: str, *, fresh: bool = False, headers: dict[str, str] | None = None, **options: Any
) -> requests.Response:
    """Call the whoami tool; `fresh` closes the connection after it, so the next call may reach another worker.

    `options` are `call_tool`'s: `http`, `version`, `meta`, `timeout`, ...
    """
    closing = {"Connection": "close"} if fresh else {}
    return call_tool(mcp_url, token, "whoami", {}, headers=closing | (headers or {}), **options)


def messages(response: requests.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a whole response: one JSON body, or every event of a stream."""
    if response.headers.get("Content-Type", "").startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    return [response.json()]


def whoami_result(response: requests.Response) -> dict[str, Any]:
    """whoami's structured content (who called: email, name, scopes, ...) from a 200 answer with one message."""
    assert response.status_code == 200, response.text
    [message] = messages(response)
    return message["result"]["structuredContent"]
