"""Who this server is and what it offers: its name and version, its capabilities, `server/discover`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from app.mcp.server import dispatch
from config.settings import VERSION

if TYPE_CHECKING:
    from app.mcp.server.call import Call

SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"


def server_info(app: Flask | None = None) -> dict[str, str]:
    """This server's name (MCP_SERVER_NAME) and version."""
    return {"name": (app or current_app).config["MCP_SERVER_NAME"], "version": VERSION}


def capabilities() -> dict[str, Any]:
    """The capabilities every revision declares, with the extensions plugged in; 2026-07-28's `server/discover`
    adds what its subscriptions deliver (`LISTENED`)."""
    declared = {"tools": {}, "prompts": {}, "completions": {}, "logging": {}, "resources": {}}
    extensions = current_app.extensions.get("mcp_declared_extensions")
    return declared | ({"extensions": dict(extensions)} if extensions else {})


def declare_extension(app: Flask, identifier: str, settings: dict[str, Any]) -> None:
    """Declare a protocol extension under `capabilities.extensions` (SEP-2133), its settings inline."""
    app.extensions.setdefault("mcp_declared_extensions", {})[identifier] = settings


def instructions() -> dict[str, str]:
    text = current_app.config["MCP_INSTRUCTIONS"]
    return {"instructions": text} if text else {}


#: What `subscriptions/listen` (2026-07-28) delivers: list changes a tool announces, and resource updates.
LISTENED = {
    "tools": {"listChanged": True},
    "prompts": {"listChanged": True},
    "resources": {"listChanged": True, "subscribe": True},
}


def discover(call: Call) -> dict[str, Any]:
    declared = capabilities() | LISTENED
    result = {"supportedVersions": list(dispatch.versions()), "capabilities": declared}
    return result | instructions() | {"ttlMs": 0, "cacheScope": "public"}
