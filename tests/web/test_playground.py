"""The playground's frame for MCP Apps views: its policy is exactly what the view declared, and no more."""

from __future__ import annotations

import json

import pytest


def sandbox(client, csp) -> object:
    return client.get("/playground/sandbox", query_string={"csp": json.dumps(csp)})


def test_a_view_frame_allows_inline_code_and_nothing_else_by_default(client, auth):
    auth.dev_sign_in()
    response = sandbox(client, {})
    policy = response.headers["Content-Security-Policy"]
    assert response.status_code == 200 and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert policy.startswith(
        "sandbox allow-scripts; frame-ancestors 'self'; default-src 'none'; script-src 'unsafe-inline';"
    )
    assert "connect-src 'none'" in policy and "frame-src 'none'" in policy and "form-action 'none'" in policy
    assert "sandbox-resource-ready" in response.text


def test_a_view_frame_allows_the_origins_the_view_declared(client, auth):
    auth.dev_sign_in()
    declared = {"connectDomains": ["wss://live.example"], "resourceDomains": ["https://*.cdn.example"]}
    policy = sandbox(client, declared).headers["Content-Security-Policy"]
    assert "connect-src wss://live.example;" in policy
    assert "script-src 'unsafe-inline' https://*.cdn.example;" in policy and "font-src https://*.cdn.example" in policy


@pytest.mark.parametrize(
    "csp",
    [
        {"connectDomains": ["https://a.example; script-src *"]},
        {"connectDomains": ["http://plain.example"]},
        {"resourceDomains": ["https://*.com"]},
        {"resourceDomains": "https://a.example"},
        {"scriptDomains": ["https://a.example"]},
        ["https://a.example"],
    ],
)
def test_anything_else_is_refused(client, auth, csp):
    auth.dev_sign_in()
    assert sandbox(client, csp).status_code == 400
    assert client.get("/playground/sandbox", query_string={"csp": "{not json"}).status_code == 400
