"""People's tokens at their identity provider, for tools that call its APIs on their behalf.

Kept only when UPSTREAM_TOKEN_KEY is set, encrypted with it (Fernet; several keys,
comma-separated, newest first, to rotate), one row per person and provider (a person may
sign in with two). `upstream_token` hands a tool a fresh access token, refreshing it
first when it is about to expire: under a lock in the shared store, so that of the many
calls of a person's tools that find it expired, on whichever worker or instance, one
refreshes and the others use what it got. A rotated refresh token replaces the old one.
When no refresh is possible the tool gets UpstreamTokenError, which says where to sign
in again. These tokens never reach MCP clients, and clients' tokens never reach the
provider.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import requests
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from app import kv
from app.auth import providers
from app.clock import aware, utcnow
from app.extensions import db
from app.urls import public_url

#: Refresh this many seconds before the provider's expiry (at most a quarter of the token's lifetime).
EARLY_REFRESH = 60
#: Seconds between looks at a refresh another worker is making.
REFRESH_POLL = 0.05
#: Where people connect their accounts at CONNECTION_PROVIDERS (app/web/connections.py).
CONNECTIONS_PATH = "/connections"


class UpstreamToken(db.Model):
    __tablename__ = "upstream_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    __table_args__ = (UniqueConstraint("user_id", "provider", name="uq_upstream_tokens_user_provider"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UpstreamTokenError(Exception):
    """There is no usable upstream token for this person (they must sign in again)."""


def save(user_id: int, provider: str, token: dict) -> None:
    """Keep a person's token at `provider`, encrypted (a no-op unless UPSTREAM_TOKEN_KEY is set)."""
    key = current_app.config["UPSTREAM_TOKEN_KEY"]
    if not key:
        return
    kept = {name: token[name] for name in ("access_token", "refresh_token", "token_type") if token.get(name)}
    row = _row(user_id, provider) or UpstreamToken(user_id=user_id, provider=provider)
    row.encrypted = cipher(key).encrypt(json.dumps(kept).encode()).decode()
    row.expires_at = token.get("expires_at") or (
        int(time.time()) + token["expires_in"] if token.get("expires_in") else None
    )
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.commit()


def kept_for(user_id: int, names: list[str]) -> dict[str, datetime]:
    """The providers among `names` whose token is kept for the person, and when each was last saved."""
    rows = db.session.scalars(select(UpstreamToken).filter_by(user_id=user_id).where(UpstreamToken.provider.in_(names)))
    return {row.provider: aware(row.updated_at) for row in rows}


def forget(user_id: int, provider: str) -> bool:
    """Delete the person's kept token at `provider`; False if none was kept."""
    row = _row(user_id, provider)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def has_refresh_token(user_id: int | None, provider: str) -> bool:
    """Whether a refresh token is kept for the person at `provider` (so the provider need not be asked again)."""
    key = current_app.config["UPSTREAM_TOKEN_KEY"]
    row = _row(user_id, provider) if key and user_id else None
    return row is not None and bool(_decrypted(row, key).get("refresh_token"))


def upstream_token(user_id: int | None, provider: str | None = None) -> str:
    """Return a valid access token at `provider` (default: where the person last signed in), refreshed if needed."""
    key = current_app.config["UPSTREAM_TOKEN_KEY"]
    row = _row(user_id, provider) if key and user_id else None
    if row is None:
        raise UpstreamTokenError(f"No {provider or 'provider'} token is kept for you: {_sign_in_again(provider)}")
    token = _decrypted(row, key)
    if _fresh(row):
        return token["access_token"]
    if not token.get("refresh_token"):
        raise UpstreamTokenError(f"Your {row.provider} token expired: {_sign_in_again(row.provider)}")
    return _refreshed(row.user_id, row.provider, key)


def _refreshed(user_id: int, provider: str, key: str) -> str:
    """Refresh under the shared lock; whoever waits on it uses the token the holder got."""
    store, lock = kv.store(), f"upstream-refresh:{user_id}:{provider}"
    deadline = time.monotonic() + 3 * providers.PROVIDER_TIMEOUT
    while time.monotonic() < deadline:
        if store.lock(lock, 2 * providers.PROVIDER_TIMEOUT):
            try:
                row = _row(user_id, provider, reload=True)
                token = _decrypted(row, key)
                if _fresh(row):  # another worker refreshed it while this one waited for the lock
                    return token["access_token"]
                fresh = _refresh(provider, token["refresh_token"])
                save(user_id, provider, {"refresh_token": token["refresh_token"]} | fresh)
                return fresh["access_token"]
            finally:
                store.unlock(lock)
        time.sleep(REFRESH_POLL)
        row = _row(user_id, provider, reload=True)
        if row is not None and _fresh(row):
            return _decrypted(row, key)["access_token"]
    raise UpstreamTokenError(f"Your {provider} token could not be refreshed in time: try again in a moment.")


def _row(user_id: int | None, provider: str | None, reload: bool = False) -> UpstreamToken | None:
    """The person's kept token at `provider`, or where they last signed in (never a service they connected);
    `reload` reads past the session."""
    query = select(UpstreamToken).filter_by(user_id=user_id)
    if provider:
        query = query.filter_by(provider=provider)
    else:
        connected = list(providers.connection_providers())
        query = query.where(UpstreamToken.provider.not_in(connected)).order_by(UpstreamToken.updated_at.desc())
    return db.session.scalars(query.execution_options(populate_existing=reload).limit(1)).first()


def _decrypted(row: UpstreamToken, key: str) -> dict:
    try:
        return json.loads(cipher(key).decrypt(row.encrypted.encode()))
    except InvalidToken:
        raise UpstreamTokenError(f"The kept {row.provider} token cannot be decrypted (was the key changed?)") from None


def _fresh(row: UpstreamToken) -> bool:
    """Whether the token has more than its early-refresh margin left (a quarter of its life, at most a minute)."""
    if row.expires_at is None:
        return True
    lifetime = row.expires_at - aware(row.updated_at).timestamp()
    return row.expires_at - min(EARLY_REFRESH, max(lifetime, 0) / 4) > time.time()


def _sign_in_again(provider: str | None) -> str:
    if provider in providers.connection_providers():
        return f"connect it again at {connect_url(provider)}"
    where = f"/auth/login/{provider}" if provider else "/auth/login"
    return f"sign in to {provider or 'your provider'} again at {public_url()}{where}"


def connect_url(provider: str) -> str:
    """The page where the signed-in person connects their account at `provider` (app/web/connections.py)."""
    return f"{public_url()}{CONNECTIONS_PATH}/{provider}"


def cipher(keys: str) -> MultiFernet:
    """Encrypt with the first key; decrypt with any (rotation: put the new key first)."""
    return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])


def _refresh(provider_name: str, refresh_token: str) -> dict:
    provider, client = providers.any_provider(provider_name), providers.client_for(provider_name)
    try:
        url = provider.token_url or client.load_server_metadata().get("token_endpoint")
        response = requests.post(
            url,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(provider.client_id, provider.client_secret),
            headers={"Accept": "application/json"},
            timeout=providers.PROVIDER_TIMEOUT,
        )
        refreshed = response.json() if response.ok else {}
    except (requests.RequestException, ValueError):  # unreachable, or not JSON
        raise UpstreamTokenError(
            f"{provider_name} could not be reached to refresh your token: try again later."
        ) from None
    if "access_token" not in refreshed:
        reason = f"{provider_name} refused to refresh your token (HTTP {response.status_code})"
        raise UpstreamTokenError(f"{reason}: {_sign_in_again(provider_name)}")
    return refreshed
