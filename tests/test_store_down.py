"""A store that does not answer gives 503 with Retry-After, never a 500 or a traceback."""

from __future__ import annotations

import redis
from flask import request
from sqlalchemy import text
from sqlalchemy.exc import PendingRollbackError

from app import create_app
from app.extensions import db
from app.sessions import SESSION_ERROR
from tests.support.services import free_port

DOWN = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"


def test_database_down_is_503():
    app = create_app({"APP_ENV": "testing", "OAUTH_PROVIDER": "dev", "MCP_STATIC_TOKENS": "t", "DATABASE_URL": DOWN})
    client = app.test_client()
    page = client.get("/auth/dev")  # its CSRF token goes into a session the database must store
    assert page.status_code == 503 and page.headers["Retry-After"] == "5" and "Traceback" not in page.text
    data = client.get("/auth/dev", headers={"Accept": "application/json"})
    assert data.status_code == 503 and data.json["error"] == "service_unavailable"
    mcp = client.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}},
        headers={"Authorization": "Bearer nope"},
    )
    assert mcp.status_code == 503 and mcp.json["error"]["code"] == -32603
    assert client.get("/health").status_code == 200 and client.get("/status").status_code == 503


def test_redis_down_is_503(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", MCP_STATIC_TOKENS="t")
    client = app.test_client()
    page = client.get("/auth/dev")
    assert page.status_code == 503 and "Traceback" not in page.text
    data = client.get("/auth/dev", headers={"Accept": "application/json"})
    assert data.json["error"] == "service_unavailable"
    mcp = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Authorization": "Bearer t"})
    assert mcp.status_code in (200, 503)  # bearer calls need no session; the limits count in memory


def test_a_session_store_down_still_gets_every_header(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    client.set_cookie("session", "some-session-id")
    page = client.get("/")
    assert page.status_code == 503
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "X-Request-ID",
        "Retry-After",
    ):
        assert header in page.headers, header


def test_a_session_store_lost_before_the_save_is_503(make_app, redis_url):
    """The store answers when the session loads but not when it is saved (a restart mid-request): 503 with
    every header, not a bare 500, so the client knows its change was not kept."""
    app = make_app(REDIS_URL=redis_url)
    app.session_interface.client = redis.Redis(port=free_port(), socket_timeout=1)  # gone since the load
    page = app.test_client().get("/auth/dev")  # stores its CSRF token in a new session
    assert page.status_code == 503 and "Traceback" not in page.text
    assert "X-Content-Type-Options" in page.headers and "Retry-After" in page.headers
    assert "Set-Cookie" not in page.headers


def test_a_connection_lost_mid_load_is_a_store_error(make_app):
    """Flask-Session retries a failed load without a rollback, so a lost connection fails the retry with
    PendingRollbackError: the request is answered 503 like any store failure, not 500."""
    app = make_app()
    with app.test_request_context("/", headers={"Cookie": "session=some-session-id"}):
        db.session.execute(text("SELECT 1"))
        db.session.connection().invalidate()  # as a restart of the database does
        session = app.session_interface.open_session(app, request)
        assert session is not None and not session
        assert isinstance(request.environ[SESSION_ERROR], PendingRollbackError)
        page = app.preprocess_request()
        assert page is not None and page.status_code == 503 and page.headers["Retry-After"] == "5"
