"""Resources: fixed text and binary, a template, and one to subscribe to."""

from __future__ import annotations

import json

from app.mcp import resource
from tests.mcp_fixtures.content_tools import PNG


@resource("test://static-text", name="Static Text Resource")
def static_text() -> str:
    """A static text resource for testing."""
    return "This is the content of the static text resource."


@resource("test://static-binary", name="Static Binary Resource", mime_type="image/png")
def static_binary() -> bytes:
    """A static binary resource (a PNG image) for testing."""
    return PNG


@resource("test://template/{id}/data", name="Resource Template", mime_type="application/json")
def template_data(id: str) -> str:  # noqa: A002 - the template's variable name
    """A resource template with one parameter."""
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@resource("test://watched-resource", name="Watched Resource")
def watched() -> str:
    """A resource clients can subscribe to."""
    return "Watched resource content"
