"""Upstream tokens: kept encrypted, handed to tools fresh, refreshed when they expire."""

from __future__ import annotations

import time

import pytest
import responses
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.auth.upstream import UpstreamToken, UpstreamTokenError, upstream_token
from app.auth.users import User
from app.extensions import db
from tests.auth.test_github import TOKEN_URL, start
from tests.auth.test_github import mock_github as mock_sign_in

KEY = Fernet.generate_key().decode()
EMAILS = [{"email": "octo@example.test", "primary": True, "verified": True}]


@pytest.fixture
def github_app(make_app):
    return make_app(
        OAUTH_PROVIDER="github", OAUTH_CLIENT_ID="gh-id", OAUTH_CLIENT_SECRET="gh-secret", UPSTREAM_TOKEN_KEY=KEY
    )


def sign_in(app) -> int:
    client = app.test_client()
    query = start(client)
    mock_sign_in(EMAILS)
    client.get("/auth/callback", query_string={"code": "c", "state": query["state"][0]})
    with app.app_context():
        return db.session.scalar(select(User.id))


@responses.activate
def test_token_is_kept_encrypted_and_handed_out(github_app):
    user_id = sign_in(github_app)
    with github_app.app_context():
        row = db.session.scalar(select(UpstreamToken))
        assert "gho_test" not in row.encrypted and row.provider == "github"
        assert upstream_token(user_id) == "gho_test"


@responses.activate
def test_expired_token_is_refreshed(github_app):
    user_id = sign_in(github_app)
    with github_app.app_context():
        row = db.session.scalar(select(UpstreamToken))
        row.encrypted = Fernet(KEY).encrypt(b'{"access_token": "old", "refresh_token": "r1"}').decode()
        row.expires_at = int(time.time()) - 10
        db.session.commit()
        responses.post(TOKEN_URL, json={"access_token": "new", "expires_in": 3600, "token_type": "bearer"})
        assert upstream_token(user_id) == "new"
        assert "refresh_token=r1" in responses.calls[-1].request.body
        assert upstream_token(user_id) == "new"  # kept: no second refresh
        assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 2  # sign-in + one refresh


def test_nothing_is_kept_without_a_key(make_app):
    app = make_app(OAUTH_PROVIDER="dev")
    with app.app_context(), pytest.raises(UpstreamTokenError, match="sign in again"):
        upstream_token(1)


def test_a_bad_key_stops_start_up(make_app):
    from config import ConfigError

    with pytest.raises(ConfigError, match="UPSTREAM_TOKEN_KEY"):
        make_app(UPSTREAM_TOKEN_KEY="not-a-key")


@responses.activate
def test_keys_rotate(github_app, make_app):
    user_id = sign_in(github_app)
    newer = Fernet.generate_key().decode()
    settings = {"OAUTH_PROVIDER": "github", "OAUTH_CLIENT_ID": "i", "OAUTH_CLIENT_SECRET": "s"}
    rotated = make_app(**settings, UPSTREAM_TOKEN_KEY=f"{newer},{KEY}")
    with rotated.app_context():
        assert upstream_token(user_id) == "gho_test"  # written with the old key, read with the list
