"""The shared stores of the scale-out run: a throwaway schema in the PostgreSQL that BENCH_POSTGRES_URL names,
and the Redis of BENCH_REDIS_URL (used as it is: the app's keys there expire by themselves).

A deployment of several instances shares both, and pays for them on every `/mcp` call (the rate limit's count
in Redis) and in the audit writer (PostgreSQL): the run that measures it needs them, so it is asked for by
setting both variables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from config.loader import database_uri

POSTGRES_VARIABLE = "BENCH_POSTGRES_URL"
REDIS_VARIABLE = "BENCH_REDIS_URL"


def configured() -> bool:
    """Whether both stores are named."""
    return bool(os.environ.get(POSTGRES_VARIABLE) and os.environ.get(REDIS_VARIABLE))


@contextmanager
def shared_stores() -> Iterator[dict[str, str]]:
    """Yield the app's DATABASE_URL (a new schema, dropped afterwards) and REDIS_URL."""
    url = os.environ[POSTGRES_VARIABLE]
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_uri(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        database_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        yield {"DATABASE_URL": database_url, "REDIS_URL": os.environ[REDIS_VARIABLE]}
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
