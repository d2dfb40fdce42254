"""A small shared key-value store with expiry: Redis when configured, else the database.

For short-lived state that every worker of every instance must see: legacy MCP
sessions, a client's answer to a question a tool asked, cancellations. Values are
JSON objects. Beside keys it keeps leases: members of a named group, each expiring on
its own, of which a group holds at most so many (the open event streams of a caller);
locks, which one worker of all holds at a time (a refresh of a provider token); and marks,
set once (an assertion's jti, so that no worker takes it twice).
The leases of one group are all taken for the same number of seconds.

Every operation is a short transaction of its own: a call that waits for minutes while
it polls the store holds no database connection in between.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import DateTime, String, Text, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import aware, utcnow
from app.extensions import db


class Entry(db.Model):
    __tablename__ = "kv_entries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class DatabaseStore:
    """Rows in `kv_entries`; an expired row reads as absent and is purged on writes."""

    def get(self, key: str) -> dict[str, Any] | None:
        with db.engine.connect() as connection:
            value = connection.scalar(select(Entry.value).where(Entry.key == key, Entry.expires_at > utcnow()))
        return json.loads(value) if value is not None else None

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        with _writing():
            db.session.execute(delete(Entry).where(Entry.expires_at <= utcnow()))
            db.session.merge(Entry(key=key, value=json.dumps(value), expires_at=utcnow() + timedelta(seconds=ttl)))

    def pop(self, key: str) -> dict[str, Any] | None:
        """Remove and return `key`, atomically: of two workers, only one gets the value."""
        with _writing():
            deleted = delete(Entry).where(Entry.key == key).returning(Entry.value, Entry.expires_at)
            row = db.session.execute(deleted).first()
        return json.loads(row.value) if row and aware(row.expires_at) > utcnow() else None

    def delete(self, key: str) -> None:
        with _writing():
            db.session.execute(delete(Entry).where(Entry.key == key))

    def count(self, prefix: str) -> int:
        """How many live keys start with `prefix` (for a gauge, at a scrape)."""
        with db.engine.connect() as connection:
            alive = (Entry.key.startswith(prefix, autoescape=True), Entry.expires_at > utcnow())
            return connection.scalar(select(func.count()).select_from(Entry).where(*alive)) or 0

    def exists(self, key: str) -> bool:
        with db.engine.connect() as connection:
            found = connection.scalar(select(Entry.key).where(Entry.key == key, Entry.expires_at > utcnow()))
        return found is not None

    def mark(self, key: str, ttl: int) -> bool:
        """Set `key` for `ttl` seconds unless it is set; False if it was (every worker and instance sees it)."""
        try:
            with _writing():
                db.session.execute(delete(Entry).where(Entry.expires_at <= utcnow()))
                db.session.add(Entry(key=key, value="{}", expires_at=utcnow() + timedelta(seconds=ttl)))
        except IntegrityError:
            return False
        return True

    def lock(self, key: str, ttl: int) -> bool:
        """Take the lock `key` for `ttl` seconds; False if another holds it."""
        return self.mark(f"lock:{key}", ttl)

    def unlock(self, key: str) -> None:
        self.delete(f"lock:{key}")

    def claim(self, group: str, member: str, limit: int, ttl: int) -> bool:
        """Add `member` to `group` for `ttl` seconds unless the group holds `limit` live members already.

        Two claims at the same moment may both pass (the count and the insert are two statements):
        with the database as the store, a group may hold one or two more than its limit for a moment.
        """
        with db.engine.connect() as connection:
            held = connection.scalar(
                select(func.count()).where(Entry.key.startswith(f"lease:{group}/"), Entry.expires_at > utcnow())
            )
        if held >= limit:
            return False
        self.set(f"lease:{group}/{member}", {}, ttl)
        return True

    def renew(self, group: str, member: str, ttl: int) -> None:
        self.set(f"lease:{group}/{member}", {}, ttl)

    def release(self, group: str, member: str) -> None:
        self.delete(f"lease:{group}/{member}")


@contextmanager
def _writing() -> Iterator[None]:
    """Commit what the block wrote, or roll it back and raise: a session left in a failed transaction would
    refuse every later use (a task's thread keeps one for its whole run)."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


#: Drop a group's expired leases, then add the member if fewer than the limit are left (atomic in Redis).
CLAIM_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisStore:
    """Keys under `kv:` in the app's Redis, expired by Redis itself."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(f"kv:{key}")
        return json.loads(raw) if raw else None

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self.client.set(f"kv:{key}", json.dumps(value), ex=ttl)

    def pop(self, key: str) -> dict[str, Any] | None:
        raw = self.client.getdel(f"kv:{key}")
        return json.loads(raw) if raw else None

    def delete(self, key: str) -> None:
        self.client.delete(f"kv:{key}")

    def count(self, prefix: str) -> int:
        """How many keys start with `prefix` (for a gauge, at a scrape: SCAN, never KEYS)."""
        return sum(1 for _ in self.client.scan_iter(match=f"kv:{_glob_escaped(prefix)}*", count=1000))

    def exists(self, key: str) -> bool:
        return bool(self.client.exists(f"kv:{key}"))

    def mark(self, key: str, ttl: int) -> bool:
        """Set `key` for `ttl` seconds unless it is set; False if it was."""
        return bool(self.client.set(f"kv:{key}", "1", nx=True, ex=ttl))

    def lock(self, key: str, ttl: int) -> bool:
        """Take the lock `key` for `ttl` seconds; False if another holds it."""
        return self.mark(f"lock:{key}", ttl)

    def unlock(self, key: str) -> None:
        self.client.delete(f"kv:lock:{key}")

    def claim(self, group: str, member: str, limit: int, ttl: int) -> bool:
        """Add `member` to `group` (a sorted set scored by expiry) unless it holds `limit` live members."""
        now = time.time()
        keys, args = [f"kv:lease:{group}"], [now, limit, now + ttl, member, ttl]
        return bool(self.client.eval(CLAIM_SCRIPT, 1, *keys, *args))

    def renew(self, group: str, member: str, ttl: int) -> None:
        self.client.pipeline().zadd(f"kv:lease:{group}", {member: time.time() + ttl}, xx=True).expire(
            f"kv:lease:{group}", ttl
        ).execute()

    def release(self, group: str, member: str) -> None:
        self.client.zrem(f"kv:lease:{group}", member)


def init_app(app: Flask) -> None:
    redis_client = app.extensions.get("redis")
    app.extensions["kv"] = RedisStore(redis_client) if redis_client else DatabaseStore()


def store() -> DatabaseStore | RedisStore:
    """Return the current app's store."""
    return current_app.extensions["kv"]


def _glob_escaped(text: str) -> str:
    """`text` with Redis glob characters escaped, to match itself."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)
