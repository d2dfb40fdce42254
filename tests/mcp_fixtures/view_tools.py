"""MCP Apps fixtures: a view that tries to get out of its frame, and tools views may or may not call."""

from __future__ import annotations

from pathlib import Path

from app.mcp import tool, view


@view("ui://tests/escape", "escape.html", folder=Path(__file__).parent / "ui")
def escape_view() -> dict:
    """Tries what a hostile view would: cookies, storage, the page, the top window, the network, tools."""
    return {}


@tool(ui="ui://tests/escape")
def test_escape_view() -> str:
    """Show the escaping view."""
    return "Watch the view."


@tool(visibility=("app",), read_only=True)
def test_for_views() -> str:
    """Only views call this."""
    return "reached"


@tool(visibility=("model",))
def test_not_for_views() -> str:
    """Views may not call this."""
    return "should not be reached"
