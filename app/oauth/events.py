"""The connection doctor and the audit log: one record of who did what, with a reason in plain words.

The doctor's events are the steps of a client's way in (DOCTOR_STEPS): registration, an
authorization request, consent, a code exchange, a refresh, a call to /mcp. The audit log
is those and the rest: sign-ins, revocations, personal tokens made or revoked, removed
clients, and tool calls (who, which client, the tool, its outcome and duration; its
arguments only with AUDIT_ARGUMENT_BYTES, cut to that size), written in batches off the
request path (app.oauth.audit); the rest at once, here.

When a person's client fails to connect, they and the operator can see which step failed
and why: registration (dynamic, or a metadata document and why it could not be used), an
authorization request refused, consent given or denied, a code exchanged or not, a refresh
(done, expired, or a reuse that revoked the sign-in), the first call to /mcp, and /mcp
refusals of a known token (expired, revoked, for another server, missing a scope).

An event never holds a token, code, secret or verifier: only the client id, the person,
the step, whether it went through, and the reason. Bounded: housekeeping deletes events
older than CONNECTION_EVENT_DAYS, and a client keeps its newest PER_CLIENT doctor's steps.
Recording never fails the request it describes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, and_, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import aware, utcnow
from app.extensions import db

log = logging.getLogger(__name__)

#: The steps of a client's way in: what the connection doctor shows, and trims per client.
DOCTOR_STEPS = ("registration", "authorize", "consent", "token", "refresh", "mcp")
#: A tool call: its target is the tool, its reason the outcome.
TOOL = "tool"

#: Events kept per client (the newest).
PER_CLIENT = 200
#: Seconds during which a repeated refusal (same client, step and reason) is recorded once per process.
REPEAT_WINDOW = 60.0
_recent: dict[tuple[str | None, str, str], float] = {}
#: What a person can do about each failing step.
ADVICE = {
    "registration": "Check the redirect URIs and the metadata your client sends, then add the connector again.",
    "authorize": "Remove the connector in your client and add it again; if it fails the same way, tell its maker.",
    "consent": "Add the connector again and choose Allow.",
    "token": "Add the connector again in your client: its sign-in did not complete.",
    "refresh": "Sign in again from your client (remove the connector and add it again).",
    "mcp": "Sign in again from your client; if a scope is missing, allow it when asked.",
}


class ConnectionEvent(db.Model):
    __tablename__ = "connection_events"
    #: The doctor reads a client's or a person's steps among their tool calls; the audit log, a person's. Each
    #: index leads with its column, so client_id and user_id need none of their own.
    __table_args__ = (
        Index("ix_connection_events_client_step", "client_id", "step", "id"),
        Index("ix_connection_events_user_step", "user_id", "step", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    client_id: Mapped[str | None] = mapped_column(String(2048))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    #: What a step acted on (a tool's name), how long it took, and its arguments (AUDIT_ARGUMENT_BYTES).
    target: Mapped[str | None] = mapped_column(String(255))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Event:
    """An event as pages and the command show it."""

    at: datetime
    client_id: str | None
    user_id: int | None
    step: str
    ok: bool
    reason: str
    target: str | None = None
    duration_ms: int | None = None
    detail: str | None = None

    @property
    def advice(self) -> str | None:
        return None if self.ok else ADVICE.get(self.step)

    def as_dict(self) -> dict[str, object]:
        return {"at": self.at.isoformat(timespec="seconds"), "client_id": self.client_id, "user_id": self.user_id,
                "step": self.step, "ok": self.ok, "reason": self.reason, "target": self.target,
                "duration_ms": self.duration_ms, "detail": self.detail}  # fmt: skip


def record(step: str, ok: bool, reason: str, client_id: str | None = None, user_id: int | None = None) -> None:
    """Note one step of a client's way in (committed at once, with whatever the request had pending).

    A refusal repeated within REPEAT_WINDOW is noted once: a client retrying an expired token
    in a loop must not write a row per request.
    """
    if not ok and _repeated((client_id, step, reason)):
        return
    try:
        db.session.add(
            ConnectionEvent(client_id=client_id, user_id=user_id, step=step, ok=ok, reason=reason[:500], at=utcnow())
        )
        if client_id is not None and step in DOCTOR_STEPS:
            steps = select(ConnectionEvent.id).filter_by(client_id=client_id).where(_doctors)
            newest = steps.order_by(ConnectionEvent.id.desc()).limit(PER_CLIENT).scalar_subquery()
            db.session.execute(
                delete(ConnectionEvent)
                .filter_by(client_id=client_id)
                .where(_doctors, ConnectionEvent.id.not_in(newest))
            )
        db.session.commit()
    except Exception as error:  # the step happened whatever its record: never fail it for that
        db.session.rollback()
        log.warning("connection event not recorded: %s", error)


def of_user(user_id: int, client_ids: set[str], limit: int = 50) -> list[Event]:
    """The person's clients' steps, and the unattributed ones of their clients (a failed code exchange), newest
    first (the connection doctor)."""
    mine = ConnectionEvent.user_id == user_id
    theirs = and_(ConnectionEvent.user_id.is_(None), ConnectionEvent.client_id.in_(client_ids))
    return newest_first(select(ConnectionEvent).where(*_doctors_view(), or_(mine, theirs)), limit)


def _repeated(key: tuple[str | None, str, str]) -> bool:
    now = time.monotonic()
    if len(_recent) > 10_000:
        _recent.clear()
    if now - _recent.get(key, -REPEAT_WINDOW) < REPEAT_WINDOW:
        return True
    _recent[key] = now
    return False


def query(client_id: str | None = None, user_id: int | None = None, limit: int = 200) -> list[Event]:
    """The doctor's events for the operator: of a client, of a person, or all; newest first."""
    statement = select(ConnectionEvent).where(*_doctors_view())
    statement = statement.filter_by(client_id=client_id) if client_id else statement
    statement = statement.filter_by(user_id=user_id) if user_id is not None else statement
    return newest_first(statement, limit)


def newest_first(statement, limit: int) -> list[Event]:
    return list(map(as_event, db.session.scalars(statement.order_by(ConnectionEvent.id.desc()).limit(limit))))


def as_event(row: ConnectionEvent) -> Event:
    return Event(aware(row.at), row.client_id, row.user_id, row.step, row.ok, row.reason, row.target,
                 row.duration_ms, row.detail)  # fmt: skip


_doctors = ConnectionEvent.step.in_(DOCTOR_STEPS)


def _doctors_view() -> tuple[Any, ...]:
    """What the connection doctor shows: the steps of clients' ways in, of the last CONNECTION_EVENT_DAYS."""
    shown = timedelta(days=current_app.config["CONNECTION_EVENT_DAYS"])
    return _doctors, ConnectionEvent.at >= utcnow() - shown
