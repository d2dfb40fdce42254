"""Bearer tokens on /mcp: who a token speaks for, checked without a network round trip.

A token is looked up by its hash, once per TOKEN_CACHE_SECONDS per worker, and kept in
a bounded in-process cache meanwhile. A revocation drops it from the caches
(app.oauth.revocation): at once with Redis, within TOKEN_CACHE_SECONDS without. The
token's audience must be this MCP endpoint.
"""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy import select

from app.auth.principal import Principal
from app.auth.users import User
from app.clock import aware, utcnow
from app.extensions import db, this_app
from app.oauth import events, external, machines, revocation, scopes
from app.oauth.models import OAuthClient, Token, digest
from app.oauth.urls import resource_url

CACHE_SIZE = 10_000


class TokenCache:
    """Verified principals, each with its own deadline: at most `size`, the oldest cached going first.

    A read takes no lock and changes nothing (a dict read is atomic; an expired entry stays until its token is
    cached again or it is the oldest): /mcp reads on every call. Writes take the lock. Evicting the oldest cached
    rather than the least used costs a token in steady use at most one early lookup, and each is looked up again
    within TOKEN_CACHE_SECONDS anyway.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size, self.lock = size, threading.Lock()
        self.entries: dict[tuple[str, str], tuple[float, Principal]] = {}
        #: Counts the times tokens were dropped: a lookup that began before one must not cache what it read.
        self.generation = 0

    def get(self, key: tuple[str, str]) -> Principal | None:
        entry = self.entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key: tuple[str, str], principal: Principal, seconds: float, generation: int) -> None:
        """Cache `principal`, read from the database when the cache was at `generation`, unless tokens were dropped
        since: the row read may be one revoked meanwhile, and the revocation's message already handled."""
        with self.lock:
            if generation != self.generation:
                return
            self.entries.pop(key, None)  # cached again: now the newest
            self.entries[key] = (time.monotonic() + seconds, principal)
            while len(self.entries) > self.size:
                del self.entries[next(iter(self.entries))]

    def forget(self, token_ids: list[int]) -> None:
        """Drop the tokens with these ids (revoked)."""
        gone = {str(token_id) for token_id in token_ids}
        with self.lock:
            for key in [key for key, (_, principal) in self.entries.items() if principal.token_id in gone]:
                del self.entries[key]
            self.generation += 1

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.generation += 1


def init_app(app: Flask) -> None:
    app.extensions["token_cache"] = TokenCache()
    revocation.init_app(app)


def verify(token: str) -> Principal | None:
    """Return the principal of a valid token for this endpoint, else None."""
    token_hash = digest(token)
    return cached(token_hash, this_app()) or look_up(token, token_hash)


def cached(token_hash: str, app: Flask) -> Principal | None:
    """Return the principal of the token with this digest (`models.digest`) if `app`'s worker verified it lately (no
    lookup), else None. The caller hashes the token once: the rate limit counts by the same digest."""
    if app.config["EXTERNAL_ISSUER"]:
        return None
    return app.extensions["token_cache"].get((token_hash, resource_url()))


def look_up(token: str, token_hash: str) -> Principal | None:
    """Verify `token` (whose digest is `token_hash`) in the database, or against the external issuer's keys, and
    cache what is valid."""
    app = this_app()
    if app.config["EXTERNAL_ISSUER"]:
        return external.verify(token)
    key, cache = (token_hash, resource_url()), app.extensions["token_cache"]
    if listener := app.extensions.get("revocation_listener"):
        listener.ensure_running()  # before anything is trusted from the cache
    generation = cache.generation
    principal, lifetime = _look_up(*key)
    if principal is not None:
        cache.put(key, principal, lifetime, generation)
    return principal


def _look_up(token_hash: str, audience: str) -> tuple[Principal | None, float]:
    row = db.session.scalar(select(Token).filter_by(access_hash=token_hash))
    if row is None:
        return None, 0
    remaining = (aware(row.expires_at) - utcnow()).total_seconds()
    if refusal := _refusal(row, audience, remaining):
        if row.kind != "personal":
            events.record("mcp", False, f"/mcp refused the access token: {refusal}", row.client_id, row.user_id)
        return None, 0
    principal = _principal_of(row)
    if principal is None:
        return None, 0
    if row.last_used_at is None and row.kind != "personal":
        events.record("mcp", True, "first call to /mcp with this access token", row.client_id, row.user_id)
    row.last_used_at = utcnow()
    db.session.commit()
    return principal, min(remaining, this_app().config["TOKEN_CACHE_SECONDS"])


def _principal_of(row: Token) -> Principal | None:
    """Who a valid token speaks for: its person, or (a machine token) its client; None if they are gone."""
    claims = {"aud": row.resource, "exp": int(aware(row.expires_at).timestamp())}
    granted = {"client_id": row.client_id, "scopes": scopes.of_token(row.scope.split()), "token_id": str(row.id)}
    if row.kind == "machine":
        client = db.session.scalar(select(OAuthClient).filter_by(client_id=row.client_id, removed_at=None))
        if client is None or not machines.enabled(this_app().config):
            return None
        name = client.client_metadata.get("client_name") or row.client_id
        subject = f"client:{row.client_id}"
        return Principal(subject=subject, name=name, claims={"sub": subject, **claims}, machine=True, **granted)
    user = db.session.get(User, row.user_id) if row.user_id is not None else None  # only for a token that lets in
    if user is None:
        return None
    claims = {"sub": str(user.id), **claims}
    return Principal(subject=f"user:{user.id}", user_id=user.id, name=user.name, email=user.email, claims=claims,
                     **granted)  # fmt: skip


def _refusal(row: Token, audience: str, remaining: float) -> str | None:
    """Why a stored token does not let its holder in here, in plain words; None if it does."""
    if row.revoked_at is not None:
        return "it was revoked"
    if row.resource != audience:
        return f"it was issued for {row.resource}, not for this server's {audience}"
    if remaining <= 0:
        return "it expired (the client should refresh it)"
    return None
