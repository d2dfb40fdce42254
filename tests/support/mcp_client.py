"""MCP clients for tests, over the Flask test client.

`McpActions` sends raw messages in either revision family (and can break them);
`McpClient` speaks 2026-07-28 and returns results as dicts, for tool tests:

    client = McpClient(app.test_client(), token)
    result = client.call_tool("convert_temperature", {"value": 100, "from_unit": "celsius"})

Streamed replies (a tool that reports progress or logs) are read whole; their
notifications are kept in `client.notifications`.
"""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY

MODERN = "2026-07-28"
TOKEN = "test-token-for-mcp"
ALL_CAPABILITIES = {"elicitation": {}, "sampling": {}, "roots": {}}


class McpActions:
    """Speak to /mcp through the Flask test client, in either protocol era."""

    def __init__(self, client, token: str = TOKEN) -> None:
        self.client, self.token = client, token

    def post(self, body: Any, headers: dict[str, str] | None = None, **kwargs):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        base = {"Authorization": f"Bearer {self.token}", "Accept": "application/json, text/event-stream"}
        kwargs.setdefault("content_type", "application/json")
        return self.client.post("/mcp", data=data, headers=base | (headers or {}), **kwargs)

    def modern(
        self,
        method: str,
        params: dict | None = None,
        *,
        id: Any = 1,
        capabilities=None,
        meta=None,
        headers=None,
        **kwargs: Any,
    ):
        """Send a 2026-07-28 request with matching `_meta` and headers (override either to break them); `kwargs` go
        to the test client (`buffered=False` leaves a stream open)."""
        params = dict(params or {})
        envelope = {VERSION_KEY: MODERN, CAPABILITIES_KEY: ALL_CAPABILITIES if capabilities is None else capabilities}
        params["_meta"] = envelope | (meta or {})
        sent = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
        named = {"resources/read": "uri", "tasks/get": "taskId", "tasks/update": "taskId", "tasks/cancel": "taskId"}
        name = params.get(named.get(method, "name"))
        sent |= {"Mcp-Name": name} if method in ("tools/call", "prompts/get", *named) else {}
        body = {"jsonrpc": "2.0", "id": id, "method": method, "params": params}
        return self.post(body, sent | (headers or {}), **kwargs)

    def initialize(self, version: str = "2025-11-25", capabilities: dict | None = None) -> str:
        params = {
            "protocolVersion": version,
            "capabilities": capabilities or {},
            "clientInfo": {"name": "t", "version": "1"},
        }
        response = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})
        assert response.status_code == 200, response.text
        return response.headers["Mcp-Session-Id"]

    def legacy(
        self, method: str, params: dict | None = None, *, session: str | None = None, id: Any = 1, version="2025-11-25"
    ):
        headers = {"MCP-Protocol-Version": version} | ({"Mcp-Session-Id": session} if session else {})
        body = {"jsonrpc": "2.0", "id": id, "method": method} | ({"params": params} if params is not None else {})
        return self.post(body, headers)


def sse_messages(response) -> list[dict]:
    """Return the JSON-RPC messages of an event-stream response, in order."""
    assert response.mimetype == "text/event-stream", response.text
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


class McpClient:
    """A 2026-07-28 client that declares no capabilities and returns each request's result."""

    def __init__(self, client: FlaskClient, token: str = TOKEN) -> None:
        self.actions = McpActions(client, token)
        self.notifications: list[dict[str, Any]] = []

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
        """The tool's result (`content`, `structuredContent`, `isError`); `meta`: `progressToken=...` and the like."""
        return self.request("tools/call", {"name": name, "arguments": arguments or {}}, **meta)

    def read_resource(self, uri: str) -> dict[str, Any]:
        return self.request("resources/read", {"uri": uri})

    def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> dict[str, Any]:
        return self.request("prompts/get", {"name": name, "arguments": arguments or {}})

    def complete(self, ref: dict[str, str], argument: str, value: str) -> list[str]:
        """The suggestions for `argument` of a prompt (`{"type": "ref/prompt", "name": ...}`) or template."""
        params = {"ref": ref, "argument": {"name": argument, "value": value}}
        return self.request("completion/complete", params)["completion"]["values"]

    def request(self, method: str, params: dict[str, Any], **meta: Any) -> dict[str, Any]:
        """Send one request; return its result, or raise AssertionError with the JSON-RPC error."""
        response = self.actions.modern(method, params, capabilities={}, meta=meta)
        streamed = response.mimetype == "text/event-stream"
        *self.notifications, reply = sse_messages(response) if streamed else [response.get_json()]
        assert "result" in reply, f"{method} failed: {reply}"
        return reply["result"]
