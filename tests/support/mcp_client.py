"""An MCP client for tests, over the Flask test client: the 2026-07-28 form, results as dicts.

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

VERSION = "2026-07-28"


class McpClient:
    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token
        self.notifications: list[dict[str, Any]] = []

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
        """The tool's result (`content`, `structuredContent`, `isError`); `meta`: `progressToken=...` and the like."""
        return self.request("tools/call", {"name": name, "arguments": arguments or {}}, name, **meta)

    def read_resource(self, uri: str) -> dict[str, Any]:
        return self.request("resources/read", {"uri": uri}, uri)

    def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> dict[str, Any]:
        return self.request("prompts/get", {"name": name, "arguments": arguments or {}}, name)

    def complete(self, ref: dict[str, str], argument: str, value: str) -> list[str]:
        """The suggestions for `argument` of a prompt (`{"type": "ref/prompt", "name": ...}`) or template."""
        params = {"ref": ref, "argument": {"name": argument, "value": value}}
        return self.request("completion/complete", params)["completion"]["values"]

    def request(self, method: str, params: dict[str, Any], name: str | None = None, **meta: Any) -> dict[str, Any]:
        """Send one request; return its result, or raise AssertionError with the JSON-RPC error."""
        envelope = {VERSION_KEY: VERSION, CAPABILITIES_KEY: {}} | meta
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": VERSION,
            "Mcp-Method": method,
        } | ({"Mcp-Name": name} if name is not None else {})
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params | {"_meta": envelope}}
        response = self.client.post("/mcp", data=json.dumps(body), content_type="application/json", headers=headers)
        messages = _messages(response.get_data(as_text=True), response.mimetype)
        *self.notifications, reply = messages
        assert "result" in reply, f"{method} failed: {reply}"
        return reply["result"]


def _messages(text: str, mimetype: str) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a reply: one JSON object, or the `data:` lines of an event stream."""
    if mimetype != "text/event-stream":
        return [json.loads(text)]
    return [json.loads(line.removeprefix("data: ")) for line in text.splitlines() if line.startswith("data: ")]
