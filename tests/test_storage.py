"""The same sign-in on PostgreSQL (DATABASE_URL) and Redis sessions (REDIS_URL); the migrations match the models."""

from __future__ import annotations

import secrets

import flask
import pytest
import redis
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from app.sessions import SessionRecord
from tests.conftest import AuthActions, csrf_token


def differences_from_the_models(app: flask.Flask) -> list:
    with app.app_context(), db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_the_migrations_make_the_tables_the_models_describe(app):
    """A model changed without its migration would work in tests that create tables, and fail in production."""
    assert differences_from_the_models(app) == []


def test_the_migrations_make_the_same_tables_on_postgresql(make_app, postgres_url):
    assert differences_from_the_models(make_app(DATABASE_URL=postgres_url)) == []


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


@pytest.mark.parametrize("store", ["database", pytest.param("redis", marks=pytest.mark.services)])
def test_a_request_that_changed_nothing_does_not_write_back_an_older_session(make_app, request, store):
    """A page's assets, or the playground's calls, run beside the page that puts a CSRF token in the session: a
    request that loaded the session before and changed nothing must not store its older copy over it (the form's
    POST then failed: "The CSRF session token is missing")."""
    settings = {"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    app = make_app(**settings)
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    cookie = f"session={client.get_cookie('session').value}"
    with app.test_request_context("/static/style.css", headers={"Cookie": cookie}):
        beside = app.session_interface.open_session(app, flask.request)  # an asset request, begun first
    page = client.get("/account/tokens")  # the form: its CSRF token goes into the session
    with app.test_request_context("/static/style.css", headers={"Cookie": cookie}):
        app.session_interface.save_session(app, beside, app.response_class())  # the asset request ends after it
    created = client.post("/account/tokens", data={"name": "deploy", "scope": "mcp", "days": "1",
                                                   "csrf_token": csrf_token(page.text)})  # fmt: skip
    assert created.status_code == 201, created.text


def test_an_unchanged_session_is_still_kept_alive_once_an_hour(app, client, auth, monkeypatch):
    """Sessions last SESSION_LIFETIME_HOURS from their last use, not from their last change."""
    from app import sessions

    auth.dev_sign_in()
    client.get("/account/tokens")  # its CSRF token is a change
    with app.app_context():
        first = db.session.scalars(select(SessionRecord.expiry)).one()
    client.get("/account/tokens")
    with app.app_context():
        assert db.session.scalars(select(SessionRecord.expiry)).one() == first  # used, unchanged: not stored
    monkeypatch.setattr(sessions, "REFRESH_SECONDS", -1)  # as if its hour had passed
    client.get("/account/tokens")
    with app.app_context():
        assert db.session.scalars(select(SessionRecord.expiry)).one() > first


def test_sqlite_is_shared_by_workers_without_an_fsync_per_commit(app):
    """WAL, waiting on locks, foreign keys, and `synchronous=NORMAL` (a commit syncs nothing; checkpoints do)."""
    with app.app_context():
        pragmas = {name: db.session.execute(db.text(f"PRAGMA {name}")).scalar() for name in
                   ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")}  # fmt: skip
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1, "synchronous": 1}
