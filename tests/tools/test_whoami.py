"""whoami: a tool that reads its caller."""

from __future__ import annotations


def test_names_the_caller_and_its_scopes(mcp):
    caller = mcp.call_tool("whoami")["structuredContent"]
    assert caller["subject"].startswith("static-token:") and caller["scopes"] == ["*"]
