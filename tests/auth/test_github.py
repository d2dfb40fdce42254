"""GitHub sign-in (plain OAuth 2). GitHub cannot run here, so its HTTP API is mocked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db

TOKEN_URL = "https://github.com/login/oauth/access_token"
USER_URL = "https://api.github.com/user"


@pytest.fixture
def github_app(make_app):
    return make_app(OAUTH_PROVIDER="github", OAUTH_CLIENT_ID="gh-id", OAUTH_CLIENT_SECRET="gh-secret")


def start(client) -> dict[str, list[str]]:
    response = client.get("/auth/login/github")
    assert response.status_code == 302
    url = urlsplit(response.location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://github.com/login/oauth/authorize"
    return parse_qs(url.query)


def mock_github(emails: list[dict], user_status: int = 200) -> None:
    responses.post(TOKEN_URL, json={"access_token": "gho_test", "token_type": "bearer", "scope": "read:user"})
    responses.get(
        USER_URL, status=user_status, json={"id": 42, "login": "octo", "name": None, "avatar_url": "https://a/x"}
    )
    responses.get(f"{USER_URL}/emails", json=emails)


@responses.activate
def test_sign_in_with_verified_primary_email(github_app):
    client = github_app.test_client()
    query = start(client)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://localhost/auth/callback"]
    assert query["scope"] == ["read:user user:email"]
    mock_github(
        [
            {"email": "old@example.test", "primary": False, "verified": True},
            {"email": "octo@example.test", "primary": True, "verified": True},
        ]
    )
    response = client.get("/auth/callback", query_string={"code": "c", "state": query["state"][0]})
    assert response.location == "/auth/success"
    token_request = parse_qs(responses.calls[0].request.body)
    assert token_request["code_verifier"], "PKCE verifier must be sent"
    assert responses.calls[1].request.headers["Authorization"] == "Bearer gho_test"
    with github_app.app_context():
        user = db.session.scalar(select(User))
        assert (user.provider, user.subject, user.email, user.name) == ("github", "42", "octo@example.test", "octo")


@responses.activate
def test_unverified_primary_email_is_not_kept(github_app):
    client = github_app.test_client()
    query = start(client)
    mock_github([{"email": "octo@example.test", "primary": True, "verified": False}])
    client.get("/auth/callback", query_string={"code": "c", "state": query["state"][0]})
    with github_app.app_context():
        assert db.session.scalar(select(User)).email is None


@responses.activate
def test_api_failure_is_a_provider_error(github_app):
    client = github_app.test_client()
    query = start(client)
    mock_github([], user_status=502)
    response = client.get("/auth/callback", query_string={"code": "c", "state": query["state"][0]})
    assert response.location == "/auth/failure?reason=provider_error"
    assert client.get(response.location).status_code == 401


@responses.activate
def test_token_endpoint_error_is_a_provider_error(github_app):
    client = github_app.test_client()
    query = start(client)
    responses.post(TOKEN_URL, json={"error": "bad_verification_code"})
    response = client.get("/auth/callback", query_string={"code": "c", "state": query["state"][0]})
    assert response.location == "/auth/failure?reason=provider_error"


@responses.activate
def test_a_verified_github_address_in_admin_emails_makes_an_operator(make_app):
    settings = {"OAUTH_PROVIDER": "github", "OAUTH_CLIENT_ID": "gh-id", "OAUTH_CLIENT_SECRET": "gh-secret"}
    app = make_app(**settings, ADMIN_EMAILS="octo@example.test")
    client = app.test_client()
    query = start(client)
    mock_github([{"email": "octo@example.test", "primary": True, "verified": True}])
    client.get("/auth/callback", query_string={"code": "c", "state": query["state"][0]})
    assert client.get("/admin/").status_code == 200
