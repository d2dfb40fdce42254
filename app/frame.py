"""The WSGI frame around the whole app: what the template does to every request before Flask sees it, and to
every response as it starts and once it is answered.

None of it needs a request object, and each piece costs a list append or a dict lookup where a
middleware of its own, or a Flask hook, would cost a call through Flask and werkzeug on every request
(the MCP endpoint's agents call in tight loops). Each module registers its piece:

- `on_arrival(hook)`: `hook(environ)` before any middleware or Flask hook (the request id);
- `on_headers(hook)`: `hook(environ, present)` names headers for the response (its headers so far, by
  lowercased name, in `present`); those it lacks are added to the WSGI list as it starts. A header the
  response has is kept: a view or a user's hook that sets one decides it. werkzeug's
  `response.headers[...] = ...` searches and rewrites the list (about 10,000 instructions each);
- `on_answered(hook)`: `hook(environ)` once the app has answered, whatever happened (the rest of a body);
- `on_failure(handler)`: `handler(environ, start_response, started)` answers an exception the app let out,
  `started` saying whether the response's headers went out already (the last resort's page).

`wrap` puts the frame in place, last of all, so that it is outermost: the last resort's page gets the headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

Environ = dict[str, Any]
ArrivalHook = Callable[[Environ], None]
HeadersHook = Callable[[Environ, dict[str, str]], Iterable[tuple[str, str]]]
FailureHandler = Callable[[Environ, Callable[..., Any], bool], Iterable[bytes]]


@dataclass
class Pieces:
    """What the modules registered, in the order they did (the last resort: one handler, or none)."""

    arrival: list[ArrivalHook] = field(default_factory=list)
    headers: list[HeadersHook] = field(default_factory=list)
    answered: list[ArrivalHook] = field(default_factory=list)
    failure: FailureHandler | None = None


def init_app(app: Flask) -> None:
    app.extensions["frame"] = Pieces()


def on_arrival(app: Flask, hook: ArrivalHook) -> None:
    app.extensions["frame"].arrival.append(hook)


def on_headers(app: Flask, hook: HeadersHook) -> None:
    app.extensions["frame"].headers.append(hook)


def on_answered(app: Flask, hook: ArrivalHook) -> None:
    app.extensions["frame"].answered.append(hook)


def on_failure(app: Flask, handler: FailureHandler) -> None:
    app.extensions["frame"].failure = handler


def wrap(app: Flask) -> None:
    """Put the frame around the whole app: called last, after every middleware is in place."""
    app.wsgi_app = Frame(app.wsgi_app, app.extensions["frame"])  # type: ignore[method-assign]


class Frame:
    """WSGI middleware running the pieces around the app it wraps."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], pieces: Pieces) -> None:
        self.wsgi_app, self.pieces = wsgi_app, pieces

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        pieces, started = self.pieces, []
        for arrive in pieces.arrival:
            arrive(environ)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.append(status)
            present, added = {}, []
            for name, value in headers:  # a loop, not a comprehension: on 3.11, that is a call of its own
                present[name.lower()] = value
            for hook in pieces.headers:
                for name, value in hook(environ, present):
                    if (lowered := name.lower()) not in present:
                        present[lowered] = value
                        added.append((name, value))
            return start_response(status, headers + added if added else headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        except Exception:
            if pieces.failure is None:
                raise
            return pieces.failure(environ, start, bool(started))
        finally:
            for answered in pieces.answered:
                answered(environ)
