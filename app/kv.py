"""A small shared key-value store with expiry: Redis when configured, else the database.

For short-lived state that every worker of every instance must see: legacy MCP
sessions, a client's answer to a question a tool asked, cancellations. Values are
JSON objects.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import DateTime, String, Text, delete, select
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
        entry = db.session.get(Entry, key)
        if entry is None or aware(entry.expires_at) <= utcnow():
            return None
        return json.loads(entry.value)

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        db.session.execute(delete(Entry).where(Entry.expires_at <= utcnow()))
        db.session.merge(Entry(key=key, value=json.dumps(value), expires_at=utcnow() + timedelta(seconds=ttl)))
        db.session.commit()

    def pop(self, key: str) -> dict[str, Any] | None:
        """Remove and return `key`, atomically: of two workers, only one gets the value."""
        row = db.session.execute(delete(Entry).where(Entry.key == key).returning(Entry.value, Entry.expires_at)).first()
        db.session.commit()
        return json.loads(row.value) if row and aware(row.expires_at) > utcnow() else None

    def delete(self, key: str) -> None:
        db.session.execute(delete(Entry).where(Entry.key == key))
        db.session.commit()

    def exists(self, key: str) -> bool:
        found = db.session.scalar(select(Entry.key).where(Entry.key == key, Entry.expires_at > utcnow()))
        return found is not None


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

    def exists(self, key: str) -> bool:
        return bool(self.client.exists(f"kv:{key}"))


def init_app(app: Flask) -> None:
    redis_client = app.extensions.get("redis")
    app.extensions["kv"] = RedisStore(redis_client) if redis_client else DatabaseStore()


def store() -> DatabaseStore | RedisStore:
    """Return the current app's store."""
    return current_app.extensions["kv"]
