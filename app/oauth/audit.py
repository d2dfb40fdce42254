"""The audit log's side of app.oauth.events: a person's activity, the export, and tool calls written in batches.

A tool call is noted on the request path (a tuple in a list: the row is made off it) and
written with the others of its process by a thread of its own, every FLUSH_SECONDS; the rest of the audit log (sign-ins,
consents, tokens, revocations, personal tokens, removed clients) is written at once by
`events.record`. Both are rows of the same `connection_events` table.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_login import user_logged_in
from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError

from app.clock import aware, utcnow
from app.extensions import db, this_app
from app.oauth import events
from app.oauth.events import TOOL, ConnectionEvent, Event, as_event, newest_first

log = logging.getLogger(__name__)

#: Tool calls that may wait for the database; past it, the newest are dropped (and counted in the log).
MAX_WAITING = 100_000
#: Seconds a tool call waits, at most, to be written with others (short: under gevent a long batch's write holds
#: the worker's other requests back).
FLUSH_SECONDS = 0.25
#: Rows written in one transaction. Under gevent a write holds the worker's other requests back (SQLite does not
#: yield), so a batch of a busy quarter second (hundreds of rows, ~10 ms) goes in slices, with a pause between.
SLICE_ROWS = 100


audit_cli = AppGroup("audit", help="The audit log: tool calls and security events.")


def init_app(app: Flask) -> None:
    """Note each sign-in; add `flask audit export`."""
    user_logged_in.connect(_signed_in, app, weak=False)
    app.cli.add_command(audit_cli)


@audit_cli.command("export")
@click.option("--since", "moment", type=click.DateTime(), required=True, help="From this day or time (UTC) on.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, for shipping elsewhere.")
def export(moment: datetime, as_json: bool) -> None:
    """Every event of the audit log since a moment, oldest first: one line each, its fields tab-separated (a control
    character or backslash within a field written as \\t, \\n, \\x1b, \\\\...), or JSON."""
    for event in since(aware(moment)):
        if as_json:
            click.echo(json.dumps(event.as_dict(), ensure_ascii=False))
        else:
            what = f"{event.step} {event.target or ''}".strip()
            fields = (event.at.isoformat(timespec="seconds"), event.user_id or "-", event.client_id or "-", what,
                      "ok" if event.ok else "failed", event.reason)  # fmt: skip
            click.echo("\t".join(str(field).translate(_ESCAPED) for field in fields))


#: What a field of the plain export must not hold raw: a client-chosen name must not make fields or lines of its own,
#: nor reach a terminal as an escape sequence. Control characters are written as Python writes them.
_ESCAPED = {code: repr(chr(code))[1:-1] for code in (*range(0x20), 0x7F)} | {ord("\\"): "\\\\"}


def _signed_in(_sender: Flask, user: Any, **_extra: Any) -> None:
    events.record("sign_in", True, f"signed in with {user.provider}", None, user.id)


def activity(user_id: int, limit: int = 200) -> list[Event]:
    """What the audit log holds of the person from the last AUDIT_DAYS, newest first (their activity page; the
    connection doctor may keep its steps longer)."""
    kept = utcnow() - timedelta(days=current_app.config["AUDIT_DAYS"])
    return newest_first(select(ConnectionEvent).filter_by(user_id=user_id).where(ConnectionEvent.at >= kept), limit)


def since(moment: datetime) -> Iterator[Event]:
    """Every event from `moment` on, oldest first, read in pages (`flask audit export`)."""
    last = 0
    while True:
        page = db.session.scalars(
            select(ConnectionEvent).where(ConnectionEvent.at >= moment, ConnectionEvent.id > last)
            .order_by(ConnectionEvent.id).limit(1000)
        ).all()  # fmt: skip
        if not page:
            return
        yield from map(as_event, page)
        last = page[-1].id


def record_tool_call(
    user_id: int | None, client_id: str | None, tool: str, outcome: str, duration_ms: int | None, arguments: str | None
) -> None:
    """Note a tool call, to be written with others within FLUSH_SECONDS (never on the request path)."""
    call = (time.time(), user_id, client_id, tool, outcome, duration_ms, arguments)
    _batches.add(this_app(), call)


#: A tool call as noted: when (epoch seconds), who, which client, the tool, how it ended, how long, its arguments.
Noted = tuple[float, int | None, str | None, str, str, int | None, str | None]


def _row(call: Noted) -> dict[str, Any]:
    """The `connection_events` row of a noted tool call (made by the writer, off the request path)."""
    at, user_id, client_id, tool, outcome, duration_ms, arguments = call
    return {"at": datetime.fromtimestamp(at, UTC), "client_id": _clean(client_id, 2048), "user_id": user_id,
            "step": TOOL, "ok": outcome == "ok", "reason": outcome, "target": _clean(tool, 255),
            "duration_ms": duration_ms, "detail": _clean(arguments, None)}  # fmt: skip


def _clean(text: str | None, limit: int | None) -> str | None:
    """A client-chosen text as the database keeps it: no NUL (PostgreSQL refuses it), cut to the column."""
    return text if text is None else text.replace("\x00", "\ufffd")[:limit]


def waiting() -> int:
    """Tool calls of this process not written yet (the operator page shows it)."""
    return len(_batches.waiting)


def flush() -> None:
    """Write the tool calls noted so far now (the batch writer does it every FLUSH_SECONDS)."""
    _batches.write()


class _Batches:
    """Tool calls waiting to be written, by app; a thread of each process writes them every FLUSH_SECONDS."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Flask, Noted]] = []
        self.lock = threading.Lock()
        #: Held while rows are written: `flush` returns once what was taken before it is written too.
        self.writing = threading.Lock()
        self.writer_started = False
        self.dropped = 0
        # A forked worker has none of its parent's threads: it starts its own writer, with locks of its own (one
        # held at the fork would never be let go), and leaves its parent's calls to its parent.
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.lock, self.writing, self.writer_started = threading.Lock(), threading.Lock(), False
        self.waiting, self.dropped = [], 0

    def add(self, app: Flask, call: Noted) -> None:
        with self.lock:
            if len(self.waiting) >= MAX_WAITING:  # the database has been away a long while: the newest go
                self.dropped += 1
                return
            self.waiting.append((app, call))
            if not self.writer_started:  # the first in this process
                self.writer_started = True
                threading.Thread(target=self._run, name="audit-writer", daemon=True).start()

    def write(self) -> None:
        with self.writing:
            self._write()

    def _write(self) -> None:
        with self.lock:
            taken, self.waiting, dropped, self.dropped = self.waiting, [], self.dropped, 0
        if dropped:
            log.warning("%d tool calls not recorded in the audit log: too many waited for the database", dropped)
        by_app: dict[Flask, list[dict[str, Any]]] = {}
        for app, call in taken:
            by_app.setdefault(app, []).append(_row(call))
        for app, rows in by_app.items():
            with app.app_context():
                lost = _written(rows)
            if lost:
                log.warning("%d tool calls not recorded in the audit log", lost)

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            try:
                self.write()
            except Exception:  # whatever it was, the next round writes what comes next
                log.exception("the audit log's writer failed a round")


