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


def capabilities(version: str) -> dict[str, Any]:
    """The capabilities every revision declares, with the extensions plugged in for `version`; 2026-07-28's
    `server/discover` adds what its subscriptions deliver (`LISTENED`)."""
    declared = {"tools": {}, "prompts": {}, "completions": {}, "logging": {}, "resources": {}}
    extensions = {
        identifier: settings
        for identifier, (settings, versions) in current_app.extensions.get("mcp_declared_extensions", {}).items()
        if versions is None or version in versions
    }
    return declared | ({"extensions": extensions} if extensions else {})


def declare_extension(
    app: Flask, identifier: str, settings: dict[str, Any], versions: tuple[str, ...] | None = None
) -> None:
    """Declare a protocol extension under `capabilities.extensions` (SEP-2133), its settings inline; only in
    `versions` if given (an extension written for one revision)."""
    app.extensions.setdefault("mcp_declared_extensions", {})[identifier] = (settings, versions)


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
    declared = capabilities(call.envelope.version) | LISTENED
    result = {"supportedVersions": list(dispatch.versions()), "capabilities": declared}
    return result | instructions() | {"ttlMs": 0, "cacheScope": "public"}
