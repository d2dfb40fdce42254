"""Removing a client for good: by an operator (for everyone) or by a person (from their connected apps).

Housekeeping never deletes the registration of a client that completed a grant, so a
client coming back after months still holds a valid client id. Only a removal ends it,
and a removal is remembered: the client is told so in plain words at /oauth/authorize
(RFC 6749 forbids sending an error to the redirect URI of a client that is not known to
be good) and gets 401 invalid_client at the token endpoint. The way back is for the
person to remove the connector in their client and add it again, which registers anew.
A person's removal applies to registered clients only: a metadata-document client keeps
its URL as its id whatever happens, so it is asked for consent again instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from app.clock import aware, utcnow
from app.extensions import db
from app.oauth import events, revocation
from app.oauth.models import AuthorizationCode, Consent, OAuthClient, Token


def remove_client(row: OAuthClient) -> int:
    """An operator removes `row` for everyone: its tokens, codes and consents go, the removal stays.

    Returns the number of tokens revoked.
    """
    row.removed_at = utcnow()
    db.session.execute(delete(AuthorizationCode).filter_by(client_id=row.client_id))
    db.session.execute(delete(Consent).filter_by(client_id=row.client_id))
    revoked = revocation.revoke(Token.client_id == row.client_id)  # commits
    events.record("client_removed", True, f"the operator removed the client ({revoked} tokens revoked)", row.client_id)
    return revoked


def remove_for_person(user_id: int, client_id: str) -> bool:
    """A person removes `client_id` from their connected apps: its tokens, codes and consent for them go.

    Returns False for a client an operator added, which takes ID-JAGs: it comes back when the
    person's organization's identity provider grants it again, since that provider decides.
    """
    db.session.execute(delete(AuthorizationCode).filter_by(user_id=user_id, client_id=client_id))
    db.session.execute(delete(Consent).filter_by(user_id=user_id, client_id=client_id))
    kind = db.session.scalar(select(OAuthClient.kind).filter_by(client_id=client_id))
    if kind == "registered":
        db.session.add(Consent(user_id=user_id, client_id=client_id, scope="", removed_at=utcnow()))
    revocation.revoke(Token.user_id == user_id, Token.client_id == client_id)  # commits
    events.record("client_removed", True, "removed from the person's connected apps", client_id, user_id)
    return kind != "operator"


@dataclass(frozen=True)
class Removal:
    """Who removed a client (the server's operator, or the person asking), when, and the client's name."""

    by_operator: bool
    at: datetime
    name: str

    def explained(self) -> str:
        """What the person sees at /oauth/authorize, in plain words."""
        who = "the operator of this server" if self.by_operator else "you, on your Connected apps page"
        return (
            f"{self.name} was removed by {who} on {self.at:%d %B %Y}, so it cannot sign in here any more. "
            "To use it again, remove this connector in your MCP client and add it again."
        )


def removed(client_id: str, user_id: int | None = None) -> Removal | None:
    """How `client_id` was removed, for everyone or for `user_id`; None if it was not."""
    row = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id))
    name = (row.client_metadata.get("client_name") if row else None) or "This app"
    if row is not None and row.removed_at is not None:
        return Removal(True, aware(row.removed_at), name)
    if user_id is not None:
        query = select(Consent.removed_at).filter_by(user_id=user_id, client_id=client_id)
        when = db.session.scalar(query.where(Consent.removed_at.is_not(None)))
        if when is not None:
            return Removal(False, aware(when), name)
    return None
