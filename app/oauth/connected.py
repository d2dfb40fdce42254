"""The applications a person has let in: what they may do, when last used, and revoking them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from app.extensions import db
from app.oauth.models import AuthorizationCode, Consent, OAuthClient, Token, aware, utcnow


@dataclass(frozen=True)
class Connection:
    client_id: str
    name: str
    scopes: list[str]
    last_used: datetime | None
    live_tokens: int


def of_user(user_id: int) -> list[Connection]:
    """The clients holding live tokens or a remembered consent of `user_id`."""
    tokens = db.session.scalars(select(Token).filter_by(user_id=user_id, kind="oauth", revoked_at=None)).all()
    consents = db.session.scalars(select(Consent).filter_by(user_id=user_id)).all()
    client_ids = sorted({t.client_id for t in tokens if _live(t)} | {c.client_id for c in consents})
    connections = []
    for client_id in client_ids:
        live = [t for t in tokens if t.client_id == client_id and _live(t)]
        scopes = sorted(
            {s for t in live for s in t.scope.split()}
            | {s for c in consents if c.client_id == client_id for s in c.scope.split()}
        )
        used = max((aware(t.last_used_at) for t in live if t.last_used_at), default=None)
        connections.append(Connection(client_id, _name(client_id), scopes, used, len(live)))
    return connections


def revoke(user_id: int, client_id: str) -> None:
    """Revoke everything `client_id` holds for `user_id`: tokens, pending codes, consent."""
    live = update(Token).where(Token.user_id == user_id, Token.client_id == client_id, Token.revoked_at.is_(None))
    db.session.execute(live.values(revoked_at=utcnow()))
    db.session.execute(delete(AuthorizationCode).filter_by(user_id=user_id, client_id=client_id))
    db.session.execute(delete(Consent).filter_by(user_id=user_id, client_id=client_id))
    db.session.commit()


def _live(token: Token) -> bool:
    refresh_alive = token.refresh_expires_at is not None and aware(token.refresh_expires_at) > utcnow()
    return aware(token.expires_at) > utcnow() or (refresh_alive and token.rotated_at is None)


def _name(client_id: str) -> str:
    row = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id))
    return (row.client_metadata.get("client_name") if row else None) or client_id
