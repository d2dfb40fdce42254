"""The one tool every benchmarked server exposes, here for this app (MCP_TOOL_PACKAGES=benchmarks.tools)."""

from __future__ import annotations

from app.mcp import tool


@tool(read_only=True, idempotent=True, open_world=False)
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b
