"""Sign-in required everywhere except public paths, sign-in paths and the MCP endpoint."""

from __future__ import annotations

from flask import Flask, Request, current_app, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import hooks
from app.errors import error_response, wants_json

#: Always open: liveness and readiness, assets, discovery documents, sign-in itself,
#: the OAuth endpoints (authorize sends people to sign in itself), and /metrics (its own token).
PUBLIC_PATHS = ("/health", "/status", "/favicon.ico", "/static/", "/.well-known/", "/auth/", "/oauth/", "/metrics")


def init_app(app: Flask) -> None:
    hooks.before(app, require_sign_in, pages_only=True)  # the MCP endpoint answers for itself


def is_public(path: str) -> bool:
    """Return whether `path` is open; entries ending in / are prefixes, others exact."""
    config = current_app.config
    mcp_path = config["MCP_PATH"]
    if path == mcp_path or path.startswith(mcp_path.rstrip("/") + "/"):
        return True  # the MCP endpoint answers for itself, and never with a redirect
    for entry in (*PUBLIC_PATHS, *config["PUBLIC_PATHS"]):
        if path == entry or (entry.endswith("/") and path.startswith(entry)):
            return True
    return False


def require_sign_in(req: Request) -> Response | None:
    """Let public paths and signed-in people through; send everyone else to sign in."""
    if is_public(req.path) or current_user.is_authenticated:
        return None
    if wants_json():
        return error_response(401, "unauthorized", "Sign in first: " + url_for("auth.login", _external=True))
    return redirect(url_for("auth.login", next=req.full_path.rstrip("?")))
