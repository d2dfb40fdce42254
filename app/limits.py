"""Rate limits: fixed windows per client address on sign-in and the OAuth endpoints, and
(through app.mcp.server.throttle) per credential on /mcp.

Agents call /mcp in tight loops, so this is a counter, not a framework: in the process's
memory, or (with REDIS_URL) one pipelined INCR/EXPIRE in Redis so that every worker and
instance shares the count. While Redis is down each process counts in its own memory (and
tries Redis again after a few seconds), so an outage neither fails requests nor lifts limits.
A refusal is `429` with `Retry-After`, shaped as each surface speaks: an OAuth error on
/oauth/, a JSON-RPC error on /mcp, the error page or JSON elsewhere.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, g, request
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from app import metrics
from app.extensions import this_app
from config.checks import RATE_LIMITS

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

#: Seconds to count in memory after Redis failed, before trying it again.
REDIS_BACK_OFF = 5

#: Which setting limits which pages, per client address: each page (its views, one per method) has a budget.
PAGES = {
    "SIGN_IN_RATE_LIMIT": (("auth.login_with",), ("auth.callback",), ("auth.dev_login", "auth.dev_sign_in")),
    "AUTHORIZE_RATE_LIMIT": (("oauth.authorize", "oauth.decide"),),
    "TOKEN_RATE_LIMIT": (("oauth.token",), ("oauth.revoke",), ("oauth.introspect",)),
    "REGISTRATION_RATE_LIMIT": (("oauth.register",),),
}


class Window:
    """One fixed window (`amount` per `seconds`), counted per key: in Redis when there is one and it
    answers, else in this process's memory."""

    def __init__(self, name: str, amount: int, seconds: int, client: redis.Redis | None) -> None:
        self.name, self.amount, self.seconds, self.client = name, amount, seconds, client
        self.counts: dict[tuple[str, int], int] = {}
        self.lock = threading.Lock()
        self.redis_again_at = 0.0  # monotonic time before which Redis, having failed, is not asked

    def hit(self, key: str) -> tuple[bool, int]:
        """Count one request for `key`; return (allowed, seconds until the window resets)."""
        window, reset = self._now()
        count = self._redis(key, window, self._incremented)
        if count is None:
            count = self._hit_memory(key, window)
        return count <= self.amount, reset

    def _incremented(self, name: str) -> int:
        """INCR and EXPIRE in one round trip. Not a transaction: MULTI and EXEC would cost two commands more, and
        their replies, for an atomicity a counter does not need (every count sets the expiry again)."""
        return self.client.pipeline(transaction=False).incr(name).expire(name, self.seconds * 2).execute()[0]

    def count(self, key: str) -> tuple[int, int]:
        """Return (requests counted for `key` in this window, seconds until it resets), counting none."""
        window, reset = self._now()
        count = self._redis(key, window, lambda name: self.client.get(name) or 0)
        return (self.counts.get((key, window), 0) if count is None else count), reset

    def _now(self) -> tuple[int, int]:
        """The current window's number, and the seconds until the next one."""
        now = time.time()
        window = int(now // self.seconds)
        return window, int((window + 1) * self.seconds - now) + 1

    def _redis(self, key: str, window: int, operation: Callable[[str], Any]) -> int | None:
        """Run `operation` on the window's Redis key; None when there is no Redis or it does not answer."""
        if self.client is None or time.monotonic() < self.redis_again_at:
            return None
        import redis  # loaded already, with the client (servers without Redis never import it)

        try:
            return int(operation(f"limit:{self.name}:{self.amount}/{self.seconds}:{key}:{window}"))
        except redis.RedisError as error:
            self.redis_again_at = time.monotonic() + REDIS_BACK_OFF
            log.warning(
                "rate limit %s counted in this process for %ss: Redis failed: %s", self.name, REDIS_BACK_OFF, error
            )
            return None

    def _hit_memory(self, key: str, window: int) -> int:
        with self.lock:
            if len(self.counts) > 100_000:  # forget past windows now and then
                self.counts = {k: v for k, v in self.counts.items() if k[1] == window}
            count = self.counts.get((key, window), 0) + 1
            self.counts[(key, window)] = count
            return count


class RateLimit:
    """A setting's limits: one or more windows (`30 per minute; 500 per hour`), all of which must allow."""

    def __init__(self, name: str, text: str, client: redis.Redis | None) -> None:
        self.windows = [Window(name, item.amount, item.get_expiry(), client) for item in parse_many(text)]

    def hit(self, key: str) -> int | None:
        """Count one request for `key`: None if allowed, else the seconds until it would be."""
        refused = None
        for window in self.windows:
            allowed, reset = window.hit(key)
            if not allowed:
                refused = reset if refused is None else max(refused, reset)
        return refused

    def reached(self, key: str) -> int | None:
        """Without counting: None if `key` may go on, else the seconds until it may."""
        full = []
        for window in self.windows:
            counted, reset = window.count(key)
            if counted >= window.amount:
                full.append(reset)
        return max(full) if full else None


def init_app(app: Flask) -> None:
    """Make this app's counters (they must not leak between apps), and limit the pages of PAGES."""
    client = app.extensions.get("redis")
    limits = {setting: RateLimit(setting, app.config[setting], client) for setting in RATE_LIMITS}
    app.extensions["rate_limits"] = limits
    for setting, pages in PAGES.items():
        for endpoints in pages:
            for endpoint in endpoints:
                if endpoint in app.view_functions:
                    app.view_functions[endpoint] = _limited(app.view_functions[endpoint], setting, endpoints[0])


def _limited(view: Callable[..., Any], setting: str, page: str) -> Callable[..., Any]:
    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        count(setting, f"{page}:{request.remote_addr}")
        return view(*args, **kwargs)

    return limited


def count(setting: str, key: str) -> None:
    """Count a request for `key` under `setting`; raise 429 (Retry-After in g.retry_after) when over it."""
    refuse_after(this_app().extensions["rate_limits"][setting].hit(key), setting)


def refuse_after(reset: int | None, setting: str) -> None:
    """Raise 429 for `setting` if `reset` (seconds until allowed again) is set."""
    if reset is not None:
        g.retry_after = reset
        metrics.count("rate_limited", route=request.url_rule.rule if request.url_rule is not None else "unmatched")
        raise TooManyRequests(f"more than {this_app().config[setting]}")


def retry_after() -> int:
    """Seconds until the limit that refused this request resets (for Retry-After)."""
    return g.get("retry_after", 60)
