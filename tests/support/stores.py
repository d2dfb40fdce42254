"""Throwaway places in the machine's PostgreSQL and Redis, removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from sqlalchemy import create_engine, text

from tests.support import services


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Yield a PostgreSQL URL whose search_path is a new, empty schema."""
    services.require(services.listening("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(services.POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{services.POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


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
