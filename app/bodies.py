"""Read the rest of what the client sent before its answer goes out, so a kept-alive connection stays usable.

Many answers come before the request body is read: 401 without a token, 403 for a foreign
Origin, 415, 429. The server then says `Connection: keep-alive`, but gunicorn, finding more
than 64 KiB unread when it looks for the next request, closes the connection instead, and
the request the client has sent on it meanwhile is lost (behind nginx with upstream
keep-alive, it becomes a 502). So the rest of a body is read and dropped here, which costs
one empty read when the app has read it all: up to twice MAX_CONTENT_LENGTH, so that a body
a little too long still gets its 413 on a connection that stays usable. A longer body, or
one of unknown length (chunked), is not read: gunicorn.conf.py's `pre_request` has gunicorn
close that connection after the answer, and say so (`kept_alive` decides, for both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import ClientDisconnected

#: Bytes read at a time while dropping the rest of a body.
CHUNK = 65536


def kept_alive(content_length: str | None, chunked: bool, max_content_length: int) -> bool:
    """Whether a request's connection stays open after its answer: its body is short enough to read to the end."""
    return not chunked and (content_length is None or int(content_length) <= 2 * max_content_length)


class BodyDrain:
    """WSGI middleware: once the app has answered, read what is left of a request body whose connection stays open."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], max_content_length: int) -> None:
        self.wsgi_app, self.max_content_length = wsgi_app, max_content_length

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            length = environ.get("CONTENT_LENGTH")
            if length and length != "0" and length.isdigit() and kept_alive(length, False, self.max_content_length):
                _drop_rest(environ["wsgi.input"], int(length))


def _drop_rest(stream: Any, length: int) -> None:
    """Read `stream` to its end (at most `length` bytes); a client gone meanwhile is no matter."""
    try:
        while length > 0:
            chunk = stream.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
    except (OSError, ValueError, ClientDisconnected):
        return


def init_app(app: Flask) -> None:
    app.wsgi_app = BodyDrain(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])  # type: ignore[method-assign]
