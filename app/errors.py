"""Error responses: an HTML page for people, JSON for API callers, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from logging import Logger
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from app import frame, limits, metrics
from app.extensions import db

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "A data store is not answering. Retry in a few seconds."
FAILURE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>500 Internal server error</title></head>'
    "<body><h1>Internal server error</h1><p>Something went wrong on our side.</p></body></html>"
)
UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>503 Service unavailable</title></head>'
    f"<body><h1>Service unavailable</h1><p>{UNAVAILABLE}</p></body></html>"
)


def store_errors(app: Flask) -> tuple[type[Exception], ...]:
    """Failures that mean a store is down or unreachable, not that the code is wrong.

    Redis's count only when REDIS_URL is set: the redis package (about 6 MB per
    process) is imported only then.
    """
    if not app.config["REDIS_URL"]:
        return (DBAPIError,)  # OperationalError is a DBAPIError
    import redis

    return (DBAPIError, redis.ConnectionError, redis.TimeoutError)


def wants_json() -> bool:
    """Return whether the caller should get JSON: it asks for it, or calls an API path."""
    if any(request.path.startswith(prefix) for prefix in current_app.config["API_PREFIXES"]):
        return True
    if request.path in current_app.extensions.get("oauth_error_paths", ()):  # called by programs, never by people
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or (best is None and request.is_json)


def error_response(status: int, error: str, message: str) -> Response:
    """Return `{"error", "message"}` JSON or the error page, as the caller prefers; an OAuth error
    (RFC 6749 section 5.2) on the endpoints only OAuth clients call."""
    if request.path in current_app.extensions.get("oauth_error_paths", ()) and status < 500:
        response = jsonify(error="invalid_request", error_description=message)
    elif wants_json():
        response = jsonify(error=error, message=message)
    else:
        page = render_template("errors/error.html", status=status, title=error.replace("_", " "), message=message)
        response = current_app.response_class(page)
    response.status_code = status
    return response


def oauth_description(text: str) -> str:
    """Keep only the characters RFC 6749 allows in an error description (Authlib refuses others)."""
    return "".join(char if " " <= char <= "~" and char not in '"\\' else "?" for char in text)


def answer_as_oauth(app: Flask, paths: list[str]) -> None:
    """Answer errors at `paths` as OAuth errors (RFC 6749 section 5.2): only OAuth clients call them."""
    app.extensions["oauth_error_paths"] = frozenset(paths)


def handle_http_error(error: HTTPException) -> Response:
    """Answer 4xx and 5xx aborts (CSRF, 404, 405, 413, ...) in the caller's format."""
    if error.code is None:
        return error.get_response()
    if isinstance(getattr(error, "original_exception", None), store_errors(current_app)):
        return handle_store_down(error.original_exception)  # raised outside the view: session load or save
    response = error_response(error.code, (error.name or "error").lower().replace(" ", "_"), error.description or "")
    headers = dict(error.get_headers())
    for name in ("Allow", "WWW-Authenticate"):
        if name in headers:
            response.headers[name] = headers[name]
    if error.code == 429:
        response.headers["Retry-After"] = str(limits.retry_after())
    return response


def handle_store_down(error: Exception) -> Response:
    """A store (database or Redis) did not answer: 503 and a retry hint, not a 500.

    The pool checks connections before use, so the first request after the store is
    back gets a fresh one.
    """
    current_app.logger.warning("store unavailable on %s %s: %s", request.method, request.path, type(error).__name__)
    metrics.count("store_errors")
    db.session.rollback()
    if request.path.startswith(current_app.config["MCP_PATH"]):
        body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32603, "message": UNAVAILABLE}}
        response = current_app.response_class(json.dumps(body), mimetype="application/json")
    elif wants_json():
        response = jsonify(error="service_unavailable", message=UNAVAILABLE)
    else:
        # No layout: it would read the session (and the person) from the store that is down.
        response = current_app.response_class(UNAVAILABLE_PAGE, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_unexpected_error(error: Exception) -> Response:
    """Log the traceback, and tell the caller only that something went wrong."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def last_resort(logger: Logger) -> Callable[[dict[str, Any], Callable[..., Any], bool], list[bytes]]:
    """The frame's handler of a failure after Flask is done (Werkzeug writing the response's headers): a page,
    instead of the server's own bare 500 (the frame adds the security headers)."""

    def answer(environ: dict[str, Any], start_response: Callable[..., Any], started: bool) -> list[bytes]:
        logger.exception("unhandled error writing the response to %s", environ.get("PATH_INFO"))
        # Once a response has started, the server must decide (PEP 3333): exc_info lets it re-raise.
        headers = [("Content-Type", "text/html; charset=utf-8")]
        start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info() if started else None)
        return [FAILURE_PAGE.encode()]

    return answer


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    for unavailable in store_errors(app):
        app.register_error_handler(unavailable, handle_store_down)
    app.register_error_handler(Exception, handle_unexpected_error)
    if app.config["APP_ENV"] != "development":  # there, the debugger shows what failed
        frame.on_failure(app, last_resort(app.logger))
