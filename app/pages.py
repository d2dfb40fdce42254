"""The template's hooks for pages: checks and cookies that a browser needs and an API endpoint does not.

Flask calls every app-wide hook on every request, and each costs a few microseconds: on
the MCP endpoint, which agents call in tight loops, the CSRF check, the sign-in guard and
Flask-Login's remember-me cookie cost more than a tool call. So they are held here, behind
one app-wide before hook and one after hook that skip the blueprints marked as APIs
(`not_pages`: the MCP endpoint checks its caller itself). Every other request, and every
hook registered with `app.before_request` and the like (a user's too), runs as Flask runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, request

BeforeHook = Callable[[], Response | None]
AfterHook = Callable[[Response], Response]


@dataclass
class PageHooks:
    """The hooks of pages, in the order they run, and the blueprints that are not pages."""

    before: list[BeforeHook] = field(default_factory=list)
    after: list[AfterHook] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)


def init_app(app: Flask) -> None:
    """Run the page hooks at this point of the app's hooks (before: in order; after: as Flask does, in reverse)."""
    app.extensions["page_hooks"] = PageHooks()
    app.before_request(_before_page)
    app.after_request(_after_page)


def before_page(app: Flask, hook: BeforeHook) -> None:
    """Run `hook` before each request that is not an API's, as `app.before_request` would."""
    app.extensions["page_hooks"].before.append(hook)


def after_page(app: Flask, hook: AfterHook) -> None:
    """Run `hook` after each request that is not an API's, as `app.after_request` would."""
    app.extensions["page_hooks"].after.append(hook)


def not_pages(app: Flask, blueprint: str) -> None:
    """Skip the page hooks for the views of `blueprint` (an API that checks its callers itself)."""
    app.extensions["page_hooks"].skipped.add(blueprint)


def _hooks() -> PageHooks | None:
    """This request's page hooks; None for a request to an API."""
    hooks: PageHooks = current_app.extensions["page_hooks"]
    endpoint = request.endpoint
    if endpoint is not None and endpoint.partition(".")[0] in hooks.skipped:
        return None
    return hooks


def _before_page() -> Response | None:
    hooks = _hooks()
    for hook in hooks.before if hooks is not None else ():
        answered = hook()
        if answered is not None:
            return answered
    return None


def _after_page(response: Response) -> Response:
    hooks = _hooks()
    for hook in reversed(hooks.after) if hooks is not None else ():
        response = hook(response)
    return response
