"""Rate limits: 429 with Retry-After, shaped for each surface."""

from __future__ import annotations

import pytest

from config import ConfigError
from tests.mcp.conftest import McpActions


def test_mcp_is_limited_per_credential(make_app):
    app = make_app(MCP_STATIC_TOKENS="one,two", MCP_RATE_LIMIT="3 per minute", MCP_TOOL_PACKAGES="app.tools")
    first, second = McpActions(app.test_client(), token="one"), McpActions(app.test_client(), token="two")
    assert [first.legacy("ping").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.legacy("ping")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["jsonrpc"] == "2.0" and "error" in limited.get_json()
    assert second.legacy("ping").status_code == 200  # another credential has its own budget


def test_token_endpoint_is_limited_with_an_oauth_error(make_app):
    client = make_app(TOKEN_RATE_LIMIT="2 per minute").test_client()
    codes = [client.post("/oauth/token", data={"grant_type": "authorization_code"}).status_code for _ in range(3)]
    assert codes[:2] == [401, 401] and codes[2] == 429
    limited = client.post("/oauth/token", data={})
    assert limited.json["error"] == "temporarily_unavailable" and "Retry-After" in limited.headers


def test_sign_in_is_limited(make_app):
    client = make_app(SIGN_IN_RATE_LIMIT="2 per minute").test_client()
    assert [client.get("/auth/dev").status_code for _ in range(3)] == [200, 200, 429]
    page = client.get("/auth/dev")
    assert "Too Many Requests" in page.text or "too many" in page.text.lower()


def test_bad_limits_stop_start_up(make_app):
    with pytest.raises(ConfigError, match="MCP_RATE_LIMIT"):
        make_app(MCP_RATE_LIMIT="lots")


def test_limits_shared_through_redis(make_app, postgres_url, redis_url):
    settings = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "MCP_STATIC_TOKENS": "one",
        "MCP_RATE_LIMIT": "2 per minute",
    }
    first, second = (
        McpActions(make_app(**settings).test_client(), "one"),
        McpActions(make_app(**settings).test_client(), "one"),
    )
    assert first.legacy("ping").status_code == second.legacy("ping").status_code == 200
    assert first.legacy("ping").status_code == 429  # the other instance's requests counted
