"""Throwaway places in the machine's PostgreSQL and Redis, removed afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from config.loader import database_uri
from tests.support import services


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Yield a PostgreSQL URL whose search_path is a new, empty schema."""
    services.require(services.listening("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_uri(services.POSTGRES_URL))
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{services.POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        try:
            _drop(engine, schema)
        finally:
            engine.dispose()


def _drop(engine, schema: str, attempts: int = 5) -> None:
    """Drop the schema; the app of a test may still be writing to it (its audit writer, a listener), and PostgreSQL
    then picks the drop as a deadlock's victim: it is tried again once the other transaction is done."""
    for attempt in range(attempts):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


@contextmanager
def redis_database() -> Iterator[str]:
    """Yield the URL of a Redis database that is empty, and emptied again afterwards."""
    services.require(services.listening("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    client = redis.Redis.from_url(services.REDIS_URL)
    client.flushdb()
    try:
        yield services.REDIS_URL
    finally:
        client.flushdb()
        client.close()
