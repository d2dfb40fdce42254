"""Tools that announce changes to the listening clients, as the conformance suite's diagnostic hooks expect."""

from __future__ import annotations

from typing import Annotated

from app.mcp import Context, tool


@tool
def test_trigger_tool_change(ctx: Context) -> str:
    """Announce that the tool list changed (listeners with toolsListChanged hear it)."""
    ctx.list_changed("tools")
    return "Announced: the tool list changed."


@tool
def test_trigger_prompt_change(ctx: Context) -> str:
    """Announce that the prompt list changed (listeners with promptsListChanged hear it)."""
    ctx.list_changed("prompts")
    return "Announced: the prompt list changed."


@tool
def test_touch_resource(ctx: Context, uri: Annotated[str, "The resource whose subscribers hear of a change"]) -> str:
    """Announce that a resource was updated (listeners subscribed to its URI hear it)."""
    ctx.resource_updated(uri)
    return f"Announced: {uri} was updated."
