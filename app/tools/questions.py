"""Tools that talk to the person while they run: one asks a question, one reports what it does in the log."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp import Context, tool

NAME_QUESTION = {
    "type": "object",
    "properties": {"name": {"type": "string", "title": "Name", "description": "Whom to greet"}},
    "required": ["name"],
}


@tool(title="Greet someone", read_only=True, idempotent=True, open_world=False)
def greet_someone(ctx: Context) -> str:
    """Ask the person whom to greet (an elicitation: the client shows a form), then greet them."""
    answer = ctx.elicit("Whom should I greet?", NAME_QUESTION)
    if answer.get("action") != "accept":
        return "Nobody to greet, then."
    return f"Hello, {answer['content']['name']}!"


@tool(title="Check a list", read_only=True, idempotent=True, open_world=False)
def check_items(
    ctx: Context, items: Annotated[list[str], Field(max_length=100), "The items to check, one per entry"]
) -> str:
    """Check each item of a list, logging each step (info) and each empty item it skips (warning)."""
    checked = 0
    for number, item in enumerate(items, start=1):
        if item.strip():
            checked += 1
            ctx.log("info", f"item {number}: {item.strip()!r} checked", logger="check_items")
        else:
            ctx.log("warning", f"item {number} is empty: skipped", logger="check_items")
    return f"Checked {checked} of {len(items)} items."
