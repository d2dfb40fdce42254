"""Tools that return each kind of content, and two that fail on purpose."""

from __future__ import annotations

import base64
from typing import Any

from app.mcp import ProtocolError, ToolError, embedded_resource, image, text, tool
from app.mcp import audio as audio_content

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
WAV = base64.b64decode("UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=")


@tool(read_only=True)
def break_unexpectedly() -> str:
    """Fail with an exception that is not a ToolError: its message must stay in the server log."""
    raise RuntimeError("an internal detail that stays in the log")


@tool
def test_simple_text() -> str:
    """Return a simple text response."""
    return "This is a simple text response for testing."


@tool
def test_image_content():
    """Return a small PNG image."""
    return image(PNG, "image/png")


@tool
def test_audio_content():
    """Return a small WAV sound."""
    return audio_content(WAV, "audio/wav")


@tool
def test_embedded_resource():
    """Return an embedded text resource."""
    return embedded_resource("test://embedded-resource", "This is an embedded resource content.")


@tool
def test_multiple_content_types() -> list[Any]:
    """Return text, an image and an embedded resource together."""
    resource = embedded_resource("test://mixed-content-resource", '{"test":"data","value":123}', "application/json")
    return [text("Multiple content types test:"), image(PNG, "image/png"), resource]


@tool
def test_error_handling() -> str:
    """Fail on purpose, as a tool error."""
    raise ToolError("This tool intentionally returns an error for testing")


@tool
def refuse_with_a_challenge() -> str:
    """Fail as a protocol error with its own HTTP status and header (a tool asking for more consent)."""
    challenge = 'Bearer error="insufficient_scope", scope="mcp files:write"'
    raise ProtocolError(-32600, "This needs files:write", status=403, headers={"WWW-Authenticate": challenge})


@tool
def test_reconnection() -> str:
    """Answer at once (this server does not close streams early for polling)."""
    return "Reconnection test completed."


JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@tool(input_schema=JSON_SCHEMA_2020_12)
def json_schema_2020_12_tool(
    name: str | None = None,
    address: dict[str, str] | None = None,
    contactMethod: str | None = None,  # noqa: N803 - the suite's argument name
    phone: str | None = None,
    email: str | None = None,
) -> str:
    """Tool with JSON Schema 2020-12 features."""
    return f"Received contact for {name or 'someone'}."
