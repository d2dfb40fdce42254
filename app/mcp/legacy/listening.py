"""GET /mcp in the `initialize`-based revisions: a session's stream of list changes and resource updates.

Opened with the session's Mcp-Session-Id and `Accept: text/event-stream`, it carries
`notifications/{tools,prompts,resources}/list_changed`, `notifications/resources/updated`
for the URIs the session subscribed to (`resources/subscribe`), and
`notifications/elicitation/complete` for the URL-mode elicitations its calls ended with, from whichever worker or
instance made the change (app.mcp.server.changes). It counts against the stream caps like
any stream, and ends when the client closes it, the session ends, or the server shuts down
(a client opens it again).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

from flask import Flask, Request
from werkzeug.wrappers import Response

from app.auth.principal import Principal
from app.extensions import this_app
from app.mcp.errors import INVALID_REQUEST, ProtocolError
from app.mcp.legacy import sessions
from app.mcp.legacy.handshake import VERSIONS
from app.mcp.server import changes, elicitations, jsonrpc, streams
from app.mcp.server.channel import Channel
from app.mcp.server.transport import SSE_HEADERS

#: Seconds between looks at whether the stream should end, while nothing changes. Each look writes a
#: two-byte comment: a client that went away is noticed (and its place under the stream caps freed) within
#: seconds, not at the next keep-alive; clients that reconnect often would otherwise fill the caps.
WAIT_SECONDS = 1.0


def open_stream(req: Request, principal: Principal) -> Response | None:
    """The session's stream, for a GET in these revisions (None for 2026-07-28, which has none)."""
    if req.headers.get("MCP-Protocol-Version", VERSIONS[0]) not in VERSIONS:
        return None
    session_id = req.headers.get("Mcp-Session-Id")
    if not session_id:
        raise ProtocolError(INVALID_REQUEST, "Mcp-Session-Id header required: the stream is a session's", status=400)
    if "text/event-stream" not in req.headers.get("Accept", ""):
        raise ProtocolError(INVALID_REQUEST, "Not Acceptable: the stream is text/event-stream", status=406)
    sessions.load(session_id, principal)  # 404 for an unknown or ended session
    channel = Channel(streaming=True)
    lease = streams.admit(channel, principal)
    hub = changes.hub()
    try:
        inbox = hub.join()
    except Exception:
        streams.release(lease)
        raise
    app = this_app()
    events = _events(app, session_id, principal, channel, lease, hub, inbox)
    response = Response(events, 200, headers=SSE_HEADERS, mimetype="text/event-stream")
    response.call_on_close(lambda: (hub.leave(inbox), streams.release(lease)))  # also if it never started
    return response


def _events(
    app: Flask,
    session_id: str,
    principal: Principal,
    channel: Channel,
    lease: streams.Lease,
    hub: changes.Hub,
    inbox: queue.Queue,
) -> Iterator[str]:
    waited = 0.0
    try:
        yield ": open\n\n"
        while not channel.is_cancelled():  # a shutdown (streams.drain) cancels it
            streams.keep(lease)  # renews the caller's lease when due
            try:
                change = inbox.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                waited += WAIT_SECONDS
                if waited >= lease.keepalive:  # now and then: the session may have ended (DELETE, expiry)
                    waited = 0.0
                    with app.app_context():
                        sessions.load(session_id, principal)
                yield ":\n\n"
                continue
            with app.app_context():
                message = _notification(change, session_id, principal)
            if message is not None:
                yield f"event: message\ndata: {jsonrpc.dumps(message)}\n\n"
    except ProtocolError:  # the session ended meanwhile
        return
    finally:
        hub.leave(inbox)
        streams.release(lease)


def _notification(change: changes.Change, session_id: str, principal: Principal) -> dict[str, Any] | None:
    if change.kind in changes.LISTS:
        return jsonrpc.notification(change.method, {})
    if change.kind == elicitations.COMPLETED:  # one this session's call ended with -32042 for
        session, _, elicitation_id = str(change.uri).partition("/")
        if session != sessions.session_key(session_id):
            return None
        return jsonrpc.notification("notifications/elicitation/complete", {"elicitationId": elicitation_id})
    if change.kind != changes.UPDATED:
        return None  # an extension's change (a task's): 2026-07-28 listeners only
    if change.uri not in sessions.load(session_id, principal)["subscriptions"]:
        return None
    return jsonrpc.notification(change.method, {"uri": change.uri})
