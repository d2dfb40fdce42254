"""Who this server is and what it can do; the legacy handshake and its small methods."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.mcp import sessions
from app.mcp.call import Call
from app.mcp.context import LOG_LEVELS
from app.mcp.envelope import LEGACY_VERSIONS, SUPPORTED_VERSIONS
from app.mcp.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND_LEGACY, ProtocolError
from config.settings import VERSION

SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"
#: What a legacy session logs when the client never chose a level.
DEFAULT_LOG_LEVEL = "info"


def server_info() -> dict[str, str]:
    info = current_app.extensions.get("mcp_server_info")
    if info is None:
        info = current_app.extensions["mcp_server_info"] = {
            "name": current_app.config["MCP_SERVER_NAME"],
            "version": VERSION,
        }
    return info


def capabilities(modern: bool) -> dict[str, Any]:
    """The capabilities to declare. No list-change notifications: the lists are fixed at start-up.

    Legacy sessions may subscribe to resources (and are answered `{}`); 2026-07-28
    has no subscription stream here, so it declares none.
    """
    declared: dict[str, Any] = {"tools": {}, "prompts": {}, "completions": {}, "logging": {}}
    return declared | {"resources": {} if modern else {"subscribe": True}}


def _instructions() -> dict[str, str]:
    text = current_app.config["MCP_INSTRUCTIONS"]
    return {"instructions": text} if text else {}


def discover(call: Call) -> dict[str, Any]:
    result = {"supportedVersions": list(SUPPORTED_VERSIONS), "capabilities": capabilities(modern=True)}
    return result | _instructions() | {"ttlMs": 0, "cacheScope": "public"}


def initialize(call: Call) -> dict[str, Any]:
    """Agree on a version (the client's if supported, else our newest) and open a session."""
    requested = call.params.get("protocolVersion")
    version = requested if requested in LEGACY_VERSIONS else LEGACY_VERSIONS[-1]
    state = {
        "version": version,
        "capabilities": call.params.get("capabilities") or {},
        "log_level": DEFAULT_LOG_LEVEL,
        "subscriptions": [],
    }
    call.envelope.session_id = sessions.create(call.principal, state)
    result = {"protocolVersion": version, "capabilities": capabilities(modern=False), "serverInfo": server_info()}
    return result | _instructions()


def ping(call: Call) -> dict[str, Any]:
    return {}


def set_level(call: Call) -> dict[str, Any]:
    level = call.params.get("level")
    if level not in LOG_LEVELS:
        raise ProtocolError(INVALID_PARAMS, f"level must be one of {', '.join(LOG_LEVELS)}")
    _update_session(call, lambda state: state | {"log_level": level})
    return {}


def subscribe(call: Call) -> dict[str, Any]:
    uri = _resource_uri(call)
    _update_session(call, lambda state: state | {"subscriptions": sorted({*state["subscriptions"], uri})})
    return {}


def unsubscribe(call: Call) -> dict[str, Any]:
    uri = _resource_uri(call)
    _update_session(call, lambda state: state | {"subscriptions": [s for s in state["subscriptions"] if s != uri]})
    return {}


def _resource_uri(call: Call) -> str:
    uri = call.params.get("uri")
    if call.target is None:  # looked up (and its scopes checked) before the handler ran
        raise ProtocolError(RESOURCE_NOT_FOUND_LEGACY, "Resource not found", {"uri": uri})
    return uri


def _update_session(call: Call, change) -> None:
    """Save a change to the legacy session's state, as the request loaded it."""
    envelope = call.envelope
    if envelope.session_id and envelope.session_state is not None:
        sessions.save(envelope.session_id, change(envelope.session_state))
