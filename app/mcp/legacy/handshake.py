"""The `initialize` handshake that opens a session, and the small methods that change a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.mcp.context import LOG_LEVELS
from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.legacy import sessions
from app.mcp.server import discovery

if TYPE_CHECKING:
    from app.mcp.server.call import Call

#: The revisions agreed on by `initialize`, oldest first.
VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")
#: What a session logs when the client never chose a level.
DEFAULT_LOG_LEVEL = "info"


def capabilities(version: str) -> dict[str, Any]:
    """What 2026-07-28 declares: list changes and resource subscriptions, delivered on the session's GET stream
    (app/mcp/legacy/listening.py)."""
    return discovery.capabilities(version) | discovery.LISTENED


def initialize(call: Call) -> dict[str, Any]:
    """Agree on a version (the client's if supported, else our newest) and open the session."""
    requested = call.params.get("protocolVersion")
    version = requested if requested in VERSIONS else VERSIONS[-1]
    state = {
        "version": version,
        "capabilities": call.params.get("capabilities") or {},
        "log_level": DEFAULT_LOG_LEVEL,
        "subscriptions": [],
    }
    sessions.create(call.envelope.session_id or "", call.principal, state)
    result = {"protocolVersion": version, "capabilities": capabilities(version), "serverInfo": discovery.server_info()}
    return result | discovery.instructions()


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
        raise ProtocolError(call.revision.resource_not_found, "Resource not found", {"uri": uri})
    return uri


def _update_session(call: Call, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Save a change to the session's state, as the request loaded it."""
    envelope = call.envelope
    if envelope.session_id and envelope.session_state is not None:
        sessions.save(envelope.session_id, change(envelope.session_state))
