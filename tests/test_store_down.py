"""A store that does not answer gives 503 with Retry-After, never a 500 or a traceback."""

from __future__ import annotations

from app import create_app
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
    assert mcp.status_code in (200, 503)  # bearer calls need no session; the limiter falls back to memory


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
