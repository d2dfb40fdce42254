"""Security headers, cookie flags, and trust in proxy headers only when configured."""

from __future__ import annotations

import pytest

from app.security import content_security_policy
from tests.conftest import AuthActions
from tests.test_factory import PRODUCTION


def test_security_headers(client):
    headers = client.get("/auth/failure").headers  # a page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers
    data = client.get("/health").headers  # JSON: nothing to frame or script
    assert data["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" not in data


def test_hsts_over_https(client):
    assert "max-age=" in client.get("/health", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_forwarded_headers_ignored_without_trusted_hops(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
    assert "Strict-Transport-Security" not in response.headers
    assert "evil.example" not in (response.location or "")


def test_forwarded_headers_trusted_with_hops(make_app):
    from tests.conftest import AuthActions

    client = make_app(TRUSTED_PROXY_HOPS="1").test_client()
    AuthActions(client).dev_sign_in()
    response = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mcp.example.com"})
    assert "Strict-Transport-Security" in response.headers
    assert "https://mcp.example.com/mcp" in response.text


def test_session_cookie_flags_in_production(make_app):
    settings = {**PRODUCTION, "OAUTH_PROVIDER": "dev", "APP_ENV": "testing", "SESSION_COOKIE_SECURE": "true"}
    client = make_app(**settings).test_client()
    cookie = client.get("/auth/login?next=/x", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookie_is_secure_by_default():
    from app import create_app

    assert create_app(PRODUCTION).config["SESSION_COOKIE_SECURE"] is True


def test_added_sources_cannot_start_a_directive_or_loosen_framing():
    policy = content_security_policy(form_action=("http://127.0.0.1:9999", "com.example.app:"))
    assert policy.startswith("frame-ancestors 'none'; ")
    assert "form-action 'self' http://127.0.0.1:9999 com.example.app:" in policy.split("; ")
    for bad in ("http://x;frame-ancestors *", "http://a b", "https://x,y", "*"):
        with pytest.raises(ValueError):
            content_security_policy(form_action=(bad,))
    with pytest.raises(ValueError):
        content_security_policy(frame_ancestors=("'self'",))


def test_no_route_answers_both_safe_and_state_changing_methods(make_app):
    """Flask answers HEAD with the GET view, and CSRF protection skips HEAD: a view that changes state on a method
    other than GET (sign-out, consent, a tool call) must not be the view of GET too."""
    app = make_app(EXTERNAL_ISSUER="")
    changing = {"POST", "PUT", "PATCH", "DELETE"}
    shared = [str(rule) for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.methods & changing]
    assert shared == []


def test_head_changes_nothing(client, auth):
    """HEAD to sign-out, with a CSRF-free body, once signed the person out; to /mcp it ran the tool."""
    auth.dev_sign_in()
    assert client.head("/auth/logout").status_code == 200
    assert client.get("/account/tokens").status_code == 200  # still signed in
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
    headers = {"Origin": "http://localhost", "Content-Type": "application/json"}
    assert client.head("/mcp", data=body, headers=headers).status_code == 405


def test_account_pages_are_kept_by_no_cache(make_app):
    """A person's tokens, apps, activity and connected accounts, and the operator page, stay out of caches and the
    browser's history; public pages may be kept."""
    app = make_app(ADMIN_EMAILS="ada@example.test")
    client = app.test_client()
    AuthActions(client).dev_sign_in()
    for path in ("/account/tokens", "/account/apps", "/account/activity", "/admin/"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers.get("Cache-Control") == "no-store", path
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
