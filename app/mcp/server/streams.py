"""Open event streams: how many this process and each caller may hold, their keep-alive, their end on shutdown.

Under gunicorn's gevent worker (the default, see gunicorn.conf.py) an open stream costs a
greenlet and its buffers, not a thread, so one instance holds hundreds. Caps answer instead
of letting streams pile up:

- MCP_MAX_STREAMS per worker process, counted here;
- MCP_MAX_STREAMS_PER_CALLER per caller (the principal's subject) across every worker and
  instance: leases in the shared store, renewed at each keep-alive, so the streams of a
  worker that died are freed within a few keep-alives.

Over a cap a call is refused with 429 and Retry-After; while the process shuts down, 503.
On SIGTERM gunicorn.conf.py calls `drain`: every open stream ends at once with an error
for its request saying to send it again, and its call is cancelled (2026-07-28 has no
resumable streams: a client re-issues a request whose stream broke).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from app import kv
from app.auth.principal import Principal
from app.extensions import this_app
from app.mcp.errors import INTERNAL_ERROR, INVALID_REQUEST, ProtocolError
from app.mcp.server.channel import Channel

log = logging.getLogger(__name__)

#: Seconds a refused client is told to wait: open streams end at their own pace.
RETRY_AFTER = 5
#: What a stream ended by a shutdown says, as the error answering its request.
RESTARTING = ProtocolError(INTERNAL_ERROR, "The server is restarting: send the request again.")


class OpenStreams:
    """The open streams of one app in this process, and whether it is shutting down."""

    def __init__(self) -> None:
        self.channels: set[Channel] = set()
        self.draining = False

    def drain(self) -> None:
        """Refuse new streams; end every open one and cancel its call."""
        self.draining = True
        for channel in list(self.channels):
            channel.outbox.put(("drain", None))
            channel.cancel_event.set()


#: Every app's open streams in this process, for `drain` (a worker serves one app; tests make many).
_everywhere: weakref.WeakSet[OpenStreams] = weakref.WeakSet()


def init_app(app: Flask) -> None:
    app.extensions["mcp_streams"] = registry = OpenStreams()
    _everywhere.add(registry)


#: What else ends when the process shuts down (an extension's background work: running tasks).
_drain_hooks: list[Callable[[], None]] = []


def on_drain(hook: Callable[[], None]) -> None:
    """Call `hook` too when the process shuts down (once, however many apps register it)."""
    if hook not in _drain_hooks:
        _drain_hooks.append(hook)


def drain() -> None:
    """The process is shutting down (SIGTERM): end every open stream of every app it serves, and what else
    registered with `on_drain`."""
    for registry in list(_everywhere):
        registry.drain()
    for hook in _drain_hooks:
        try:
            hook()
        except Exception:
            log.exception("a shutdown hook failed")


@dataclass(eq=False)
class Lease:
    """One open stream: its channel, its caller's lease in the shared store, and when to renew that."""

    registry: OpenStreams
    channel: Channel
    group: str | None
    member: str
    ttl: int
    keepalive: int
    renew_at: float
    app: Flask  # keep and release run after the request, where the database store needs an app context


def admit(channel: Channel, principal: Principal) -> Lease:
    """Count a new open stream, or raise the refusal (429 over a cap, 503 while shutting down)."""
    registry: OpenStreams = current_app.extensions["mcp_streams"]
    if registry.draining:
        raise refusal(503, "Service Unavailable: the server is restarting")
    config = current_app.config
    if len(registry.channels) >= config["MCP_MAX_STREAMS"]:
        raise refusal(429, f"Too Many Requests: this server holds {config['MCP_MAX_STREAMS']} open streams")
    keepalive = config["MCP_KEEPALIVE_SECONDS"]
    app = this_app()
    lease = Lease(registry, channel, _group(principal), secrets.token_hex(8), 4 * keepalive, keepalive, 0.0, app)
    if not _claim(lease, config["MCP_MAX_STREAMS_PER_CALLER"]):
        limit = config["MCP_MAX_STREAMS_PER_CALLER"]
        raise refusal(429, f"Too Many Requests: more than {limit} open streams for this caller")
    lease.renew_at = time.monotonic() + keepalive
    registry.channels.add(channel)
    return lease


def keep(lease: Lease) -> None:
    """Renew the caller's lease when it is due (called at each keep-alive or message)."""
    if lease.group is None or time.monotonic() < lease.renew_at:
        return
    lease.renew_at = time.monotonic() + lease.keepalive
    _shared(lease, "renew", lambda store: store.renew(lease.group, lease.member, lease.ttl))


def release(lease: Lease) -> None:
    """The stream ended: uncount it (idempotent)."""
    if lease.channel not in lease.registry.channels:
        return
    lease.registry.channels.discard(lease.channel)
    if lease.group is not None:
        _shared(lease, "release", lambda store: store.release(lease.group, lease.member))


def open_count(app: Flask) -> int:
    return len(app.extensions["mcp_streams"].channels)


def _group(principal: Principal) -> str:
    return "streams:" + hashlib.sha256(principal.subject.encode()).hexdigest()[:32]


def _claim(lease: Lease, limit: int) -> bool:
    """Take a place among the caller's streams; when the store fails, only the per-process cap holds."""
    claimed = _shared(lease, "claim", lambda store: store.claim(lease.group, lease.member, limit, lease.ttl))
    if claimed is None:
        lease.group = None  # nothing to renew or release
    return claimed is not False


def _shared(lease: Lease, action: str, operation):
    """Run `operation` on the shared store; None (and a warning) when it fails."""
    try:
        with lease.app.app_context():
            return operation(kv.store())
    except Exception as error:  # Redis or the database: a stream never fails for its bookkeeping
        log.warning("open stream %s in the shared store failed: %s", action, error)
        return None


def refusal(status: int, message: str) -> ProtocolError:
    """An HTTP refusal a client retries after RETRY_AFTER seconds (429 over a cap, 503 while shutting down)."""
    return ProtocolError(INVALID_REQUEST, message, status=status, headers={"Retry-After": str(RETRY_AFTER)})
