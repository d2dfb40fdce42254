"""The MCP endpoint: POST one JSON-RPC message; GET opens a standalone stream only where an extension does.

The views check who calls (app.mcp.server.access), then hand the message on; every
error before a message is dispatched is answered here, shaped as JSON-RPC.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, Request, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app import bodies, hooks, limits, metrics
from app.auth.principal import Principal
from app.extensions import csrf
from app.mcp.errors import INVALID_REQUEST, ProtocolError
from app.mcp.server import access, dispatch, jsonrpc, transport


def init_app(app: Flask) -> None:
    """Serve the endpoint at MCP_PATH: one view per method (Flask answers HEAD with GET's, which changes nothing)."""
    bp = Blueprint("mcp", __name__)
    bp.add_url_rule(app.config["MCP_PATH"], "endpoint", endpoint, methods=["POST"])
    bp.add_url_rule(app.config["MCP_PATH"], "stream", stream, methods=["GET"])
    bp.register_error_handler(ProtocolError, protocol_error)
    bp.register_error_handler(HTTPException, http_error)
    csrf.exempt(bp)  # cookie callers are held to this site's Origin instead (see access)
    app.register_blueprint(bp)
    hooks.not_pages(app, bp.name)  # no CSRF token, sign-in redirect or remember-me cookie: see access


def add_view(app: Flask, name: str, view: Callable[[], Response], method: str) -> None:
    """Serve `view` for `method` at MCP_PATH, as part of the endpoint: named `mcp.<name>`, it gets the
    blueprint's JSON-RPC error handling and CSRF exemption."""
    app.add_url_rule(app.config["MCP_PATH"], f"mcp.{name}", view, methods=[method])


def endpoint() -> Response:
    """POST: one JSON-RPC message."""
    # Each use of a context-local proxy costs about a microsecond, and agents call this
    # in tight loops: the request is looked up once and handed on.
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    principal = access.caller(req)
    if req.mimetype != "application/json":
        raise ProtocolError(INVALID_REQUEST, "Content-Type must be application/json", status=415)
    return dispatch.handle(jsonrpc.parse(bodies.read_all(req)), principal, req)


def serve_stream(app: Flask, opener: Callable[[Request, Principal], Response | None]) -> None:
    """Let an extension open the standalone GET stream of the requests it claims (`opener` returns None for
    the others, which get 405): 2026-07-28 has none, the `initialize`-based revisions have one per session."""
    app.extensions["mcp_stream_opener"] = opener


def stream() -> Response:
    """GET (and HEAD): a standalone stream, if an extension opens one for this request; else 405."""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    principal = access.caller(req)
    opener = current_app.extensions.get("mcp_stream_opener")
    opened = opener(req, principal) if opener is not None and req.method == "GET" else None  # HEAD opens none
    if opened is not None:
        return opened
    message = "Method not allowed: this server opens no standalone stream for this request"
    raise ProtocolError(INVALID_REQUEST, message, status=405, headers={"Allow": _allowed_methods()})


def protocol_error(problem: ProtocolError) -> Response:
    if problem.status == 401:  # no credential, or not a valid one: the message was not read
        metrics.count("mcp_requests", method="", tool="", outcome="refused_auth")
    return transport.error_response(problem, problem.request_id, problem.status or 200)


def http_error(error: HTTPException) -> Response:
    """Answer HTTP-level failures (413 and the like) in JSON-RPC's shape, not as pages."""
    current_app.logger.info("MCP request refused: %s", error.code)
    headers = {"Retry-After": str(limits.retry_after())} if error.code == 429 else {}
    status = error.code or 400
    problem = ProtocolError(INVALID_REQUEST, f"{error.name}: {error.description}", status=status, headers=headers)
    return transport.error_response(problem, None, status)


def _allowed_methods() -> str:
    """The methods the endpoint answers (besides GET), POST first."""
    path = current_app.config["MCP_PATH"]
    served = {method for rule in current_app.url_map.iter_rules() if rule.rule == path for method in rule.methods or ()}
    return ", ".join(["POST", *sorted(served - {"POST", "GET", "HEAD", "OPTIONS"})])
