"""Whether a person has already approved a client, and what the consent page shows."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select

from app.extensions import db
from app.oauth import documents
from app.oauth.clients import Client, ascii_host, origin_of
from app.oauth.models import Consent
from app.oauth.scopes import describe as describe_scope
from app.oauth.scopes import split


def remembered(user_id: int, client_id: str, scope: str) -> bool:
    """Return whether the person chose to remember an approval covering `scope`."""
    rows = db.session.scalars(select(Consent).filter_by(user_id=user_id, client_id=client_id, removed_at=None)).all()
    approved = {item for row in rows for item in split(row.scope)}
    return set(split(scope)) <= approved


def remember(user_id: int, client_id: str, scope: str) -> None:
    db.session.add(Consent(user_id=user_id, client_id=client_id, scope=scope))
    removals = delete(Consent).filter_by(user_id=user_id, client_id=client_id).where(Consent.removed_at.is_not(None))
    db.session.execute(removals)  # approved again (a metadata-document client): no longer removed
    db.session.commit()


def forget(user_id: int, client_id: str) -> None:
    db.session.execute(delete(Consent).filter_by(user_id=user_id, client_id=client_id))
    db.session.commit()


def describe(client: Client, redirect_uri: str, scope: str) -> dict:
    """What the person must see to decide: who asks, where the answer goes, for what."""
    verified = documents.is_document_id(client.client_id)
    target = urlsplit(redirect_uri)
    return {
        "name": client.name,
        "domain": ascii_host(urlsplit(client.client_id).hostname or "") if verified else None,
        "redirect_host": target.hostname or f"{target.scheme}:",
        "redirect_origin": origin_of(redirect_uri),
        "scopes": split(scope),
        "scope_descriptions": {item: describe_scope(item) for item in split(scope)},
    }
