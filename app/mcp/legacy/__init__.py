"""The `initialize`-based revisions of MCP (2025-03-26, 2025-06-18, 2025-11-25), plugged into the engine.

Clients still speak them: a session opened by `initialize`, questions for the client on
a call's event stream, cancellations as notifications. All of it lives here and
reaches the engine in one place, `init_app`; to stop serving these revisions, delete
this folder and its lines in `MCP_EXTENSIONS` (app/__init__.py).

In request order:
- `revision`   which requests speak these revisions; their envelope, the methods they add, how
               errors and results travel, and the session header `initialize` answers with
- `sessions`   sessions in the shared store, filed under a hash of their ids
- `handshake`  `initialize`, `ping`, `logging/setLevel`, `resources/subscribe` and `unsubscribe`
- `streaming`  questions on a call's event stream, answers POSTed back, cancellations
- `listening`  GET: a session's stream of list changes and updates of the resources it subscribed to
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

from app.mcp.errors import INVALID_REQUEST, ProtocolError
from app.mcp.legacy import listening, sessions
from app.mcp.legacy.revision import Legacy
from app.mcp.server import access, changes, dispatch, elicitations, endpoint


def init_app(app: Flask) -> None:
    """Serve these revisions at MCP_PATH, GET there for a session's stream, and DELETE to end a session."""
    dispatch.register(app, Legacy())
    changes.add_kind(app, elicitations.COMPLETED)
    endpoint.serve_stream(app, listening.open_stream)
    endpoint.add_view(app, "end_session", end_session, "DELETE")


def end_session() -> Response:
    """DELETE /mcp: end the session named by Mcp-Session-Id."""
    principal = access.caller(request)
    session_id = request.headers.get("Mcp-Session-Id")
    if not session_id:
        raise ProtocolError(INVALID_REQUEST, "Mcp-Session-Id header required", status=400)
    sessions.end(session_id, principal)
    return Response(status=204)
