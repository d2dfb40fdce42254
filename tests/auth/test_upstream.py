"""Upstream tokens: kept encrypted, handed to tools fresh, refreshed when they expire."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.auth.upstream import UpstreamToken, UpstreamTokenError, save, upstream_token
from app.auth.users import User
from app.extensions import db
from tests.auth.test_github import TOKEN_URL, start
from tests.auth.test_github import mock_github as mock_sign_in
from tests.support.mcp_client import TOKEN, McpActions

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
    with app.app_context(), pytest.raises(UpstreamTokenError, match="sign in to your provider again at"):
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


@responses.activate
def test_one_token_set_per_provider(github_app):
    user_id = sign_in(github_app)
    with github_app.app_context():
        save(user_id, "work", {"access_token": "at-work", "expires_in": 3600})
        assert len(db.session.scalars(select(UpstreamToken)).all()) == 2
        assert upstream_token(user_id, "github") == "gho_test"
        assert upstream_token(user_id, "work") == "at-work"
        assert upstream_token(user_id) == "at-work"  # where the person last signed in


@responses.activate
def test_a_rotated_refresh_token_replaces_the_old_one(github_app):
    user_id = sign_in(github_app)
    with github_app.app_context():
        expire(user_id, {"access_token": "old", "refresh_token": "r1"})
        rotated = {"access_token": "a2", "refresh_token": "r2", "expires_in": 3600, "token_type": "bearer"}
        responses.post(TOKEN_URL, json=rotated)
        assert upstream_token(user_id) == "a2"
        expire(user_id, None)
        responses.post(TOKEN_URL, json={"access_token": "a3", "expires_in": 3600, "token_type": "bearer"})
        assert upstream_token(user_id) == "a3"
        assert "refresh_token=r2" in responses.calls[-1].request.body


@responses.activate
def test_a_refused_refresh_says_where_to_sign_in_again(github_app):
    user_id = sign_in(github_app)
    with github_app.app_context():
        expire(user_id, {"access_token": "old", "refresh_token": "revoked"})
        responses.post(TOKEN_URL, json={"error": "invalid_grant"}, status=400)
        with pytest.raises(UpstreamTokenError, match="sign in to github again at http://.*/auth/login/github"):
            upstream_token(user_id)


def test_a_tool_without_a_provider_token_gets_a_plain_error(make_app):
    app = make_app(MCP_STATIC_TOKENS=TOKEN, MCP_TOOL_PACKAGES="tests.mcp_fixtures", UPSTREAM_TOKEN_KEY=KEY)
    response = McpActions(app.test_client(), TOKEN).modern("tools/call", {"name": "provider_token_digest"})
    result = response.get_json()["result"]
    assert result["isError"] and "sign in to your provider again at" in result["content"][0]["text"]


def expire(user_id: int, token: dict | None) -> None:
    """Make the person's kept token expired, replacing what it holds with `token` if given."""
    row = db.session.scalar(select(UpstreamToken).filter_by(user_id=user_id))
    if token is not None:
        row.encrypted = Fernet(KEY).encrypt(json.dumps(token).encode()).decode()
    row.expires_at = int(time.time()) - 10
    db.session.commit()


@responses.activate
@pytest.mark.parametrize("kept", [False, True])
def test_google_is_asked_for_offline_access_and_consent_until_a_refresh_token_is_kept(make_app, kept):
    """Google gives a refresh token only with access_type=offline, and only on a consent (mocked: no network)."""
    from config.providers import GOOGLE_METADATA_URL

    metadata = {"issuer": "https://accounts.google.com", "authorization_endpoint": "https://accounts.google.com/o/a"}
    responses.get(GOOGLE_METADATA_URL, json=metadata)
    app = make_app(OAUTH_PROVIDER="google", OAUTH_CLIENT_ID="g-id", OAUTH_CLIENT_SECRET="g-s", UPSTREAM_TOKEN_KEY=KEY)
    client = app.test_client()
    if kept:
        with app.app_context():
            person = User(provider="google", subject="g-1", email="g@example.test", name="G")
            db.session.add(person)
            db.session.commit()
            save(person.id, "google", {"access_token": "a", "refresh_token": "r", "expires_in": 3600})
            person_id = person.id
        with client.session_transaction() as session:
            session["_user_id"] = str(person_id)
    query = parse_qs(urlsplit(client.get("/auth/login/google").location).query)
    assert query["access_type"] == ["offline"]
    assert ("prompt" in query) is (not kept)
