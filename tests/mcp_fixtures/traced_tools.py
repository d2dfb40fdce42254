"""A tool that adds to its call's span (when traces are on)."""

from __future__ import annotations

from app.mcp import Context, tool


@tool
def test_traced(ctx: Context) -> str:
    """Add an attribute and an event to the call's span."""
    ctx.trace(rows=3)
    ctx.trace_event("looked up", source="cache")
    return "traced"
