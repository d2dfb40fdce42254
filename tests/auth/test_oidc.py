"""Sign-in through a real OpenID Connect provider (oidc-provider on 127.0.0.1)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.auth.users import User
from app.extensions import db
from tests.support.oidc import sign_in_at_provider


@pytest.fixture
def oidc_app(make_app, oidc_settings):
    return make_app(**oidc_settings)


def start(client, path: str = "/auth/login/oidc") -> str:
    """Begin a sign-in; return the provider's authorization URL."""
    response = client.get(path)
    assert response.status_code == 302
    return response.location


def local(url: str) -> str:
    """Return the path and query of a callback URL, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def sign_in(client, login: str = "alice.smith", consent: bool = True) -> str:
    """Sign in at the provider; return the app's callback path with its query."""
    return local(sign_in_at_provider(requests.Session(), start(client), login, consent=consent))


def test_sign_in_creates_and_updates_the_user(oidc_app):
    client = oidc_app.test_client()
    authorize = parse_qs(urlsplit(start(client)).query)
    assert authorize["code_challenge_method"] == ["S256"]
    assert authorize["nonce"] and authorize["state"]
    assert authorize["redirect_uri"] == ["http://localhost/auth/callback"]
    client = oidc_app.test_client()
    assert client.get(sign_in(client)).location == "/auth/success"
    assert "Welcome, Alice Smith" in client.get("/").text
    again = oidc_app.test_client()
    assert again.get(sign_in(again)).location == "/auth/success"
    with oidc_app.app_context():
        [user] = db.session.scalars(select(User)).all()
        assert (user.provider, user.subject, user.email) == ("oidc", "alice.smith", "alice.smith@example.test")
        assert user.name == "Alice Smith" and user.picture


def test_next_survives_the_round_trip(oidc_app):
    client = oidc_app.test_client()
    client.get("/auth/login?next=/reports?year=2026")
    assert client.get(sign_in(client)).location == "/reports?year=2026"


def test_access_denied(oidc_app):
    client = oidc_app.test_client()
    callback = sign_in(client, consent=False)
    assert "error=access_denied" in callback
    response = client.get(callback)
    assert response.location == "/auth/failure?reason=access_denied"
    failure = client.get(response.location)
    assert failure.status_code == 401 and "declined" in failure.text
    assert client.get("/").status_code == 302


def test_forged_state_is_refused(oidc_app):
    client = oidc_app.test_client()
    callback = urlsplit(sign_in(client))
    query = {**parse_qs(callback.query), "state": ["forged"]}
    response = client.get(f"{callback.path}?{urlencode(query, doseq=True)}")
    assert response.location == "/auth/failure?reason=state_mismatch"
    assert client.get("/").status_code == 302


def test_replayed_callback_is_refused(oidc_app):
    client = oidc_app.test_client()
    callback = sign_in(client)
    assert client.get(callback).location == "/auth/success"
    assert client.get(callback).location == "/auth/failure?reason=state_mismatch"
    # Nor does the response work in another browser that never started a sign-in.
    assert oidc_app.test_client().get(callback).location == "/auth/failure?reason=state_mismatch"


def test_nonce_mismatch_is_refused(oidc_app):
    client = oidc_app.test_client()
    callback = sign_in(client)
    with client.session_transaction() as session:
        [key] = [key for key in session if key.startswith("_state_oidc_")]
        state = json.loads(json.dumps(session[key]))
        state["data"]["nonce"] = "not-the-nonce-sent"
        session[key] = state
    assert client.get(callback).location == "/auth/failure?reason=invalid_token"
    assert client.get("/").status_code == 302


def test_several_providers_offer_a_choice(make_app, oidc_provider):
    app = make_app(
        OAUTH_PROVIDER="",
        OAUTH_PROVIDERS="corp,dev",
        OAUTH_CORP_TYPE="oidc",
        OAUTH_CORP_ISSUER=oidc_provider.issuer,
        OAUTH_CORP_CLIENT_ID=oidc_provider.client_id,
        OAUTH_CORP_CLIENT_SECRET=oidc_provider.client_secret,
    )
    client = app.test_client()
    chooser = client.get("/auth/login")
    assert chooser.status_code == 200
    assert "/auth/login/corp" in chooser.text and "/auth/login/dev" in chooser.text
    authorize = start(client, "/auth/login/corp")
    assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == ["http://localhost/auth/callback/corp"]
    callback = local(sign_in_at_provider(requests.Session(), authorize, "bob"))
    assert callback.startswith("/auth/callback/corp?")
    assert client.get(callback).location == "/auth/success"


def test_unreachable_provider_is_a_provider_error(make_app, oidc_settings):
    from tests.support.services import free_port

    client = make_app(**{**oidc_settings, "OAUTH_ISSUER": f"http://127.0.0.1:{free_port()}"}).test_client()
    response = client.get("/auth/login/oidc")
    assert response.status_code in (502, 503) or response.location == "/auth/failure?reason=provider_error"
