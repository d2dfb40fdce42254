"""The same sign-in on PostgreSQL (DATABASE_URL) and Redis sessions (REDIS_URL)."""

from __future__ import annotations

import redis
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from tests.conftest import AuthActions


def test_postgresql_database_and_sessions(make_app, postgres_url):
    app = make_app(DATABASE_URL=postgres_url)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    client = app.test_client()
    AuthActions(client).dev_sign_in(email="pg@example.test")
    assert client.get("/").status_code == 200
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.session.scalar(select(User.email)) == "pg@example.test"
    assert client.get("/status").json["checks"] == {"database": "ok", "sessions": "ok"}


def test_redis_sessions(make_app, postgres_url, redis_url):
    app = make_app(DATABASE_URL=postgres_url, REDIS_URL=redis_url)
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    sid = client.get_cookie("session").value
    store = redis.Redis.from_url(redis_url)
    assert store.exists(f"session:{sid}")
    assert 0 < store.ttl(f"session:{sid}") <= 168 * 3600
    # Another app (another worker or instance) on the same store knows the person.
    other = make_app(DATABASE_URL=postgres_url, REDIS_URL=redis_url).test_client()
    other.set_cookie("session", sid)
    assert other.get("/").status_code == 200
    assert client.get("/status").json["checks"] == {"database": "ok", "sessions": "ok"}
    store.close()
