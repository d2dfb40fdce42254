"""Rate limits (Flask-Limiter): per client address on sign-in and the OAuth endpoints
(and, through app.mcp.throttle, per credential on /mcp). Counters live in Redis when
REDIS_URL is set, so every worker and instance shares them; otherwise in memory.

A refusal is `429` with `Retry-After`, shaped as each surface speaks: an OAuth error
on /oauth/, a JSON-RPC error on /mcp, the error page or JSON elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: Which setting limits which pages: each page (its endpoints, one per method) has a budget of its own.
LIMITS = {
    "SIGN_IN_RATE_LIMIT": (("auth.login_with",), ("auth.callback",), ("auth.dev_login", "auth.dev_sign_in")),
    "AUTHORIZE_RATE_LIMIT": (("oauth.authorize", "oauth.decide"),),
    "TOKEN_RATE_LIMIT": (("oauth.token",), ("oauth.revoke",), ("oauth.introspect",)),
    "REGISTRATION_RATE_LIMIT": (("oauth.register",),),
}


def init_app(app: Flask) -> None:
    """Build this app's limiter (counters must not leak between apps) and wrap the endpoints."""
    storage = app.config["REDIS_URL"] or "memory://"
    # swallow_errors: a Redis outage lifts the limits instead of failing every request.
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=storage, swallow_errors=True, in_memory_fallback_enabled=True
    )
    for setting, pages in LIMITS.items():
        for endpoints in pages:
            limit = limiter.shared_limit(_setting(setting), scope=endpoints[0])
            for endpoint in endpoints:
                if endpoint in app.view_functions:
                    app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    _unhook(app, limiter)
    app.extensions["rate_limiter"] = limiter


def _unhook(app: Flask, limiter: Limiter) -> None:
    """Drop the limiter's hooks around every request; the wrapped endpoints check themselves.

    Its global check is for default limits (this app has none), its after-request hook
    writes rate-limit headers (off) and its teardown clears per-request state (kept on the
    request context anyway): on /mcp, which has its own counter (app.mcp.throttle), they
    would only cost every tool call.
    """
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    inject = Limiter._Limiter__inject_headers  # type: ignore[attr-defined]
    after = app.after_request_funcs[None]
    after[:] = [hook for hook in after if getattr(hook, "func", None) is not inject]
    app.teardown_request_funcs[None].remove(limiter._Limiter__release_context)  # type: ignore[attr-defined]


def retry_after() -> int:
    """Seconds until the limit that refused this request resets (for Retry-After)."""
    if "retry_after" in g:  # set by the /mcp counter (app.mcp.throttle)
        return g.retry_after
    limit = current_app.extensions["rate_limiter"].current_limit
    return max(1, int(limit.reset_at - time.time())) if limit else 60


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]
