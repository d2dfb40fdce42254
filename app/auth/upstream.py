"""People's tokens at their identity provider, for tools that call its APIs on their behalf.

Kept only when UPSTREAM_TOKEN_KEY is set, encrypted with it (Fernet; several keys,
comma-separated, newest first, to rotate), one row per person. `upstream_token`
hands a tool a fresh access token, refreshing it first when it is about to expire.
These tokens never reach MCP clients, and clients' tokens never reach the provider.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import requests
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

#: Refresh this many seconds before the provider's expiry.
EARLY_REFRESH = 60


class UpstreamToken(db.Model):
    __tablename__ = "upstream_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UpstreamTokenError(Exception):
    """There is no usable upstream token for this person (they must sign in again)."""


def save(user_id: int, provider: str, token: dict) -> None:
    """Keep a person's provider token, encrypted (a no-op unless UPSTREAM_TOKEN_KEY is set)."""
    key = current_app.config["UPSTREAM_TOKEN_KEY"]
    if not key:
        return
    kept = {name: token[name] for name in ("access_token", "refresh_token", "token_type") if token.get(name)}
    row = db.session.scalar(select(UpstreamToken).filter_by(user_id=user_id)) or UpstreamToken(user_id=user_id)
    row.provider, row.encrypted = provider, cipher(key).encrypt(json.dumps(kept).encode()).decode()
    row.expires_at = token.get("expires_at") or (
        int(time.time()) + token["expires_in"] if token.get("expires_in") else None
    )
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.commit()


def upstream_token(user_id: int | None) -> str:
    """Return a valid provider access token for the person, refreshing it if needed."""
    key = current_app.config["UPSTREAM_TOKEN_KEY"]
    row = db.session.scalar(select(UpstreamToken).filter_by(user_id=user_id)) if key and user_id else None
    if row is None:
        raise UpstreamTokenError("no provider token is kept for this person: sign in again")
    try:
        token = json.loads(cipher(key).decrypt(row.encrypted.encode()))
    except InvalidToken:
        raise UpstreamTokenError("the kept provider token cannot be decrypted (was the key changed?)") from None
    if row.expires_at is None or row.expires_at - EARLY_REFRESH > time.time():
        return token["access_token"]
    if not token.get("refresh_token"):
        raise UpstreamTokenError("the provider token expired and cannot be refreshed: sign in again")
    fresh = _refresh(row.provider, token["refresh_token"])
    save(row.user_id, row.provider, {"refresh_token": token["refresh_token"]} | fresh)
    return fresh["access_token"]


def cipher(keys: str) -> MultiFernet:
    """Encrypt with the first key; decrypt with any (rotation: put the new key first)."""
    return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])


def _refresh(provider_name: str, refresh_token: str) -> dict:
    from app.auth import providers

    provider, client = providers.providers()[provider_name], providers.client_for(provider_name)
    url = provider.token_url or client.load_server_metadata().get("token_endpoint")
    response = requests.post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(provider.client_id, provider.client_secret),
        headers={"Accept": "application/json"},
        timeout=providers.PROVIDER_TIMEOUT,
    )
    refreshed = response.json() if response.ok else {}
    if "access_token" not in refreshed:
        raise UpstreamTokenError(f"the provider refused to refresh the token (HTTP {response.status_code})")
    return refreshed
