"""Read the rest of what the client sent before its answer goes out, so a kept-alive connection stays usable.

Many answers come before the request body is read: 401 without a token, 403 for a foreign
Origin, 415, 429. The server then says `Connection: keep-alive`, but gunicorn, finding more
than 64 KiB unread when it looks for the next request, closes the connection instead, and
the request the client has sent on it meanwhile is lost (behind nginx with upstream
keep-alive, it becomes a 502). So the rest of a body is read and dropped here: up to twice
MAX_CONTENT_LENGTH, so that a body a little too long still gets its 413 on a connection that
stays usable. A longer body, or one of unknown length (chunked), is not read: gunicorn.conf.py's
`pre_request` has gunicorn close that connection after the answer, and say so (`kept_alive`
decides, for both). A body the app read whole costs one empty read more, unless the view read
it with `read_all` (the MCP endpoint does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from werkzeug.exceptions import ClientDisconnected

from app import frame

#: Bytes read at a time while dropping the rest of a body.
CHUNK = 65536
#: Where `read_all` notes, in the request's WSGI environ, that the body was read to its end.
READ = "app.bodies.read"


def kept_alive(content_length: str | None, chunked: bool, max_content_length: int) -> bool:
    """Whether a request's connection stays open after its answer: its body is short enough to read to the end."""
    return not chunked and (content_length is None or int(content_length) <= 2 * max_content_length)


def drain(max_content_length: int) -> Callable[[dict[str, Any]], None]:
    """The frame's piece that, once the app has answered, reads what is left of a body whose connection stays open."""

    def drained(environ: dict[str, Any]) -> None:
        if READ in environ:
            return
        length = environ.get("CONTENT_LENGTH")
        if length and length != "0" and length.isdigit() and kept_alive(length, False, max_content_length):
            _drop_rest(environ["wsgi.input"], int(length))

    return drained


def read_all(req: Request) -> bytes:
    """The request's body (werkzeug's `get_data`, kept for whoever reads it next), noted as read when it is all
    there, so that no read follows the answer: under gunicorn, one at the body's end costs about 20 Python calls."""
    data = req.get_data()
    if str(len(data)) == req.environ.get("CONTENT_LENGTH"):
        req.environ[READ] = True
    return data


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
    frame.on_answered(app, drain(app.config["MAX_CONTENT_LENGTH"]))
