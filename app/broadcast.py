"""Messages every worker of every instance hears, over Redis pub/sub (with REDIS_URL).

A `Subscriber` listens on one channel from a thread of its own (a greenlet under the
gevent worker), started by the process that needs it (`ensure_running`, so a worker
forked from a master that loaded the app starts its own). It subscribes again after
Redis goes away, and asks a quiet connection for a PONG, so that one that died without a
word (no reset ever came) is noticed and replaced. Messages sent while it was not
subscribed are lost: `on_subscribed` runs each time it is subscribed again, for the
caller to make up for what it may have missed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

#: Seconds between attempts to subscribe again after Redis went away.
RETRY_SECONDS = 1.0
#: Seconds of quiet before the subscriber asks Redis for a PONG, and how long it waits for it.
HEALTH_SECONDS, ANSWER_SECONDS = 30.0, 10.0
log = logging.getLogger(__name__)


def channel_of(client: redis.Redis, name: str) -> str:
    """The channel `name` of one Redis database (channels are shared by all of a server's databases)."""
    return f"{name}:{client.connection_pool.connection_kwargs.get('db', 0)}"


def publish(client: redis.Redis, name: str, payload: str) -> bool:
    """Send `payload` to every subscriber of `name`; False (and a warning) if Redis could not take it."""
    import redis  # loaded already, with the client

    try:
        client.publish(channel_of(client, name), payload)
        return True
    except redis.RedisError as error:
        log.warning("%s: message not sent (%s)", name, error)
        return False


class Subscriber:
    """Hands each message of channel `name` to `on_message`, from a thread of its own."""

    def __init__(
        self,
        client: redis.Redis,
        name: str,
        on_message: Callable[[bytes], None],
        on_subscribed: Callable[[], None] = lambda: None,
        outage: str = "messages are missed meanwhile",
    ) -> None:
        self.client, self.name, self.on_message, self.on_subscribed = client, name, on_message, on_subscribed
        self.outage = outage
        self.pid: int | None = None
        self.lock, self.stopped = threading.Lock(), threading.Event()
        #: Set while subscribed (and `on_subscribed` has run).
        self.hearing = threading.Event()

    def ensure_running(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self.run, name=self.name, daemon=True).start()

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
                    log.warning("not hearing %s (%s); %s", self.name, error, self.outage)
                    warned = True
                self.hearing.clear()
                self.stopped.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            pubsub.subscribe(channel_of(self.client, self.name))
            while (message := pubsub.get_message(timeout=RETRY_SECONDS)) is None or message["type"] != "subscribe":
                if self.stopped.is_set():
                    return
            self.on_subscribed()
            self.hearing.set()
            self._hear(pubsub)
        finally:
            pubsub.close()

    def _hear(self, pubsub) -> None:
        heard, pinged = time.monotonic(), False
        while not self.stopped.is_set():
            message = pubsub.get_message(timeout=RETRY_SECONDS)
            now = time.monotonic()
            if message is not None:
                heard, pinged = now, False
                if message["type"] == "message":
                    self.on_message(message["data"])
            elif now - heard > HEALTH_SECONDS + ANSWER_SECONDS:
                raise ConnectionError(f"Redis did not answer a PING within {ANSWER_SECONDS} s")
            elif now - heard > HEALTH_SECONDS and not pinged:
                pubsub.ping()
                pinged = True
