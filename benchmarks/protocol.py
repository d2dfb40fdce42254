"""The request every server is measured on, in both protocol forms, and the check of its answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
ARGUMENTS = {"a": 1, "b": 2}
EXPECTED = 3


@dataclass(frozen=True)
class Form:
    """One way of sending tools/call: the 2025-11-25 (legacy, no session) or the 2026-07-28 request."""

    version: str
    label: str
    modern: bool

    def body(self) -> bytes:
        """The JSON-RPC request: tools/call add(1, 2), with the per-request `_meta` in the modern form."""
        params: dict[str, Any] = {"name": "add", "arguments": ARGUMENTS}
        if self.modern:
            params["_meta"] = {VERSION_KEY: self.version, CAPABILITIES_KEY: {}}
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
        return json.dumps(message, separators=(",", ":")).encode()

    def headers(self, token: str | None) -> dict[str, str]:
        """The HTTP headers of the request; `token` (if any) goes in `Authorization: Bearer`."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": self.version,
        }
        if self.modern:
            headers |= {"Mcp-Method": "tools/call", "Mcp-Name": "add"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


LEGACY = Form("2025-11-25", "2025-11-25 (legacy, stateless)", modern=False)
MODERN = Form("2026-07-28", "2026-07-28", modern=True)
FORMS = (LEGACY, MODERN)


def check(url: str, form: Form, token: str | None, timeout: float = 30.0) -> str | None:
    """Send the request once; return None if it answered add(1, 2) = 3, else what went wrong."""
    try:
        response = requests.post(url, data=form.body(), headers=form.headers(token), timeout=timeout)
    except requests.RequestException as error:
        return f"no answer: {error}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        message = _message(response)
    except ValueError:
        return f"not a JSON-RPC answer: {response.text[:300]}"
    return _check_result(message)


def _message(response: requests.Response) -> Any:
    """The JSON-RPC message of a JSON body, or the last one of an event stream."""
    if response.headers.get("Content-Type", "").startswith("text/event-stream"):
        events = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
        if not events:
            raise ValueError("no event")
        return json.loads(events[-1])
    return response.json()


def _check_result(message: Any) -> str | None:
    result = message.get("result") if isinstance(message, dict) else None
    if not isinstance(result, dict) or result.get("isError"):
        return f"no successful result: {json.dumps(message)[:300]}"
    texts = [item.get("text") for item in result.get("content", []) if isinstance(item, dict)]
    structured = result.get("structuredContent") or {}
    if str(EXPECTED) in texts or structured.get("result") == EXPECTED:
        return None
    return f"wrong result, expected {EXPECTED}: {json.dumps(result)[:300]}"
