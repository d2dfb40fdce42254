"""Housekeeping: the authorization server's tables hold what is of use, and no more, for as long as it runs.

Purged, each in batches of BATCH rows, each batch its own short transaction (a sign-in or a
token request waiting on the same tables waits for one batch at most):

- authorization codes CODE_RETENTION after they expired, used or not (a replay within that
  time is still caught and revokes what the code issued);
- tokens TOKEN_RETENTION_DAYS after they were revoked or could last be used (their refresh
  token's expiry; their own, without one). A rotated refresh token is kept as long as its
  family could be refreshed, so that its reuse is still caught;
- consents and codes of clients that no longer exist;
- registrations that never completed a grant, CLIENT_IDLE_DAYS after they were made;
- events (app.oauth.events) AUDIT_DAYS after they happened; the connection doctor's steps,
  which serve it too, the longer of that and CONNECTION_EVENT_DAYS.

A sign-in and a registration start it (at most every INTERVAL per process, and a few
batches per table); `flask housekeeping` runs it to the end, for a cron job.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask_login import user_logged_in
from sqlalchemy import and_, delete, exists, or_, select

from app.clock import utcnow
from app.extensions import db
from app.oauth.events import DOCTOR_STEPS, ConnectionEvent
from app.oauth.models import AuthorizationCode, Consent, OAuthClient, Token

log = logging.getLogger(__name__)

#: Rows deleted per transaction.
BATCH = 500
#: How long a code is kept after it expired.
CODE_RETENTION = timedelta(hours=6)
#: Seconds between the runs that sign-ins and registrations start, per process.
INTERVAL = 600.0
#: Batches per table for such a run (the command has no limit).
INLINE_BATCHES = 4

_last_run = 0.0
_running = threading.Lock()


def purge(max_batches: int | None = None) -> dict[str, int]:
    """Delete what is past its use, table by table; return how many rows went from each."""
    now = utcnow()
    config = current_app.config
    token_cutoff = now - timedelta(days=config["TOKEN_RETENTION_DAYS"])
    known_client = exists().where(OAuthClient.client_id == Consent.client_id)
    known_code_client = exists().where(OAuthClient.client_id == AuthorizationCode.client_id)
    targets: dict[str, tuple[Any, Any]] = {
        "codes": (AuthorizationCode, or_(AuthorizationCode.expires_at < now - CODE_RETENTION, ~known_code_client)),
        "tokens": (
            Token,
            or_(
                Token.revoked_at < token_cutoff,
                Token.refresh_expires_at < token_cutoff,
                and_(Token.refresh_expires_at.is_(None), Token.expires_at < token_cutoff),
            ),
        ),
        "consents": (Consent, ~known_client),
        "registrations": (OAuthClient, _never_granted()),
        "events": (ConnectionEvent, _past_their_days(now, config)),
    }
    return {name: _delete_in_batches(model, where, max_batches) for name, (model, where) in targets.items()}


def _past_their_days(now: datetime, config: Any) -> Any:
    """Events past AUDIT_DAYS, but the connection doctor's steps only past the longer of it and CONNECTION_EVENT_DAYS
    (they serve both)."""
    audit_cutoff = now - timedelta(days=config["AUDIT_DAYS"])
    doctor_cutoff = now - timedelta(days=max(config["CONNECTION_EVENT_DAYS"], config["AUDIT_DAYS"]))
    doctors = ConnectionEvent.step.in_(DOCTOR_STEPS)
    return or_(ConnectionEvent.at < doctor_cutoff, and_(~doctors, ConnectionEvent.at < audit_cutoff))


def prune_registrations() -> int:
    """Delete registrations that never completed a grant, CLIENT_IDLE_DAYS after they were made."""
    return _delete_in_batches(OAuthClient, _never_granted(), INLINE_BATCHES)


def _never_granted() -> Any:
    cutoff = utcnow() - timedelta(days=current_app.config["CLIENT_IDLE_DAYS"])
    unused = and_(OAuthClient.granted_at.is_(None), OAuthClient.removed_at.is_(None))
    return and_(OAuthClient.kind == "registered", unused, OAuthClient.created_at < cutoff)


def _delete_in_batches(model: Any, where: Any, max_batches: int | None) -> int:
    """Delete the rows `where` selects, BATCH at a time, until none is left (or `max_batches` ran).

    A batch that deletes fewer than BATCH rows does not mean the end: another process may be
    purging the same rows at the same time. Only an empty batch does.
    """
    deleted, batches = 0, 0
    while max_batches is None or batches < max_batches:
        ids = select(model.id).where(where).limit(BATCH).scalar_subquery()
        count = db.session.execute(delete(model).where(model.id.in_(ids))).rowcount
        db.session.commit()
        deleted, batches = deleted + count, batches + 1
        if count == 0:
            break
    return deleted


def soon() -> None:
    """Purge a few batches if this process has not for INTERVAL (after a sign-in or a registration)."""
    global _last_run
    if time.monotonic() - _last_run < INTERVAL or not _running.acquire(blocking=False):
        return
    try:
        _last_run = time.monotonic()
        counts = purge(INLINE_BATCHES)
        if any(counts.values()):
            log.info("housekeeping: %s", ", ".join(f"{count} {name}" for name, count in counts.items()))
    finally:
        _running.release()


@click.command("housekeeping")
def housekeeping_command() -> None:
    """Purge expired codes and tokens, orphans and never-used registrations, to the end (for a cron job)."""
    counts = purge()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()) + " purged")


def init_app(app: Flask) -> None:
    app.cli.add_command(housekeeping_command)
    user_logged_in.connect(lambda *_args, **_kwargs: soon(), app, weak=False)
