"""Error responses: an HTML page for people, JSON for API callers, never a traceback."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    """Return whether the caller should get JSON: it asks for it, or calls an API path."""
    if any(request.path.startswith(prefix) for prefix in current_app.config["API_PREFIXES"]):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or (best is None and request.is_json)


def error_response(status: int, error: str, message: str) -> Response:
    """Return `{"error", "message"}` JSON or the error page, as the caller prefers."""
    if wants_json():
        response = jsonify(error=error, message=message)
    else:
        response = current_app.response_class(
            render_template("errors/error.html", status=status, title=error.replace("_", " "), message=message)
        )
    response.status_code = status
    return response


def handle_http_error(error: HTTPException) -> Response:
    """Answer 4xx and 5xx aborts (CSRF, 404, 405, 413, ...) in the caller's format."""
    if error.code is None:
        return error.get_response()
    response = error_response(error.code, (error.name or "error").lower().replace(" ", "_"), error.description or "")
    headers = dict(error.get_headers())
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in headers:
            response.headers[name] = headers[name]
    return response


def handle_unexpected_error(error: Exception) -> Response:
    """Log the traceback, and tell the caller only that something went wrong."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
