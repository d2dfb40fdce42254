"""Changes every listener hears, whichever worker or instance made them: list changes and resource updates.

A tool announces one through its Context (`ctx.list_changed("tools")`,
`ctx.resource_updated(uri)`), and `publish` hands it to every process: over Redis pub/sub
with REDIS_URL (within milliseconds, app.broadcast), else through the `mcp_changes` table,
which a process with listeners reads every POLL_SECONDS. In each process a `Hub` passes
each change to the listeners there (the `subscriptions/listen` streams), each through a
queue of its own; a listener too slow to keep up loses changes rather than memory.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import DateTime, String, Text, delete, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from app import broadcast
from app.clock import utcnow
from app.extensions import db

CHANNEL = "mcp:changes"
#: The lists whose changes every listener may hear, and the kind that names what changed (a resource's URI);
#: an extension adds kinds of its own (`add_kind`: a task whose status changed, named by its id).
LISTS = ("tools", "prompts", "resources")
UPDATED = "updated"
#: Seconds between reads of the table (without Redis), and how long its rows are kept.
POLL_SECONDS = 0.25
KEEP_SECONDS = 60
#: Changes one listener may have waiting before newer ones are dropped for it.
BACKLOG = 100
#: Ids the poller reads back behind the highest it saw, and how many delivered ids it remembers to skip.
READ_BACK, RECENT = 50, 1000
#: Seconds a first listener waits for this process to hear the Redis channel.
SUBSCRIBE_WAIT = 2.0


class ChangeRow(db.Model):
    __tablename__ = "mcp_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    uri: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class Change:
    """A list that changed ("tools", "prompts", "resources"), or what changed, named: a resource that was updated
    ("updated", its URI), or an extension's thing (a task whose status changed: "task", its id in `uri`)."""

    kind: str
    uri: str | None = None

    @property
    def method(self) -> str:
        """The notification that tells a client of a list change or a resource update."""
        return "notifications/resources/updated" if self.kind == UPDATED else f"notifications/{self.kind}/list_changed"


def add_kind(app: Flask, kind: str) -> None:
    """Carry changes of an extension's `kind`, each naming what changed (its listen source makes the notification)."""
    app.extensions.setdefault("mcp_change_kinds", {UPDATED}).add(kind)


def known(app: Flask, kind: str, uri: str | None) -> bool:
    """Whether a change is one this app makes: a list's, or one naming what changed."""
    named = app.extensions.get("mcp_change_kinds", {UPDATED})
    return (kind in LISTS and uri is None) or (kind in named and isinstance(uri, str) and bool(uri))


def publish(change: Change) -> None:
    """Tell every listener of every process. The table is written on a connection of its own: the caller's
    session, and whatever it has pending, are left alone."""
    if not known(current_app, change.kind, change.uri):
        raise ValueError("a change is a list (tools, prompts, resources) or names what changed (a resource's URI)")
    client = current_app.extensions.get("redis")
    if client is not None:
        broadcast.publish(client, CHANNEL, json.dumps(asdict(change)))
        return
    with db.engine.begin() as connection:
        connection.execute(insert(ChangeRow).values(kind=change.kind, uri=change.uri, at=utcnow()))
        connection.execute(delete(ChangeRow).where(ChangeRow.at < utcnow() - timedelta(seconds=KEEP_SECONDS)))


class Hub:
    """The listeners of one app in this process, and what brings them the changes."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.listeners: set[queue.Queue[Change]] = set()
        self.lock = threading.Lock()
        client = app.extensions.get("redis")
        self.subscriber = (
            broadcast.Subscriber(
                client, CHANNEL, self._heard, self._subscribed_again, outage="listeners miss changes meanwhile"
            )
            if client is not None
            else None
        )
        self.subscribed_before = False
        self.poller_pid: int | None = None
        self.poller: threading.Thread | None = None
        self.stopped = threading.Event()
        self.last_id = 0
        #: Ids delivered lately: the poller reads back a little (a row can commit after one with a higher id).
        self.recent: deque[int] = deque(maxlen=RECENT)

    def join(self) -> queue.Queue[Change]:
        """A new listener's queue; the changes published from now on arrive in it (with Redis, once this process
        hears the channel: up to SUBSCRIBE_WAIT seconds are spent waiting for that, the first time)."""
        inbox: queue.Queue[Change] = queue.Queue(BACKLOG)
        try:
            if self.subscriber is None:
                self._ensure_polling()  # its starting point is read before the listener is counted
            with self.lock:
                self.listeners.add(inbox)
            if self.subscriber is not None:
                self.subscriber.ensure_running()
                self.subscriber.hearing.wait(SUBSCRIBE_WAIT)
        except Exception:
            self.leave(inbox)
            raise
        return inbox

    def leave(self, inbox: queue.Queue[Change]) -> None:
        with self.lock:
            self.listeners.discard(inbox)

    def deliver(self, change: Change) -> None:
        with self.lock:
            listeners = list(self.listeners)
        for inbox in listeners:
            try:
                inbox.put_nowait(change)
            except queue.Full:
                pass  # a listener that stopped reading loses changes, not the server's memory

    def stop(self) -> None:
        """Stop hearing changes (an app being thrown away: tests make many)."""
        self.stopped.set()
        if self.subscriber is not None:
            self.subscriber.stop()
        if self.poller is not None:
            self.poller.join(POLL_SECONDS * 8)

    def _heard(self, data: bytes) -> None:
        try:
            found = json.loads(data)
            kind, uri = found["kind"], found.get("uri")
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(kind, str) and known(self.app, kind, uri):
            self.deliver(Change(kind, uri))

    def _subscribed_again(self) -> None:
        """Back after a Redis outage: changes were missed, so every list may have changed (listeners list again)."""
        if self.subscribed_before:
            for kind in LISTS:
                self.deliver(Change(kind))
        self.subscribed_before = True

    def _ensure_polling(self) -> None:
        with self.lock:
            if self.poller_pid == os.getpid() and self.poller is not None and self.poller.is_alive():
                return
        with self.app.app_context():
            last_id = db.session.scalar(select(func.max(ChangeRow.id))) or 0
            db.session.remove()
        with self.lock:
            if self.poller_pid == os.getpid() and self.poller is not None and self.poller.is_alive():
                return
            self.last_id = last_id
            self.poller = threading.Thread(target=self._poll, name="mcp-changes", daemon=True)
            self.poller.start()
            self.poller_pid = os.getpid()

    def _poll(self) -> None:
        """Read the new rows while this process has listeners; then stop (the next listener starts again)."""
        while not self.stopped.wait(POLL_SECONDS):
            with self.lock:
                if not self.listeners:
                    self.poller = None
                    return
            try:
                with self.app.app_context():
                    rows = db.session.execute(
                        select(ChangeRow.id, ChangeRow.kind, ChangeRow.uri)
                        .where(ChangeRow.id > self.last_id - READ_BACK)
                        .order_by(ChangeRow.id)
                    ).all()
                    db.session.remove()
            except Exception:  # the database is away: try again at the next poll
                self.app.logger.warning("mcp changes: the table could not be read", exc_info=True)
                continue
            for row_id, kind, uri in rows:
                if row_id in self.recent or row_id <= self.last_id - READ_BACK:
                    continue
                self.recent.append(row_id)
                self.last_id = max(self.last_id, row_id)
                self.deliver(Change(kind, uri))


def init_app(app: Flask) -> None:
    app.extensions["mcp_changes"] = Hub(app)


def hub() -> Hub:
    return current_app.extensions["mcp_changes"]
