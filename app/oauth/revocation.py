"""Revoking tokens, and every worker hearing of it.

A worker trusts a token it verified from its cache for up to TOKEN_CACHE_SECONDS
(app.oauth.verify), so a revocation must reach the caches too. The worker that
revokes drops the tokens from its own cache at once; with REDIS_URL it also
publishes their ids, and every worker of every instance listens and drops them as
they arrive (within milliseconds). Without Redis, or while a worker cannot hear it,
TOKEN_CACHE_SECONDS is the bound: a worker that lost its subscription forgets its
whole cache when it subscribes again, for what it may have missed.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update

from app import broadcast, metrics
from app.clock import utcnow
from app.extensions import db, this_app
from app.oauth.models import Token

CHANNEL = "oauth:revoked-tokens"


def takes_effect() -> str:
    """When a revocation reaches every worker, in words for the person who made it."""
    if current_app.extensions.get("redis") is not None:
        return "it stops working at once"
    seconds = current_app.config["TOKEN_CACHE_SECONDS"]
    return f"it stops working everywhere within {seconds} second{'' if seconds == 1 else 's'}"


def revoke(*criteria: Any) -> int:
    """Revoke the tokens matching `criteria` that are not revoked yet; return how many."""
    revoked = update(Token).where(Token.revoked_at.is_(None), *criteria).values(revoked_at=utcnow())
    ids = list(db.session.scalars(revoked.returning(Token.id)))
    db.session.commit()
    if ids:
        _announce(ids)
        metrics.count("oauth_tokens", len(ids), event="revoked")
    return len(ids)


def _announce(ids: list[int]) -> None:
    app = this_app()
    app.extensions["token_cache"].forget(ids)
    client = app.extensions.get("redis")
    if client is not None:
        broadcast.publish(client, CHANNEL, json.dumps(ids))  # a failure is logged; the cache lifetime bounds it


def _ids(data: bytes) -> list[int]:
    try:
        ids = json.loads(data)
    except ValueError:
        return []
    return [item for item in ids if isinstance(item, int)] if isinstance(ids, list) else []


def init_app(app: Flask) -> None:
    """Listen for revocations when the app has Redis: drop what each names; after an outage, forget the whole
    cache, for what was missed. Started by the first token this process caches (app.oauth.verify)."""
    client = app.extensions.get("redis")
    if client is not None:
        cache = app.extensions["token_cache"]
        app.extensions["revocation_listener"] = broadcast.Subscriber(
            client,
            CHANNEL,
            on_message=lambda data: cache.forget(_ids(data)),
            on_subscribed=cache.clear,
            outage="the cache lifetime bounds them meanwhile",
        )