def _written(rows: list[dict[str, Any]]) -> int:
    """Write `rows`, SLICE_ROWS to a transaction with a pause between; return how many were lost. A database that
    is away costs what was left to write."""
    lost = 0
    for start in range(0, len(rows), SLICE_ROWS):
        if start:
            time.sleep(0)  # the worker's requests run between slices (gevent), or other threads (the GIL)
        slice_lost = _slice_written(rows[start : start + SLICE_ROWS])
        if slice_lost is None:
            return lost + len(rows) - start
        lost += slice_lost
    return lost


def _slice_written(rows: list[dict[str, Any]]) -> int | None:
    """Write `rows` in one transaction; return how many were lost, or None if the database is away. A row the
    database refuses (a user deleted meanwhile) costs only itself: the slice is written again row by row."""
    try:
        _insert(rows)
        return 0
    except (DataError, IntegrityError):
        db.session.rollback()
    except Exception as error:
        db.session.rollback()
        log.warning("the audit log's database failed: %s", type(error).__name__)
        return None
    lost = 0
    for row in rows:
        try:
            _insert([row])
        except Exception:
            db.session.rollback()
            lost += 1
    return lost


def _insert(rows: list[dict[str, Any]]) -> None:
    db.session.execute(insert(ConnectionEvent.__table__), rows)  # the table's: no ORM bookkeeping per row
    db.session.commit()


_batches = _Batches()
atexit.register(_batches.write)
