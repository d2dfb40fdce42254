"""The /mcp rate limit: fixed windows per credential, cheap enough for every tool call.

Agents call tools in tight loops, so this is a counter, not a framework: in the
process's memory, or (with REDIS_URL) one pipelined INCR/EXPIRE in Redis so every
worker and instance shares the count. A Redis outage lifts the limit rather than
failing calls.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, Request, current_app, g
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.exceptions import TooManyRequests

if TYPE_CHECKING:
    import redis


class WindowCounter:
    def __init__(self, amount: int, seconds: int, client: redis.Redis | None) -> None:
        self.amount, self.seconds, self.client = amount, seconds, client
        self.counts: dict[tuple[str, int], int] = {}
        self.lock = threading.Lock()

    def hit(self, key: str) -> tuple[bool, int]:
        """Count one request for `key`; return (allowed, seconds until the window resets)."""
        now = time.time()
        window = int(now // self.seconds)
        reset = int((window + 1) * self.seconds - now) + 1
        count = self._hit_redis(key, window) if self.client else self._hit_memory(key, window)
        return count is None or count <= self.amount, reset

    def _hit_memory(self, key: str, window: int) -> int:
        with self.lock:
            if len(self.counts) > 100_000:  # forget past windows now and then
                self.counts = {k: v for k, v in self.counts.items() if k[1] == window}
            count = self.counts.get((key, window), 0) + 1
            self.counts[(key, window)] = count
            return count

    def _hit_redis(self, key: str, window: int) -> int | None:
        import redis  # loaded already, with the client (servers without Redis never import it)

        name = f"mcp-limit:{key}:{window}"
        try:
            count, _ = self.client.pipeline().incr(name).expire(name, self.seconds * 2).execute()
            return int(count)
        except redis.RedisError:
            return None


def init_app(app: Flask) -> None:
    limit = parse(app.config["MCP_RATE_LIMIT"])
    seconds = limit.get_expiry()
    app.extensions["mcp_throttle"] = WindowCounter(limit.amount, seconds, app.extensions.get("redis"))


def check(req: Request) -> None:
    """Raise 429 (with the reset time in g.retry_after) when this credential is over its limit."""
    authorization = req.headers.get("Authorization")
    key = hashlib.sha256(authorization.encode()).hexdigest()[:32] if authorization else get_remote_address()
    allowed, reset = current_app.extensions["mcp_throttle"].hit(key)
    if not allowed:
        g.retry_after = reset
        raise TooManyRequests(f"more than {current_app.config['MCP_RATE_LIMIT']}")
