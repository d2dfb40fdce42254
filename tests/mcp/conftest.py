"""Fixtures for the MCP tests: the app under gunicorn with the conformance fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.accounts import create_personal_token, dev_sign_in
from tests.support.mcp_client import TOKEN, McpActions
from tests.support.servers import app_settings, gunicorn_app
from tests.support.services import free_port


@dataclass(frozen=True)
class McpServer:
    """A running server: its base URL, the MCP endpoint, a personal access token it issued, its log."""

    base_url: str
    mcp_url: str
    token: str
    log_path: Path
    port: int
    email: str


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


@pytest.fixture
def mcp_app(make_app):
    return make_app(MCP_STATIC_TOKENS=f"{TOKEN},other-token", MCP_TOOL_PACKAGES="tests.mcp_fixtures,app.tools")


@pytest.fixture
def mcp(mcp_app) -> McpActions:
    return McpActions(mcp_app.test_client())


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.services)])
def shared_store(request) -> dict[str, str]:
    """Settings of two apps sharing one store: SQLite, or PostgreSQL and Redis."""
    settings = {"MCP_STATIC_TOKENS": "test-token-for-mcp", "MCP_TOOL_PACKAGES": "tests.mcp_fixtures"}
    if request.param == "redis":
        settings |= {
            "DATABASE_URL": request.getfixturevalue("postgres_url"),
            "REDIS_URL": request.getfixturevalue("redis_url"),
        }
    return settings
