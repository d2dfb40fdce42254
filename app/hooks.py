"""The template's own request hooks, run by one app-wide before hook and one after hook.

Flask calls every app-wide hook on every request, and each of the template's cost a few
microseconds, mostly in Flask's call of it and in the context-local proxies it reads: on
the MCP endpoint, which agents call in tight loops, they cost more than a tool call. So
the template registers its hooks here: each is given the request (and the response), and
those for pages only (the CSRF check, the sign-in guard, the remember-me cookie) are
skipped for the blueprints that are not pages (`not_pages`: the MCP endpoint checks its
callers itself). Hooks registered with `app.before_request` and the like, a user's too,
run as Flask runs them, for every request, after these.

Two of the template's concerns need no request object at all: the request id, and the headers every
response carries (security headers, the request id's echo). They run in the WSGI frame around the
whole app (`wrap`): `on_arrival` hooks see the environ before any middleware or Flask hook does, and
`on_headers` hooks name headers to add as each response starts, its own and the last resort's alike.
A header the response already has is kept: a view or a user's hook that sets one decides it. Adding
a header to the WSGI list is a list append, where werkzeug's `response.headers[...] = ...` searches
and rewrites the list (about 10,000 instructions each, on the MCP endpoint's hot path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Request, Response, request

from app.extensions import this_app

#: Where `_before` notes, in the request's WSGI environ, whether the request is for a page.
PAGE = "app.hooks.page"
BeforeHook = Callable[[Request], Response | None]
AfterHook = Callable[[Request, Response], Response]
ArrivalHook = Callable[[dict[str, Any]], None]
#: Given the environ and the response's headers so far (lowercased name: value), the headers to add.
HeadersHook = Callable[[dict[str, Any], dict[str, str]], Iterable[tuple[str, str]]]


@dataclass
class Hooks:
    """The template's hooks in the order they were added, each with whether it is for pages only."""

    before: list[tuple[BeforeHook, bool]] = field(default_factory=list)
    after: list[tuple[AfterHook, bool]] = field(default_factory=list)
    #: Blueprints that are not pages: their views skip the hooks for pages.
    not_pages: set[str] = field(default_factory=set)
    arrival: list[ArrivalHook] = field(default_factory=list)
    headers: list[HeadersHook] = field(default_factory=list)


def init_app(app: Flask) -> None:
    """Run the template's hooks first among the app's before hooks, and last among its after hooks."""
    app.extensions["hooks"] = Hooks()
    app.before_request(_before)
    app.after_request(_after)


def before(app: Flask, hook: BeforeHook, pages_only: bool = False) -> None:
    """Run `hook(request)` before each request (each page's only), as `app.before_request` would: an answer it
    returns ends the request."""
    app.extensions["hooks"].before.append((hook, pages_only))


def after(app: Flask, hook: AfterHook, pages_only: bool = False) -> None:
    """Run `hook(request, response)` after each request (each page's only), as `app.after_request` would: the
    last added runs first."""
    app.extensions["hooks"].after.append((hook, pages_only))


def on_arrival(app: Flask, hook: ArrivalHook) -> None:
    """Run `hook(environ)` as each request arrives, before any middleware or Flask hook."""
    app.extensions["hooks"].arrival.append(hook)


def on_headers(app: Flask, hook: HeadersHook) -> None:
    """Add the headers `hook(environ, present)` names to each response that lacks them, as it starts."""
    app.extensions["hooks"].headers.append(hook)


def wrap(app: Flask) -> None:
    """Run the WSGI hooks around the whole app: called last, after every middleware is in place."""
    app.wsgi_app = Frame(app.wsgi_app, app.extensions["hooks"])  # type: ignore[method-assign]


class Frame:
    """WSGI middleware: the arrival hooks, then the app, whose response starts with the headers hooks' additions."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], hooks: Hooks) -> None:
        self.wsgi_app, self.hooks = wsgi_app, hooks

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for arrive in self.hooks.arrival:
            arrive(environ)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present, added = {}, []
            for name, value in headers:  # a loop, not a comprehension: on 3.11, that is a call of its own
                present[name.lower()] = value
            for hook in self.hooks.headers:
                for name, value in hook(environ, present):
                    if (lowered := name.lower()) not in present:
                        present[lowered] = value
                        added.append((name, value))
            return start_response(status, headers + added if added else headers, exc_info)

        return self.wsgi_app(environ, start)


def not_pages(app: Flask, blueprint: str) -> None:
    """Skip the hooks for pages on the views of `blueprint` (an API that checks its callers itself)."""
    app.extensions["hooks"].not_pages.add(blueprint)


def _is_page(req: Request, hooks: Hooks) -> bool:
    endpoint = req.endpoint
    return endpoint is None or endpoint.partition(".")[0] not in hooks.not_pages


def _before() -> Response | None:
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    hooks: Hooks = this_app().extensions["hooks"]
    page = req.environ[PAGE] = _is_page(req, hooks)
    for hook, pages_only in hooks.before:
        if page or not pages_only:
            answered = hook(req)
            if answered is not None:
                return answered
    return None


def _after(response: Response) -> Response:
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    hooks: Hooks = this_app().extensions["hooks"]
    page = req.environ.get(PAGE)
    if page is None:  # no before hook ran: the request ended before them (a URL that matched nothing, say)
        page = _is_page(req, hooks)
    for hook, pages_only in reversed(hooks.after):
        if page or not pages_only:
            response = hook(req, response)
    return response
