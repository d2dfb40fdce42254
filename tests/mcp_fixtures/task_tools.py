"""Tasks fixtures (io.modelcontextprotocol/tasks): the tools the official conformance suite calls by name."""

from __future__ import annotations

import time
from typing import Annotated

from pydantic import Field
from sqlalchemy import text

from app.extensions import db
from app.mcp import Cancelled, Context, ProtocolError, ToolError, elicitation, tool
from app.mcp.errors import INTERNAL_ERROR

NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
CONFIRM_FORM = {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]}


def _wait(ctx: Context, seconds: float) -> None:
    """Sleep `seconds`, stopping at once when the call or task is cancelled."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ctx.cancelled:
            raise Cancelled()
        time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))


@tool
def greet(name: str) -> str:
    """Greet someone, at once (never a task)."""
    return f"Hello, {name}!"


@tool(task="optional")
def slow_compute(ctx: Context, seconds: Annotated[float, Field(ge=0, le=300)] = 1, label: str = "computation") -> str:
    """Work for `seconds`, then say so; a task for clients that follow tasks."""
    _wait(ctx, seconds)
    return f"{label}: done after {seconds:g} s"


@tool(task="required")
def failing_job(ctx: Context) -> str:
    """Work a second, then fail as a tool (a completed task whose result is an error)."""
    _wait(ctx, 1)
    raise ToolError("The job failed: the input could not be processed.")


@tool(task="optional")
def protocol_error_job(ctx: Context) -> str:
    """Fail with a JSON-RPC error (a failed task)."""
    _wait(ctx, 0.2)
    raise ProtocolError(INTERNAL_ERROR, "The job's backend is unreachable.")


@tool(task="optional")
def confirm_delete(ctx: Context, filename: str) -> str:
    """Ask the person to confirm, then 'delete' the file."""
    answer = ctx.elicit(f"Delete {filename}?", CONFIRM_FORM, key="confirm")
    confirmed = answer["action"] == "accept" and (answer.get("content") or {}).get("confirm") is True
    return f"Deleted {filename}." if confirmed else f"Kept {filename}."


@tool(task="optional")
def multi_input(ctx: Context) -> str:
    """Ask two questions at once."""
    answers = ctx.ask({"name": elicitation("Your name?", NAME_FORM), "confirm": elicitation("Sure?", CONFIRM_FORM)})
    return f"{answers['name'].get('content', {}).get('name')} confirmed: {answers['confirm']['action']}"


@tool(task="required", ask_first={"user_name": elicitation("What is your name?", NAME_FORM)})
def test_tool_with_task(ctx: Context) -> str:
    """Ask the person's name on the call, then greet them from a task."""
    answer = ctx.elicit("What is your name?", NAME_FORM, key="user_name")
    _wait(ctx, 0.2)
    return f"Hello from a task, {answer['content']['name']}!"


@tool(task="optional")
def ask_twice(ctx: Context) -> str:
    """Ask a question with the same key twice (a task gives the second a key of its own)."""
    first = ctx.elicit("One?", {"type": "object", "properties": {}}, key="q")
    second = ctx.elicit("Two?", {"type": "object", "properties": {}}, key="q")
    return f"{first['action']} {second['action']}"


@tool(task="optional")
def read_then_ask(ctx: Context) -> str:
    """Read the database, then ask the person (the task waits for the answer in between)."""
    db.session.execute(text("SELECT 1"))
    answer = ctx.elicit("Go on?", {"type": "object", "properties": {}}, key="go")
    return answer["action"]
