"""MCP Apps (the `io.modelcontextprotocol/ui` extension, SEP-1865), plugged into the engine.

Views are resources and tools name them in their `_meta` (app/mcp/views.py and `@view`), so the
engine lists and reads them as any other; this module checks at start-up that every view a tool
names exists, and declares the extension when there are views. To remove it, delete this file and
its line in `MCP_EXTENSIONS` (views are still served, as resources).
"""

from __future__ import annotations

from flask import Flask

from app.mcp.server.discovery import declare_extension
from app.mcp.server.registry import RegistryError
from app.mcp.views import APP_MIME_TYPE

EXTENSION = "io.modelcontextprotocol/ui"


def init_app(app: Flask) -> None:
    """Declare the extension if there are views; a tool naming a view that does not exist stops start-up (hosts
    would fetch a resource that is not there, and show nothing)."""
    registry = app.extensions["mcp"]
    views = {uri for uri, spec in registry.resources.items() if spec.mime_type == APP_MIME_TYPE}
    for tool in registry.tools.values():
        named = (tool.meta or {}).get("ui", {}).get("resourceUri")
        if named is not None and named not in views:
            raise RegistryError(f"tool {tool.name!r} shows its result in {named!r}, which no @view serves")
    if views:
        declare_extension(app, EXTENSION, {})
