"""HTTP around the messages: bodies, methods, sizes, credentials, hosts and origins."""

from __future__ import annotations

import json

import pytest

from app.mcp.server import access
from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.conftest import AuthActions
from tests.support.mcp_client import MODERN, TOKEN, McpActions


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"\xff\xfe\x00", -32700),
        (b"[" * 5000 + b"]" * 5000, -32700),
        (json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]), -32600),
        (json.dumps({"id": 1, "method": "ping"}), -32600),
        (json.dumps({"jsonrpc": "2.0", "id": None, "method": "ping"}), -32600),
        (json.dumps({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}), -32600),
        (json.dumps({"jsonrpc": "2.0", "id": True, "method": "ping"}), -32600),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": 7}), -32600),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]}), -32600),
        (json.dumps({"jsonrpc": "2.0", "id": 1}), -32600),
        (json.dumps("just a string"), -32600),
    ],
)
def test_malformed_messages(mcp, body, code):
    response = mcp.post(body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code and "Traceback" not in response.text


@pytest.mark.parametrize("depth", [150, 1000])
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_arguments_nested_too_deep_are_a_clear_error(mcp, depth, era, caplog):
    """Nested about a thousand deep, arguments parsed but then broke json.dumps (a logged RecursionError)."""
    name, deep = "test_input_required_result_multi_round", "[" * depth + "]" * depth
    params = f'{{"name": "{name}", "arguments": {{"x": {deep}}}'
    headers = {}
    if era == "modern":  # answers in play: the call's arguments are digested (json.dumps) to bind them
        meta = json.dumps({VERSION_KEY: MODERN, CAPABILITIES_KEY: {"elicitation": {}}})
        params += f', "inputResponses": {{"q": {{"action": "decline"}}}}, "_meta": {meta}'
        headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": name}
    body = f'{{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {params}}}}}'
    response = mcp.post(body, headers)
    assert response.status_code == 400, response.text
    error = response.get_json()["error"]
    assert error["code"] == -32600 and "nested" in error["message"] and response.get_json()["id"] == 7
    assert "Traceback" not in caplog.text


def test_invalid_params_for_a_known_method(mcp):
    response = mcp.legacy("tools/call", {"arguments": {}})
    assert response.get_json()["error"]["code"] == -32602


def test_wrong_content_type_oversize_get_and_delete(make_app, mcp):
    assert mcp.post("{}", content_type="text/plain").status_code == 415
    huge = McpActions(make_app(MCP_STATIC_TOKENS=TOKEN, MAX_CONTENT_LENGTH="2000").test_client())
    too_big = huge.post({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * 5000}})
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == -32600
    asked = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/event-stream"}
    got = mcp.client.get("/mcp", headers=asked | {"MCP-Protocol-Version": "2026-07-28"})
    assert got.status_code == 405 and got.headers["Allow"] == "POST, DELETE"  # 2026-07-28 has subscriptions/listen
    sessionless = mcp.client.get("/mcp", headers=asked)  # the older revisions' stream is a session's
    assert sessionless.status_code == 400 and "Mcp-Session-Id" in sessionless.get_json()["error"]["message"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic abc", "Bearer", "bearer  "])
def test_credentials_are_required(mcp_app, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = mcp_app.test_client().post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["jsonrpc"] == "2.0" and "error" in response.get_json()
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example.com"}, 403),
        ({"Host": "evil.example.com"}, 403),
        ({"Host": "evil.example.com:80", "Origin": "http://evil.example.com"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "127.0.0.1:5000", "Origin": "http://127.0.0.1:5000"}, 200),
        ({"Host": "[::1]:8080"}, 200),
    ],
)
def test_dns_rebinding_protection(mcp, headers, status):
    response = mcp.post({"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers)
    assert response.status_code == status


def test_allowed_hosts_and_origins_are_configurable(make_app):
    settings = {
        "MCP_STATIC_TOKENS": TOKEN,
        "MCP_ALLOWED_HOSTS": "mcp.example.com",
        "MCP_ALLOWED_ORIGINS": "https://app.example.com",
    }
    mcp = McpActions(make_app(**settings).test_client())
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert mcp.post(ping, {"Host": "mcp.example.com:8443", "Origin": "https://app.example.com"}).status_code == 200
    assert mcp.post(ping, {"Host": "localhost"}).status_code == 403
    assert mcp.post(ping, {"Host": "mcp.example.com", "Origin": "http://localhost:3000"}).status_code == 403


def test_each_host_is_judged_the_same_every_time_and_few_verdicts_are_kept(make_app, monkeypatch):
    monkeypatch.setattr(access, "REMEMBERED_HOSTS", 3)
    app = make_app(MCP_STATIC_TOKENS=TOKEN, MCP_ALLOWED_HOSTS="mcp.example.com")
    mcp = McpActions(app.test_client())
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    for _ in range(2):  # the second time, from the verdicts kept
        assert mcp.post(ping, {"Host": "mcp.example.com:8443"}).status_code == 200
        assert mcp.post(ping, {"Host": "evil.example.com:8443"}).status_code == 403
    for port in range(5):  # a client choosing ever new Host values fills no memory
        assert mcp.post(ping, {"Host": f"evil.example.com:{port}"}).status_code == 403
    assert len(app.extensions["mcp_allowed_hosts"].verdicts) == 3
    assert mcp.post(ping, {"Host": "mcp.example.com:1"}).status_code == 200  # judged, though not kept


def test_browser_session_only_from_this_site(mcp_app):
    client = mcp_app.test_client()
    AuthActions(client).dev_sign_in(name="Ada", email="ada@example.test")
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    same_site = client.post("/mcp", json=ping, headers={"Origin": "http://localhost"})
    assert same_site.status_code == 200
    assert same_site.get_json()["result"]["structuredContent"]["email"] == "ada@example.test"
    assert client.post("/mcp", json=ping).status_code == 401  # no Origin: not from a page of ours
    assert client.post("/mcp", json=ping, headers={"Origin": "http://localhost:9999"}).status_code == 401


def test_bearer_calls_set_no_cookie(mcp):
    response = mcp.legacy("ping")
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
