"""The MCP endpoint: POST one JSON-RPC message; DELETE ends a legacy session; GET is 405."""

from __future__ import annotations

from flask import Blueprint, Flask, Request, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app import limits
from app.auth.principal import Principal
from app.extensions import csrf
from app.mcp import access, dispatch, jsonrpc, registry, sessions, throttle
from app.mcp.cli import mcp_cli
from app.mcp.errors import INVALID_REQUEST, ProtocolError
from app.mcp.transport import json_response


def init_app(app: Flask) -> None:
    """Load the tools of MCP_TOOL_PACKAGES and serve them at MCP_PATH."""
    app.extensions["mcp"] = registry.load(app.config["MCP_TOOL_PACKAGES"])
    bp = Blueprint("mcp", __name__)
    # One view per method: Flask answers HEAD with the GET view, which must never reach the dispatcher.
    bp.add_url_rule(app.config["MCP_PATH"], "endpoint", endpoint, methods=["POST"])
    bp.add_url_rule(app.config["MCP_PATH"], "stream", stream, methods=["GET"])
    bp.add_url_rule(app.config["MCP_PATH"], "end_session", end_session, methods=["DELETE"])
    bp.register_error_handler(ProtocolError, protocol_error)
    bp.register_error_handler(HTTPException, http_error)
    csrf.exempt(bp)  # cookie callers are held to this site's Origin instead (see access)
    app.register_blueprint(bp)
    app.cli.add_command(mcp_cli)


def endpoint() -> Response:
    """POST: one JSON-RPC message."""
    # Each use of a context-local proxy costs about a microsecond, and agents call this
    # in tight loops: the request is looked up once and handed on.
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    principal = _caller(req)
    if req.mimetype != "application/json":
        raise ProtocolError(INVALID_REQUEST, "Content-Type must be application/json", status=415)
    return dispatch.handle(jsonrpc.parse(req.get_data()), principal, req)


def stream() -> Response:
    """GET (and HEAD): there is no standalone stream to open."""
    _caller(request)
    raise ProtocolError(INVALID_REQUEST, "Method not allowed: this server opens no standalone stream", status=405)


def end_session() -> Response:
    """DELETE: end a legacy session."""
    principal = _caller(request)
    session_id = request.headers.get("Mcp-Session-Id")
    if not session_id:
        raise ProtocolError(INVALID_REQUEST, "Mcp-Session-Id header required", status=400)
    sessions.end(session_id, principal)
    return Response(status=204)


def _caller(req: Request) -> Principal:
    """Who is calling, from an allowed Host and Origin, within the rate limit (else 403, 401 or 429).

    Authentication comes first: an invalid credential is counted per address (see app.mcp.throttle), never as a
    credential of its own.
    """
    access.check_host_and_origin(req)
    principal = access.authenticate(req)
    throttle.check(req)
    return principal


def protocol_error(problem: ProtocolError) -> Response:
    headers = ({"Allow": "POST, DELETE"} if problem.status == 405 else {}) | problem.headers
    return json_response(jsonrpc.error(problem.request_id, problem), problem.status or 200, headers)


def http_error(error: HTTPException) -> Response:
    """Answer HTTP-level failures (413 and the like) in JSON-RPC's shape, not as pages."""
    current_app.logger.info("MCP request refused: %s", error.code)
    problem = ProtocolError(INVALID_REQUEST, f"{error.name}: {error.description}", status=error.code or 400)
    headers = {"Retry-After": str(limits.retry_after())} if error.code == 429 else {}
    return json_response(jsonrpc.error(None, problem), problem.status, headers)
