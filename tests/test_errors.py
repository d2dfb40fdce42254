"""Errors: HTML for people, JSON for API callers, never a traceback."""

from __future__ import annotations

import pytest
from flask import abort, redirect

from app import create_app


@pytest.fixture
def signed_in(client, auth):
    auth.dev_sign_in()
    return client


def test_404_html_and_json(signed_in):
    page = signed_in.get("/nowhere")
    assert page.status_code == 404 and "text/html" in page.content_type
    assert "Not found" in page.text
    data = signed_in.get("/nowhere", headers={"Accept": "application/json"})
    assert data.status_code == 404
    assert data.json["error"] == "not_found"


def test_405_keeps_allow_header(signed_in):
    response = signed_in.post("/health", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.json["error"] == "method_not_allowed"


def test_413_for_oversize_body(make_app):
    client = make_app(MAX_CONTENT_LENGTH="1000").test_client()
    response = client.post("/auth/dev", data={"name": "x" * 5000}, headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"


def test_400_for_missing_csrf_token(signed_in):
    response = signed_in.post("/auth/logout")
    assert response.status_code == 400
    assert "CSRF" in response.text


def test_500_hides_the_traceback(app, auth, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    auth.dev_sign_in()
    page = client.get("/boom")
    data = client.get("/boom", headers={"Accept": "application/json"})
    assert page.status_code == data.status_code == 500
    assert "secret internals" not in page.text + data.text
    assert "Traceback" not in page.text
    assert data.json["error"] == "internal_server_error"
    assert "secret internals" in caplog.text  # the log keeps it for the operator


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 413, 429, 500])
def test_every_error_code_has_a_page_and_json(make_app, code):
    app = make_app(PUBLIC_PATHS="/fail")

    @app.get("/fail")
    def fail():
        abort(code)

    client = app.test_client()
    page = client.get("/fail")
    assert page.status_code == code
    assert f'<p class="status">{code}</p>' in page.text
    assert page.headers["Content-Security-Policy"].startswith("frame-ancestors 'none'")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    data = client.get("/fail", headers={"Accept": "application/json"})
    assert data.status_code == code
    assert set(data.json) == {"error", "message"}


def test_a_failure_after_the_view_is_still_a_page_with_the_security_headers(app, auth, client, caplog):
    """Werkzeug writes the Location header after Flask is done with the request; if that fails, the server's own
    bare 500 would go out (no security headers). Seen with a redirect to a port that is not a number."""

    @app.get("/away")
    def away():
        return redirect("http://127.0.0.1:1x/")

    auth.dev_sign_in()
    response = client.get("/away")
    assert response.status_code == 500 and "text/html" in response.content_type
    assert response.headers["Content-Security-Policy"].startswith("frame-ancestors 'none'")
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Port could not be cast" in caplog.text  # the operator's log has what went wrong
    assert "Strict-Transport-Security" in client.get("/away", base_url="https://localhost").headers


def test_development_lets_the_debugger_see_every_error(tmp_path):
    settings = {"APP_ENV": "development", "SECRET_KEY": "k" * 40, "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    assert create_app(settings).extensions["frame"].failure is None
