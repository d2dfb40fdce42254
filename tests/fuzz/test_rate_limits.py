"""Rate limits: 429 in each surface's own shape, with Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.fuzz.harness import assert_jsonrpc_reply, send
from tests.fuzz.known import TOKEN


@pytest.mark.parametrize(
    ("setting", "method", "path", "kwargs", "shape"),
    [
        ("TOKEN_RATE_LIMIT", "POST", "/oauth/token", {"data": {"grant_type": "refresh_token"}}, "oauth"),
        ("TOKEN_RATE_LIMIT", "POST", "/oauth/revoke", {"data": {"token": "x"}}, "oauth"),
        ("TOKEN_RATE_LIMIT", "POST", "/oauth/introspect", {"data": {"token": "x"}}, "oauth"),
        ("REGISTRATION_RATE_LIMIT", "POST", "/oauth/register", {"json": {}}, "oauth"),
        ("AUTHORIZE_RATE_LIMIT", "GET", "/oauth/authorize", {}, "oauth"),
        ("SIGN_IN_RATE_LIMIT", "GET", "/auth/login/dev", {"headers": {"Accept": "application/json"}}, "page"),
        ("SIGN_IN_RATE_LIMIT", "GET", "/auth/callback", {"headers": {"Accept": "application/json"}}, "page"),
        ("SIGN_IN_RATE_LIMIT", "GET", "/auth/dev", {"headers": {"Accept": "application/json"}}, "page"),
        ("MCP_RATE_LIMIT", "POST", "/mcp", {"json": {}, "headers": {"Authorization": f"Bearer {TOKEN}"}}, "jsonrpc"),
    ],
)
def test_rate_limited(
    make_app: Callable[..., Flask], setting: str, method: str, path: str, kwargs: dict[str, Any], shape: str
) -> None:
    """Past its limit each endpoint answers 429 with Retry-After, as its surface speaks (never 5xx)."""
    app = make_app(**{setting: "2 per minute", "MCP_STATIC_TOKENS": TOKEN})
    client = app.test_client()
    statuses = [send(client, method, path, **kwargs).status_code for _ in range(2)]
    response = send(client, method, path, **kwargs)
    print(f"\n[fuzz] {method} {path} under {setting}=2/minute: {[*statuses, response.status_code]}")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1, response.get_data()[:300]
    body = response.get_json(silent=True)
    if shape == "oauth":
        assert body["error"] == "temporarily_unavailable" and response.headers["Access-Control-Allow-Origin"] == "*"
    elif shape == "jsonrpc":
        assert_jsonrpc_reply(body, None)
    else:
        assert body["error"] == "too_many_requests", response.get_data()[:300]
