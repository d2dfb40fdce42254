"""The same sign-in on PostgreSQL (DATABASE_URL) and Redis sessions (REDIS_URL)."""

from __future__ import annotations

import secrets

import redis
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from app.sessions import SessionRecord
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
    settings = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "SECRET_KEY": secrets.token_urlsafe(32)}
    client = make_app(**settings).test_client()
    AuthActions(client).dev_sign_in()
    sid = client.get_cookie("session").value
    store = redis.Redis.from_url(redis_url)
    [key] = store.keys("session:*")
    assert sid.encode() not in key, "the session id is stored as it is"
    assert 0 < store.ttl(key) <= 168 * 3600
    # Another app (another worker or instance, with the same SECRET_KEY) on the same store knows the person.
    other = make_app(**settings).test_client()
    other.set_cookie("session", sid)
    assert other.get("/").status_code == 200
    # What the store holds is no cookie: a read of the store signs no one in.
    reader = make_app(**settings).test_client()
    reader.set_cookie("session", key.decode().removeprefix("session:"))
    assert reader.get("/account/tokens").status_code == 302
    assert client.get("/status").json["checks"] == {"database": "ok", "sessions": "ok"}
    store.close()


def test_database_sessions_store_keyed_hashes_of_their_ids(app, client, auth):
    """Tokens, codes and secrets were kept as hashes, but a session id read from the database file was a cookie."""
    auth.dev_sign_in()
    sid = client.get_cookie("session").value
    with app.app_context():
        [stored] = db.session.scalars(select(SessionRecord.session_id)).all()
    assert sid not in stored
    reader = app.test_client()
    reader.set_cookie("session", stored.removeprefix("session:"))
    assert reader.get("/account/tokens").status_code == 302  # sent to sign in
    assert client.get("/account/tokens").status_code == 200
    auth.sign_out()
    with app.app_context():
        assert db.session.scalars(select(SessionRecord)).all() == []
