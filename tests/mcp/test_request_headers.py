"""The engine's view of request headers reads the WSGI environ as werkzeug's does, by any spelling of a name."""

from __future__ import annotations

from werkzeug.datastructures import EnvironHeaders
from werkzeug.test import EnvironBuilder

from app.mcp.server.request_headers import RequestHeaders


def test_it_reads_what_werkzeug_reads():
    sent = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Param-Region": "eu", "Content-Type": "application/json"}
    environ = EnvironBuilder(method="POST", headers=sent, data=b"{}").get_environ()
    headers, werkzeug = RequestHeaders(environ), EnvironHeaders(environ)
    for name in ("mcp-protocol-version", "MCP-PROTOCOL-VERSION", "Mcp-Param-Region", "Content-Type", "Origin"):
        assert headers.get(name) == werkzeug.get(name)
    assert headers["content-type"] == "application/json" and "Origin" not in headers and "mcp-param-region" in headers
    assert headers.get("Origin", "none") == "none"
    assert dict(headers.items()) == dict(werkzeug.items()) and len(headers) == len(werkzeug)
