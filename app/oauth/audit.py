"""The audit log's side of app.oauth.events: a person's activity, the export, and tool calls (app.oauth.tool_calls).

Tool calls are noted on the request path and written in batches (`record_tool_call`, `flush`,
`waiting`, from app.oauth.tool_calls); the rest of the audit log (sign-ins, consents, tokens,
revocations, personal tokens, removed clients) is written at once by `events.record`. Both are
rows of the same `connection_events` table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_login import user_logged_in
from sqlalchemy import select

from app.clock import aware, utcnow
from app.extensions import db
from app.oauth import events
from app.oauth.events import ConnectionEvent, Event, as_event, newest_first
from app.oauth.tool_calls import flush, record_tool_call, waiting

__all__ = ["activity", "audit_cli", "export", "flush", "init_app", "record_tool_call", "since", "waiting"]

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
