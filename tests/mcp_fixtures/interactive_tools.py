"""Tools that talk to the client while they run: logs, progress, sampling, elicitation."""

from __future__ import annotations

import time

from app.mcp import Context, tool


@tool
def test_tool_with_logging(ctx: Context) -> str:
    """Send three log messages while running."""
    for message in ("Tool execution started", "Tool processing data", "Tool execution completed"):
        ctx.log("info", message)
        time.sleep(0.05)
    return "Logging test completed."


@tool
def test_tool_with_progress(ctx: Context) -> str:
    """Report progress at 0, 50 and 100 of 100."""
    for progress in (0, 50, 100):
        ctx.report_progress(progress, total=100)
        time.sleep(0.05)
    return "Progress test completed."


@tool
def test_sampling(ctx: Context, prompt: str) -> str:
    """Ask the client's model to answer a prompt."""
    answer = ctx.sample(prompt, max_tokens=100)
    return f"LLM response: {answer['content'].get('text', '')}"


@tool
def test_elicitation(ctx: Context, message: str) -> str:
    """Ask the person for a username and an e-mail address."""
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    answer = ctx.elicit(message, schema)
    return f"User response: action={answer['action']}, content={answer.get('content')}"


@tool
def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Ask with a default for every primitive type."""
    properties = {
        "name": {"type": "string", "default": "John Doe"},
        "age": {"type": "integer", "default": 30},
        "score": {"type": "number", "default": 95.5},
        "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
        "verified": {"type": "boolean", "default": True},
    }
    answer = ctx.elicit("Please review your details", {"type": "object", "properties": properties})
    return f"Elicitation completed: action={answer['action']}, content={answer.get('content')}"


@tool
def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Ask with every kind of enumeration."""
    choices = [("value1", "First"), ("value2", "Second"), ("value3", "Third")]
    properties = {
        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
        "titledSingle": {"type": "string", "oneOf": [{"const": c, "title": f"{t} Option"} for c, t in choices]},
        "legacyEnum": {
            "type": "string",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
        "titledMulti": {
            "type": "array",
            "items": {"anyOf": [{"const": c, "title": f"{t} Choice"} for c, t in choices]},
        },
    }
    answer = ctx.elicit("Choose your options", {"type": "object", "properties": properties})
    return f"Elicitation completed: action={answer['action']}, content={answer.get('content')}"


@tool
def test_missing_capability(ctx: Context) -> str:
    """Needs the client's sampling capability (fails with -32021 without it)."""
    return ctx.sample("Say hello", max_tokens=20)["content"].get("text", "")


@tool
def test_streaming_elicitation(ctx: Context) -> str:
    """Ask the person a question (in 2026-07-28: an input-required result, never a request)."""
    answer = ctx.elicit("What is your name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    return f"Hello, {answer.get('content', {}).get('name', 'stranger')}!"


@tool
def test_logging_tool(ctx: Context) -> str:
    """Log a message (sent only if the request asked for a log level)."""
    ctx.log("info", "test_logging_tool ran")
    return "Logged."
