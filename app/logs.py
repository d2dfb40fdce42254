"""Process logging: one stream, text or JSON, a request id on every line, no secret in any.

The development server logs each request line with its query string, and a sign-in
callback's query holds the authorization code and state; those lines are redacted.
Every response carries `X-Request-ID` (the caller's, if it sent a sane one), and every
log line written while serving it names that id.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
from typing import Any

from flask import Flask, has_request_context, request

from app import frame

SECRET_PARAMS = re.compile(r"([?&](?:code|state|token|access_token|id_token|refresh_token|client_secret)=)[^&\s\"]*")
#: A request id a caller (or a proxy) may set: short and plain, so it cannot forge log lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
#: Where a request keeps its id: in its WSGI environ, which every hook is handed, instead of `g`.
REQUEST_ID = "app.request_id"
_PREFIX = secrets.token_hex(12)
_COUNTER = itertools.count()


def _new_prefix() -> None:
    """A forked process (a gunicorn worker of a preloaded app) numbers its requests under a prefix of its own."""
    global _PREFIX, _COUNTER
    _PREFIX, _COUNTER = secrets.token_hex(12), itertools.count()


os.register_at_fork(after_in_child=_new_prefix)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace the values of secret-bearing query parameters with `[redacted]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


class RequestId(logging.Filter):
    """Put the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request.environ.get(REQUEST_ID, "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def redact(text: str) -> str:
    return SECRET_PARAMS.sub(r"\1[redacted]", text)


def configure_logging(level: str, style: str = "text") -> None:
    """Log to stderr at `level`, as text or JSON, with request ids and secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if style == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestId())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logging.getLogger(name).addFilter(RedactSecrets())


def init_app(app: Flask) -> None:
    """Give every request an id as it arrives, and echo it in the response."""
    frame.on_arrival(app, _assign_request_id)
    frame.on_headers(app, _echo_request_id)


def _assign_request_id(environ: dict[str, Any]) -> None:
    offered = environ.get("HTTP_X_REQUEST_ID")
    environ[REQUEST_ID] = offered if offered and SANE_REQUEST_ID.fullmatch(offered) else _new_id()


def _new_id() -> str:
    """A process-unique id: a random prefix per process and a counter (no syscall per request)."""
    return f"{_PREFIX}{next(_COUNTER):08x}"


def _echo_request_id(environ: dict[str, Any], _present: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return (("X-Request-ID", environ[REQUEST_ID]),)
