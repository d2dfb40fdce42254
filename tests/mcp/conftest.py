"""Fixtures for the MCP tests: the app under gunicorn with the conformance fixtures."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.conftest import csrf_token
from tests.support.servers import app_settings, gunicorn_app
from tests.support.services import free_port

#: The personal token on /account/tokens, right after it was made (the only time it is shown).
NEW_TOKEN = re.compile(r'<input id="new-token"[^>]*value="([^"]+)"')
HTTP_TIMEOUT = 10.0  # seconds, per request to the running server


@dataclass(frozen=True)
class McpServer:
    """A running server: its base URL, the MCP endpoint, a personal access token it issued, its log."""

    base_url: str
    mcp_url: str
    token: str
    log_path: Path
    port: int
    email: str


def dev_sign_in(session: requests.Session, base_url: str, name: str, email: str) -> None:
    """Sign `session` in through the development sign-in form of the server at `base_url`."""
    page = session.get(f"{base_url}/auth/dev", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text
    data = {"name": name, "email": email, "csrf_token": csrf_token(page.text)}
    signed_in = session.post(f"{base_url}/auth/dev", data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert signed_in.status_code in (302, 303), f"dev sign-in answered {signed_in.status_code}: {signed_in.text}"


def create_personal_token(session: requests.Session, base_url: str, name: str, scope: str = "mcp") -> str:
    """Make a personal access token on /account/tokens as the person signed in on `session`; return it."""
    page = session.get(f"{base_url}/account/tokens", allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"/account/tokens answered {page.status_code}: {page.text}"
    data = {"name": name, "scope": scope, "days": "1", "csrf_token": csrf_token(page.text)}
    created = session.post(f"{base_url}/account/tokens", data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert created.status_code == 201, f"creating a token answered {created.status_code}: {created.text}"
    match = NEW_TOKEN.search(created.text)
    assert match, f"no new token on the page:\n{created.text}"
    return match[1]


@pytest.fixture(scope="module")
def mcp_server(tmp_path_factory) -> Iterator[McpServer]:
    """gunicorn with 2 workers (4 threads each) on SQLite, serving tests.mcp_fixtures and app.tools.

    Clients authenticate as a person would: the fixture signs one in through the development form and makes a
    personal access token on /account/tokens. PUBLIC_URL names the server, so that token (whose audience is
    PUBLIC_URL + /mcp) also works through a proxy on another port, such as the conformance suite's.
    """
    tmp = tmp_path_factory.mktemp("mcp-server")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = app_settings(
        tmp, PUBLIC_URL=base_url, MCP_TOOL_PACKAGES="tests.mcp_fixtures,app.tools", GUNICORN_THREADS="4"
    )
    log_path = tmp / "gunicorn.log"
    email = "mcp-tests@example.test"
    with gunicorn_app(settings, port, log_path) as started, requests.Session() as session:
        assert started == base_url
        dev_sign_in(session, base_url, "MCP Tests", email)
        token = create_personal_token(session, base_url, "mcp tests")
        yield McpServer(base_url, f"{base_url}/mcp", token, log_path, port, email)


MODERN = "2026-07-28"
TOKEN = "test-token-for-mcp"
ALL_CAPABILITIES = {"elicitation": {}, "sampling": {}, "roots": {}}


class McpActions:
    """Speak to /mcp through the Flask test client, in either protocol era."""

    def __init__(self, client, token: str = TOKEN) -> None:
        self.client, self.token = client, token

    def post(self, body: Any, headers: dict[str, str] | None = None, **kwargs):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        base = {"Authorization": f"Bearer {self.token}", "Accept": "application/json, text/event-stream"}
        kwargs.setdefault("content_type", "application/json")
        return self.client.post("/mcp", data=data, headers=base | (headers or {}), **kwargs)

    def modern(
        self, method: str, params: dict | None = None, *, id: Any = 1, capabilities=None, meta=None, headers=None
    ):
        """Send a 2026-07-28 request with matching `_meta` and headers (override either to break them)."""
        params = dict(params or {})
        envelope = {VERSION_KEY: MODERN, CAPABILITIES_KEY: ALL_CAPABILITIES if capabilities is None else capabilities}
        params["_meta"] = envelope | (meta or {})
        sent = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
        name = params.get("uri") if method == "resources/read" else params.get("name")
        sent |= {"Mcp-Name": name} if method in ("tools/call", "prompts/get", "resources/read") else {}
        return self.post({"jsonrpc": "2.0", "id": id, "method": method, "params": params}, sent | (headers or {}))

    def initialize(self, version: str = "2025-11-25", capabilities: dict | None = None) -> str:
        params = {
            "protocolVersion": version,
            "capabilities": capabilities or {},
            "clientInfo": {"name": "t", "version": "1"},
        }
        response = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})
        assert response.status_code == 200, response.text
        return response.headers["Mcp-Session-Id"]

    def legacy(
        self, method: str, params: dict | None = None, *, session: str | None = None, id: Any = 1, version="2025-11-25"
    ):
        headers = {"MCP-Protocol-Version": version} | ({"Mcp-Session-Id": session} if session else {})
        body = {"jsonrpc": "2.0", "id": id, "method": method} | ({"params": params} if params is not None else {})
        return self.post(body, headers)


def sse_messages(response) -> list[dict]:
    """Return the JSON-RPC messages of an event-stream response, in order."""
    assert response.mimetype == "text/event-stream", response.text
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


@pytest.fixture
def mcp_app(make_app):
    return make_app(MCP_STATIC_TOKENS=f"{TOKEN},other-token", MCP_TOOL_PACKAGES="tests.mcp_fixtures,app.tools")


@pytest.fixture
def mcp(mcp_app) -> McpActions:
    return McpActions(mcp_app.test_client())
