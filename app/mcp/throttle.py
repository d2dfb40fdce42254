"""The /mcp rate limits: fixed windows per credential, cheap enough for every tool call,
and per client address for invalid credentials.

Agents call tools in tight loops, so this is a counter, not a framework: in the
process's memory, or (with REDIS_URL) one pipelined INCR/EXPIRE in Redis so every
worker and instance shares the count. A Redis outage lifts the limit rather than
failing calls.

A random bearer value is a credential of its own, so the first limit never holds it
back, and it costs a lookup. So invalid credentials are also counted per address
(MCP_INVALID_TOKEN_RATE_LIMIT), and an address over that limit is refused before
any token it sends that is not already known is looked up.
"""

from __future__ import annotations

import hashlib
import ipaddress
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
        window, reset = self._window()
        count = self._hit_redis(key, window) if self.client else self._hit_memory(key, window)
        return count is None or count <= self.amount, reset

    def count(self, key: str) -> tuple[int, int]:
        """Return (requests counted for `key` in this window, seconds until it resets), counting none."""
        window, reset = self._window()
        if self.client is None:
            return self.counts.get((key, window), 0), reset
        import redis

        try:
            return int(self.client.get(f"mcp-limit:{key}:{window}") or 0), reset
        except redis.RedisError:
            return 0, reset

    def _window(self) -> tuple[int, int]:
        """The current window's number, and the seconds until the next one."""
        now = time.time()
        window = int(now // self.seconds)
        return window, int((window + 1) * self.seconds - now) + 1

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
    for extension, setting in (("mcp_throttle", "MCP_RATE_LIMIT"), ("mcp_invalid", "MCP_INVALID_TOKEN_RATE_LIMIT")):
        limit = parse(app.config[setting])
        app.extensions[extension] = WindowCounter(limit.amount, limit.get_expiry(), app.extensions.get("redis"))


def check(req: Request) -> None:
    """Raise 429 (with the reset time in g.retry_after) when this credential is over its limit."""
    authorization = req.headers.get("Authorization")
    key = hashlib.sha256(authorization.encode()).hexdigest()[:32] if authorization else get_remote_address()
    allowed, reset = current_app.extensions["mcp_throttle"].hit(key)
    if not allowed:
        _refuse(reset, "MCP_RATE_LIMIT")


def check_address() -> None:
    """Raise 429 when this address has sent more invalid credentials than MCP_INVALID_TOKEN_RATE_LIMIT allows."""
    counter: WindowCounter = current_app.extensions["mcp_invalid"]
    count, reset = counter.count(_address_key())
    if count >= counter.amount:
        _refuse(reset, "MCP_INVALID_TOKEN_RATE_LIMIT")


def count_invalid() -> None:
    """Count an invalid credential against this address."""
    current_app.extensions["mcp_invalid"].hit(_address_key())


def _address_key() -> str:
    """The client's address; for IPv6 its /64, which one host usually has all of."""
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"invalid:{address}"
    return f"invalid:{ipaddress.ip_network((ip, 64), strict=False) if ip.version == 6 else ip}"


def _refuse(reset: int, setting: str) -> None:
    g.retry_after = reset
    raise TooManyRequests(f"more than {current_app.config[setting]}")
