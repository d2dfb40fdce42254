"""The app under test, built once for the whole fuzz package: the `target` fixture and its settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from flask import Flask

from app.extensions import db
from app.oauth import fetching
from tests.conftest import build_app
from tests.fuzz.known import MAX_CONTENT_LENGTH, NO_LIMIT, TOKEN
from tests.fuzz.target import Target, prepare
from tests.support.services import free_port


def dispose(app: Flask) -> None:
    """Close the app's pooled connections, as `make_app` does after each test."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def fuzz_settings(closed: str) -> dict[str, str]:
    """The fuzz app: MCP fixtures and static tokens; the dev sign-in plus a GitHub-type provider whose
    endpoints are `closed`, a loopback port nobody listens on (its callback fails fast, offline); no rate
    limits in the way."""
    return {
        "MCP_STATIC_TOKENS": f"{TOKEN},other-fuzz-token",
        "MCP_TOOL_PACKAGES": "app.tools,tests.mcp_fixtures",
        "MCP_CLIENT_TIMEOUT": "1",
        "MAX_CONTENT_LENGTH": str(MAX_CONTENT_LENGTH),
        "OAUTH_PROVIDERS": "dev,gh",
        "OAUTH_GH_TYPE": "github",
        "OAUTH_GH_CLIENT_ID": "fuzz-client",
        "OAUTH_GH_CLIENT_SECRET": "fuzz-secret",
        "OAUTH_GH_AUTHORIZATION_URL": f"{closed}/login/oauth/authorize",
        "OAUTH_GH_TOKEN_URL": f"{closed}/login/oauth/access_token",
        "OAUTH_GH_USER_INFO_URL": f"{closed}/user",
        **{f"{name}_RATE_LIMIT": NO_LIMIT for name in ("SIGN_IN", "AUTHORIZE", "TOKEN", "REGISTRATION", "MCP")},
    }


def _no_network(host: str, loopback_ok: bool, seconds: float) -> str:
    raise fetching.FetchError("the fuzz tests fetch no client metadata documents")


@pytest.fixture(scope="package")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """One app for the fuzz package (hypothesis and function-scoped fixtures do not mix), made ready to fuzz."""
    closed = f"http://127.0.0.1:{free_port()}"
    app = build_app(tmp_path_factory.mktemp("fuzz") / "fuzz.db", **fuzz_settings(closed))
    logger = logging.getLogger(app.name)
    level = logger.level
    # The known bugs' tracebacks would bury the report (every app logs as "app"); a new 5xx still fails its
    # property with the request and the body, and each reproducer replays one bug with the log back on.
    logger.setLevel(level if os.environ.get("FUZZ_LOGS") else logging.CRITICAL)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fetching, "checked_address", _no_network)  # client id URLs: no DNS, no fetch
            found = prepare(app, closed)
            found.log_level = level
            yield found
    finally:
        logger.setLevel(level)
        dispose(app)
