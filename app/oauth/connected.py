"""The applications a person has let in: what they may do, when last used, and revoking them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.clock import aware, utcnow
from app.extensions import db
from app.oauth import events, removal
from app.oauth.models import Consent, OAuthClient, Token


@dataclass(frozen=True)
class Connection:
    client_id: str
    name: str
    scopes: list[str]
    last_used: datetime | None
    live_tokens: int
    #: When the person first let it in (its consent, or the first token of a grant still held).
    allowed_at: datetime | None = None
    #: When its access ends unless it is refreshed or allowed again (None: only a remembered consent).
    access_until: datetime | None = None


def of_user(user_id: int) -> list[Connection]:
    """The clients holding live tokens or a remembered consent of `user_id`."""
    held = db.session.scalars(select(Token).filter_by(user_id=user_id, kind="oauth", revoked_at=None)).all()
    tokens = [t for t in held if _live(t)]
    consents = db.session.scalars(select(Consent).filter_by(user_id=user_id, removed_at=None)).all()
    client_ids = sorted({t.client_id for t in tokens} | {c.client_id for c in consents})
    names = names_of(client_ids)
    connections = []
    for client_id in client_ids:
        live = [t for t in tokens if t.client_id == client_id]
        agreed = [c for c in consents if c.client_id == client_id]
        scopes = sorted({s for t in live for s in t.scope.split()} | {s for c in agreed for s in c.scope.split()})
        used = max((aware(t.last_used_at) for t in live if t.last_used_at), default=None)
        families = {t.family for t in live}
        since = [aware(c.created_at) for c in agreed] + [aware(t.issued_at) for t in held if t.family in families]
        connection = Connection(
            client_id,
            names.get(client_id) or client_id,
            scopes,
            used,
            len(live),
            allowed_at=min(since, default=None),
            access_until=max((_ends(t) for t in live), default=None),
        )
        connections.append(connection)
    return connections


def revoke(user_id: int, client_id: str) -> bool:
    """Revoke everything `client_id` holds for `user_id` (tokens, pending codes, consent); return whether it stays
    out for good (False: an app the person's organization lets in with ID-JAGs, which may come back)."""
    return removal.remove_for_person(user_id, client_id)


def _ends(token: Token) -> datetime:
    """When `token` stops giving access: its refresh token's end if it may still be refreshed."""
    if token.refresh_expires_at is not None and token.rotated_at is None:
        return max(aware(token.refresh_expires_at), aware(token.expires_at))
    return aware(token.expires_at)


def _live(token: Token) -> bool:
    refresh_alive = token.refresh_expires_at is not None and aware(token.refresh_expires_at) > utcnow()
    return aware(token.expires_at) > utcnow() or (refresh_alive and token.rotated_at is None)


def names_of(client_ids: list[str]) -> dict[str, str | None]:
    """The registered name of each client that has one, in one query."""
    rows = db.session.scalars(select(OAuthClient).where(OAuthClient.client_id.in_(client_ids))).all()
    return {row.client_id: row.client_metadata.get("client_name") for row in rows}


@dataclass(frozen=True)
class Step:
    """One event of the person's connection history, with its client's name."""

    event: events.Event
    name: str


def history(user_id: int, limit: int = 30) -> list[Step]:
    """The steps of the person's clients' ways in, newest first (the connection doctor)."""
    used = set(db.session.scalars(select(Token.client_id).filter_by(user_id=user_id, kind="oauth")))
    used |= set(db.session.scalars(select(Consent.client_id).filter_by(user_id=user_id)))
    found = events.of_user(user_id, used, limit)
    names = names_of(sorted({event.client_id for event in found if event.client_id}))
    return [Step(event, names.get(event.client_id or "") or event.client_id or "an unknown client") for event in found]
