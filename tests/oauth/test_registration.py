"""Dynamic client registration (RFC 7591): what is accepted, refused, limited and forgotten."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from app.oauth.models import OAuthClient

GOOD = {"redirect_uris": ["https://app.example.com/callback"], "client_name": "Example"}


def register(client, body: dict, **headers):
    return client.post("/oauth/register", json=body, headers=headers)


def test_confidential_client_gets_a_secret_once_and_it_is_stored_hashed(app):
    client = app.test_client()
    response = register(client, GOOD)
    assert response.status_code == 201
    body = response.json
    assert body["token_endpoint_auth_method"] == "client_secret_basic" and body["client_secret_expires_at"] == 0
    assert body["application_type"] == "web" and body["grant_types"] == ["authorization_code", "refresh_token"]
    with app.app_context():
        row = db.session.query(OAuthClient).one()
        assert body["client_secret"] not in row.secret_hash + row.metadata_json


def test_https_client_and_logo_uris_are_kept(app):
    body = GOOD | {"client_uri": "https://app.example.com/", "logo_uri": "https://app.example.com/logo.png"}
    response = register(app.test_client(), body)
    assert response.status_code == 201 and response.json["logo_uri"] == "https://app.example.com/logo.png"


def test_public_native_client(app):
    body = {"redirect_uris": ["http://127.0.0.1/callback", "com.example.app:/cb"], "application_type": "native"}
    response = register(app.test_client(), body | {"token_endpoint_auth_method": "none"})
    assert response.status_code == 201 and "client_secret" not in response.json


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["data:text/html,hi"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example.com/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri"),  # web apps: no private schemes
        ({"redirect_uris": []}, "invalid_client_metadata"),
        ({"redirect_uris": ["https://a.example/" + "x" * 2100]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://user@app.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://x;frame-ancestors *;a@127.0.0.1:9999/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example.com;frame-ancestors/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app_example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://127.0.0.1:1x/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://127.0.0.1:99999/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://127.0.0.1:0/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://[fe80::1%25eth0]/cb"]}, "invalid_redirect_uri"),  # a zone: no CSP source
        ({"redirect_uris": ["http://[::1%25x]:8080/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://127.1/cb"]}, "invalid_redirect_uri"),  # browsers read 127.0.0.1
        ({"redirect_uris": ["https://0x7f.1/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://1.2.3.4.5/cb"]}, "invalid_redirect_uri"),
        (GOOD | {"client_name": "x" * 500}, "invalid_client_metadata"),
        (GOOD | {"client_uri": "javascript:alert(document.cookie)"}, "invalid_client_metadata"),
        (GOOD | {"logo_uri": "data:image/svg+xml,<svg onload=alert(1)>"}, "invalid_client_metadata"),
        (GOOD | {"logo_uri": "http://app.example.com/logo.png"}, "invalid_client_metadata"),
        (GOOD | {"client_uri": "https://user@app.example.com/"}, "invalid_client_metadata"),
        (GOOD | {"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        (GOOD | {"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        (GOOD | {"application_type": "desktop"}, "invalid_client_metadata"),
        ({}, "invalid_client_metadata"),
    ],
)
def test_bad_metadata_is_refused(app, body, error):
    response = register(app.test_client(), body)
    assert response.status_code == 400 and response.json["error"] == error


def test_initial_access_token_closes_registration(make_app):
    client = make_app(REGISTRATION_TOKEN="let-me-in").test_client()
    assert register(client, GOOD).status_code == 401
    assert register(client, GOOD, Authorization="Bearer wrong").status_code == 401
    assert register(client, GOOD, Authorization="Bearer let-me-in").status_code == 201


def test_registration_is_rate_limited_per_address(make_app):
    client = make_app(REGISTRATION_RATE_LIMIT="2 per hour").test_client()
    assert [register(client, GOOD).status_code for _ in range(3)] == [201, 201, 429]
    limited = register(client, GOOD)
    assert "Retry-After" in limited.headers or limited.status_code == 429


def test_idle_registrations_are_forgotten(app):
    client = app.test_client()
    old = register(client, GOOD).json["client_id"]
    with app.app_context():
        row = db.session.query(OAuthClient).filter_by(client_id=old).one()
        row.created_at = utcnow() - timedelta(days=31)
        db.session.commit()
    register(client, GOOD)
    with app.app_context():
        assert db.session.query(OAuthClient).filter_by(client_id=old).count() == 0
        assert db.session.query(OAuthClient).count() == 1
