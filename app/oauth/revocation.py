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
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import update

from app.clock import utcnow
from app.extensions import db
from app.oauth.models import Token

if TYPE_CHECKING:
    import redis

#: Seconds between attempts to subscribe again after Redis went away.
RETRY_SECONDS = 1.0
#: Seconds of quiet before the listener asks Redis for a PONG, and how long it waits for it.
HEALTH_SECONDS, ANSWER_SECONDS = 30.0, 10.0
log = logging.getLogger(__name__)


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
    return len(ids)


def _announce(ids: list[int]) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.extensions["token_cache"].forget(ids)
    client = app.extensions.get("redis")
    if client is None:
        return
    import redis  # loaded already, with the client

    try:
        client.publish(channel(client), json.dumps(ids))
    except redis.RedisError as error:
        app.logger.warning("revocation not announced (%s): other workers drop it within the cache lifetime", error)


def channel(client: redis.Redis) -> str:
    """The channel of one Redis database (channels are shared by all of a server's databases)."""
    return f"oauth:revoked-tokens:{client.connection_pool.connection_kwargs.get('db', 0)}"


class Listener:
    """Drops the tokens other workers revoke from this process's cache, from a thread of its own.

    Started by the first token this process caches (`ensure_running`), so a worker
    forked from a master that loaded the app starts its own.
    """

    def __init__(self, client: redis.Redis, cache) -> None:
        self.client, self.cache = client, cache
        self.pid: int | None = None
        self.lock, self.stopped = threading.Lock(), threading.Event()
        #: Set while subscribed (and the cache emptied of what may have been missed).
        self.hearing = threading.Event()

    def ensure_running(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self.run, name="token-revocations", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        warned = False
        while not self.stopped.is_set():
            try:
                self._listen()
            except Exception as error:  # Redis gone, or the connection closed under us: subscribe again
                warned = warned and not self.hearing.is_set()  # once per outage
                if not warned and not self.stopped.is_set():
                    log.warning("not hearing token revocations (%s); the cache lifetime bounds them meanwhile", error)
                    warned = True
                self.hearing.clear()
                self.stopped.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            pubsub.subscribe(channel(self.client))
            while (message := pubsub.get_message(timeout=RETRY_SECONDS)) is None or message["type"] != "subscribe":
                if self.stopped.is_set():
                    return
            self.cache.clear()  # anything revoked while nobody listened
            self.hearing.set()
            self._hear(pubsub)
        finally:
            pubsub.close()

    def _hear(self, pubsub) -> None:
        """Drop what each message names; a quiet connection is asked for a PONG, so that one that died
        without a word (no reset ever came) is noticed and replaced."""
        heard, pinged = time.monotonic(), False
        while not self.stopped.is_set():
            message = pubsub.get_message(timeout=RETRY_SECONDS)
            now = time.monotonic()
            if message is not None:
                heard, pinged = now, False
                if message["type"] == "message":
                    self.cache.forget(_ids(message["data"]))
            elif now - heard > HEALTH_SECONDS + ANSWER_SECONDS:
                raise ConnectionError(f"Redis did not answer a PING within {ANSWER_SECONDS} s")
            elif now - heard > HEALTH_SECONDS and not pinged:
                pubsub.ping()
                pinged = True


def _ids(data: bytes) -> list[int]:
    try:
        ids = json.loads(data)
    except ValueError:
        return []
    return [item for item in ids if isinstance(item, int)] if isinstance(ids, list) else []


def init_app(app: Flask) -> None:
    """Listen for revocations when the app has Redis."""
    client = app.extensions.get("redis")
    if client is not None:
        app.extensions["revocation_listener"] = Listener(client, app.extensions["token_cache"])
