"""The floor: bare Flask answering a tools/call with a fixed JSON-RPC reply, no auth, no MCP.

Whatever this app spends above it is the price of MCP, OAuth and its own checks.
Run as `gunicorn -w 2 benchmarks.floor:app` (sync workers).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

#: The result every server is expected to return for add(1, 2).
RESULT: dict[str, Any] = {"content": [{"type": "text", "text": "3"}], "structuredContent": {"result": 3}}

app = Flask(__name__)


@app.post("/mcp")
def mcp() -> dict[str, Any]:
    """Parse the JSON-RPC request and answer it with the fixed result."""
    message = request.get_json()
    return {"jsonrpc": "2.0", "id": message.get("id"), "result": RESULT}
