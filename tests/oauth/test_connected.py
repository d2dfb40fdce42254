"""The connected apps a person sees: since when each may act for them, until when, and when it last did."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import aware
from app.extensions import db
from app.oauth import connected
from app.oauth.models import Token


def test_an_app_shows_since_when_and_until_when_it_has_access(oauth_app, oauth):
    first = oauth.tokens()
    refreshed = oauth.refresh(first["refresh_token"])  # rotation: a new pair, the same grant
    assert refreshed.status_code == 200, refreshed.text
    with oauth_app.app_context():
        rows = db.session.scalars(select(Token).filter_by(client_id=oauth.client_id)).all()
        [connection] = connected.of_user(rows[0].user_id)
    granted = min(aware(row.issued_at) for row in rows)
    live = max(rows, key=lambda row: row.issued_at)
    assert connection.allowed_at is not None and abs(connection.allowed_at - granted) < timedelta(seconds=1)
    assert connection.access_until == aware(live.refresh_expires_at)
    page = oauth.client.get("/account/apps").text
    assert 'data-label="Allowed"' in page and 'data-label="Access until"' in page
    assert connection.access_until.strftime("%Y-%m-%d") in page
