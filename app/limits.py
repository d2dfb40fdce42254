"""Rate limits (Flask-Limiter): per client address on sign-in and the OAuth endpoints
(and, through app.mcp.throttle, per credential on /mcp). Counters live in Redis when
REDIS_URL is set, so every worker and instance shares them; otherwise in memory.

A refusal is `429` with `Retry-After`, shaped as each surface speaks: an OAuth error
on /oauth/, a JSON-RPC error on /mcp, the error page or JSON elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: Which setting limits which endpoints.
LIMITS = {
    "SIGN_IN_RATE_LIMIT": ("auth.login_with", "auth.callback", "auth.dev_login"),
    "AUTHORIZE_RATE_LIMIT": ("oauth.authorize",),
    "TOKEN_RATE_LIMIT": ("oauth.token", "oauth.revoke", "oauth.introspect"),
    "REGISTRATION_RATE_LIMIT": ("oauth.register",),
}


def init_app(app: Flask) -> None:
    """Build this app's limiter (counters must not leak between apps) and wrap the endpoints."""
    storage = app.config["REDIS_URL"] or "memory://"
    # swallow_errors: a Redis outage lifts the limits instead of failing every request.
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=storage, swallow_errors=True, in_memory_fallback_enabled=True
    )
    for setting, endpoints in LIMITS.items():
        for endpoint in endpoints:
            if endpoint in app.view_functions:
                app.view_functions[endpoint] = limiter.limit(_setting(setting))(app.view_functions[endpoint])
    # /mcp has its own, cheaper counter (app.mcp.throttle): keep this one off its path.
    limiter.request_filter(lambda: request.path == app.config["MCP_PATH"])
    app.extensions["rate_limiter"] = limiter


def retry_after() -> int:
    """Seconds until the limit that refused this request resets (for Retry-After)."""
    if "retry_after" in g:  # set by the /mcp counter (app.mcp.throttle)
        return g.retry_after
    limit = current_app.extensions["rate_limiter"].current_limit
    return max(1, int(limit.reset_at - time.time())) if limit else 60


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]
