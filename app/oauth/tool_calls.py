"""Tool calls in the audit log: noted on the request path, written off it in batches.

A call is noted as a tuple in a list (the row is made by the writer); a thread of each process
writes what was noted every FLUSH_SECONDS, SLICE_ROWS to a transaction. The rest of the audit
log is app.oauth.audit's.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.exc import DataError, IntegrityError

from app import bulk
from app.extensions import db, this_app
from app.oauth.events import TOOL, ConnectionEvent

log = logging.getLogger(__name__)

#: Where tool calls go: the table itself, not the model (no ORM bookkeeping per row).
TABLE = ConnectionEvent.__table__

#: Tool calls that may wait for the database; past it, the newest are dropped (and counted in the log).
MAX_WAITING = 100_000
#: Seconds a tool call waits, at most, to be written with others (short: under gevent a long batch's write holds
#: the worker's other requests back).
FLUSH_SECONDS = 0.25
#: Rows written in one transaction. Under gevent a write holds the worker's other requests back (SQLite does not
#: yield), so a batch of a busy quarter second (hundreds of rows) goes in slices of about half a millisecond; each
#: transaction costs about 0.1 ms of its own, so slices much smaller cost more than they spare the tail.
SLICE_ROWS = 50
#: The pause between slices: a timer, however short, so that under gevent the event loop serves the requests that
#: arrived meanwhile before the next slice (after `sleep(0)` the writer would go on at once); other threads run then.
SLICE_PAUSE = 0.001


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
    """Write `rows` on one connection, SLICE_ROWS to a transaction with a pause between; return how many were lost.
    A database that is away costs what was left to write."""
    try:
        connection = db.engine.connect()
    except Exception as error:
        log.warning("the audit log's database failed: %s", type(error).__name__)
        return len(rows)
    lost = 0
    with connection:
        for start in range(0, len(rows), SLICE_ROWS):
            if start:
                time.sleep(SLICE_PAUSE)
            slice_lost = _slice_written(connection, rows[start : start + SLICE_ROWS])
            if slice_lost is None:
                return lost + len(rows) - start
            lost += slice_lost
    return lost


def _slice_written(connection: Connection, rows: list[dict[str, Any]]) -> int | None:
    """Write `rows` in one transaction; return how many were lost, or None if the database is away. A row the
    database refuses (a user deleted meanwhile) costs only itself: the slice is written again row by row."""
    try:
        _insert(connection, rows)
        return 0
    except (DataError, IntegrityError):
        pass  # rolled back: written again row by row below
    except Exception as error:
        log.warning("the audit log's database failed: %s", type(error).__name__)
        return None
    lost = 0
    for row in rows:
        try:
            _insert(connection, [row])
        except Exception:
            lost += 1
    return lost


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """One transaction: committed, or rolled back if it fails."""
    with connection.begin():
        bulk.insert_rows(connection, TABLE, rows)


_batches = _Batches()
atexit.register(_batches.write)
