"""The `initialize`-based revisions (2025-03-26, 2025-06-18, 2025-11-25), as the engine's `Revision`.

A request without a version header speaks 2025-03-26. Apart from `initialize`, a
request may carry the session it opened (`Mcp-Session-Id`), which holds the agreed
version, the client's capabilities and its log level. JSON-RPC errors travel with
200, unless HTTP itself refused the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from app.auth.principal import Principal
from app.mcp.errors import INVALID_REQUEST, ProtocolError
from app.mcp.legacy import handshake, sessions, streaming
from app.mcp.legacy.handshake import VERSIONS
from app.mcp.server import methods, modern
from app.mcp.server.dispatch import Envelope
from app.mcp.server.jsonrpc import Message

if TYPE_CHECKING:
    from app.mcp.server.call import Call

#: What a request without the version header speaks (transport spec, "Protocol Version Header").
DEFAULT_VERSION = "2025-03-26"
#: "Resource not found" in these revisions (2026-07-28 says -32602).
RESOURCE_NOT_FOUND = -32002


@dataclass
class SessionEnvelope(Envelope):
    """An envelope with the request's session: its id, and its stored state as loaded for this request."""

    session_id: str | None = None
    session_state: dict[str, Any] | None = None


class Legacy:
    versions = VERSIONS
    methods = methods.SHARED | {
        "initialize": handshake.initialize,
        "ping": handshake.ping,
        "logging/setLevel": handshake.set_level,
        "resources/subscribe": handshake.subscribe,
        "resources/unsubscribe": handshake.unsubscribe,
    }
    resource_not_found = RESOURCE_NOT_FOUND

    def claims(self, message: Message, headers: Mapping[str, str]) -> bool:
        """A request with a legacy version header or none, and without 2026-07-28's `_meta`."""
        header = headers.get("MCP-Protocol-Version")
        meta = message.params.get("_meta")
        modern_meta = isinstance(meta, dict) and (modern.VERSION_KEY in meta or modern.CAPABILITIES_KEY in meta)
        return not modern_meta and message.method != "server/discover" and (header is None or header in VERSIONS)

    def envelope(self, message: Message, principal: Principal, headers: Mapping[str, str]) -> SessionEnvelope:
        """The version from the header; the rest from the request's session, if it has one. `initialize`
        gets the id of the session it opens."""
        version = headers.get("MCP-Protocol-Version", DEFAULT_VERSION)  # one of VERSIONS: it claimed the request
        session_id = headers.get("Mcp-Session-Id")
        if message.method == "initialize":
            return SessionEnvelope(version, log_level=handshake.DEFAULT_LOG_LEVEL, session_id=sessions.new_id())
        if not session_id:
            return SessionEnvelope(version, log_level=handshake.DEFAULT_LOG_LEVEL)
        state = sessions.load(session_id, principal)
        return SessionEnvelope(state["version"], state["capabilities"], state["log_level"], session_id, state)

    def accept(self, message: Message, principal: Principal, headers: Mapping[str, str]) -> Response:
        """An answer to a question a call asked, or a notification (a cancellation is heard; others dropped)."""
        session_id = self.envelope(message, principal, headers).session_id
        if message.kind == "response":
            if not streaming.deliver(message.body, session_id, principal.subject):
                raise ProtocolError(INVALID_REQUEST, "No question with this id is waiting for an answer", status=400)
        elif message.method == "notifications/cancelled" and session_id:
            streaming.cancel(session_id, message.params.get("requestId"))
        return Response(status=202)

    def channel(self, call: Call) -> streaming.StreamingChannel:
        return streaming.StreamingChannel(call)

    def run(self, call: Call) -> dict[str, Any]:
        return call.handler(call)

    def finish(self, call: Call, result: dict[str, Any]) -> dict[str, Any]:
        return result

    def result_headers(self, call: Call) -> dict[str, str] | None:
        """Name the session `initialize` opened."""
        if call.message.method != "initialize":
            return None
        envelope: SessionEnvelope = call.envelope  # type: ignore[assignment]
        return {"Mcp-Session-Id": envelope.session_id or ""}

    def status(self, problem: ProtocolError) -> int:
        return problem.status
