"""The template's own request hooks, run by one app-wide before hook and one after hook.

Flask calls every app-wide hook on every request, and each of the template's cost a few
microseconds, mostly in Flask's call of it and in the context-local proxies it reads: on
the MCP endpoint, which agents call in tight loops, they cost more than a tool call. So
the template registers its hooks here: each is given the request (and the response), and
those for pages only (the CSRF check, the sign-in guard, the remember-me cookie) are
skipped for the blueprints that are not pages (`not_pages`: the MCP endpoint checks its
callers itself). Hooks registered with `app.before_request` and the like, a user's too,
run as Flask runs them, for every request, after these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Request, Response, request

from app.extensions import this_app

#: Where `_before` notes, in the request's WSGI environ, whether the request is for a page.
PAGE = "app.hooks.page"
BeforeHook = Callable[[Request], Response | None]
AfterHook = Callable[[Request, Response], Response]


@dataclass
class Hooks:
    """The template's hooks in the order they were added, each with whether it is for pages only."""

    before: list[tuple[BeforeHook, bool]] = field(default_factory=list)
    after: list[tuple[AfterHook, bool]] = field(default_factory=list)
    #: Blueprints that are not pages: their views skip the hooks for pages.
    not_pages: set[str] = field(default_factory=set)


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
