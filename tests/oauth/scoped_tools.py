"""Tools that need more than the base scope, for the scope tests."""

from __future__ import annotations

from app.mcp import tool


@tool(scopes=["notes:write"])
def write_note(text: str) -> str:
    """Write a note (needs notes:write)."""
    return f"noted: {text}"


@tool(scopes=["admin"])
def shut_down() -> str:
    """Pretend to shut down (needs admin)."""
    return "not really"
